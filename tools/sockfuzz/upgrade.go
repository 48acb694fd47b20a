package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
)

// upgradeTargets are the fuzz targets whose inputs are a program's byte form, by the name of
// the directory go test -fuzz keeps their inputs in (testdata/fuzz/FuzzX, $GOCACHE/fuzz/.../FuzzX,
// .sockfuzz/cache/FuzzX).
var upgradeTargets = map[string]fuzz.Target{}

func init() {
	for _, t := range fuzz.ByteTargets() {
		if !t.Edits { // the edit form came after the byte form's first version
			upgradeTargets[t.Name] = t
		}
	}
}

// upgradeCmd is `sockfuzz upgrade-corpus DIR...`: it rewrites, under each directory, every Go
// corpus file of a byte fuzz target that holds an input of the first byte form (v0) into the
// current form (repro.Profile.Upgrade), in place (a temporary file renamed over it), so that
// it decodes to the program it meant. A current input is left as it is, so running it twice
// changes nothing; a file that is not a Go corpus file of a byte target is left alone, with a
// message. Run it once on go test -fuzz caches ($(go env GOCACHE)/fuzz) and sockfuzz work
// directories (.sockfuzz) kept from before the byte form's version, before fuzzing on them.
// Exit status 1 when a file could not be converted.
func upgradeCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("upgrade-corpus", flag.ContinueOnError)
	fl.SetOutput(stderr)
	dry := fl.Bool("n", false, "report what would be converted without writing")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: sockfuzz upgrade-corpus [-n] DIR...")
		return 2
	}
	var converted, current, skipped, failed int
	for _, root := range fl.Args() {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			tg, ok := upgradeTargets[filepath.Base(filepath.Dir(path))]
			if !ok {
				skipped++
				fmt.Fprintf(stderr, "%s: not in a byte fuzz target's directory (%s), left alone\n", path, "FuzzSockets, ...")
				return nil
			}
			changed, err := upgradeFile(path, tg.Profile, *dry)
			switch {
			case errors.Is(err, errNotCorpus):
				skipped++
				fmt.Fprintf(stderr, "%s: %v, left alone\n", path, err)
			case err != nil:
				failed++
				fmt.Fprintf(stderr, "%s: %v\n", path, err)
			case changed:
				converted++
			default:
				current++
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz upgrade-corpus: %v\n", err)
			return 1
		}
	}
	verb := "converted"
	if *dry {
		verb = "to convert"
	}
	fmt.Fprintf(stdout, "%d %s, %d already current, %d left alone, %d failed\n", converted, verb, current, skipped, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// errNotCorpus is the error of a file that is not a Go corpus file of one []byte input.
var errNotCorpus = errors.New("not a Go corpus file of one []byte input")

// upgradeFile converts one corpus file for a target's profile; changed is false for a current
// input.
func upgradeFile(path string, pr *repro.Profile, dry bool) (changed bool, err error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	if !corpusfile.IsGo(src) {
		return false, errNotCorpus
	}
	data, err := corpusfile.UnmarshalGo(path, src)
	if err != nil {
		return false, fmt.Errorf("%w: %v", errNotCorpus, err)
	}
	out, changed, err := pr.Upgrade(data)
	if err != nil || !changed || dry {
		return changed, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	// The name stays: go test -fuzz does not check that a name is its content's hash.
	return true, corpusfile.WriteFile(path, corpusfile.MarshalGo(out), fi.Mode().Perm())
}
