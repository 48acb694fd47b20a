// Command seedzip writes what OSS-Fuzz and ClusterFuzzLite read beside each fuzz target's
// libFuzzer binary, for each target named on its command line:
//
//   - $OUT/FuzzX_seed_corpus.zip, the seed corpus: every seed program the target's profile can
//     express (Profile.EncodeSeed), encoded as the target's f.Add seeds are, plus the target's
//     inputs kept under fuzz/testdata/fuzz/FuzzX, each wrapped as a libFuzzer input of
//     go-118-fuzz-build (a 4-byte length, then the bytes);
//   - $OUT/FuzzX.options, the libFuzzer flags the binary runs with (libFuzzerOptions).
//
// Usage: seedzip -o DIR [-testdata fuzz/testdata/fuzz] FuzzX...
package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
)

// byteTargets are the fuzz targets whose input is a program's byte form.
var byteTargets = fuzz.ByteTargets()

// reproTextTarget takes a program's text as its input.
const reproTextTarget = "FuzzReproText"

// libFuzzerOptions are the flags of the [libfuzzer] section of every target's options file.
//
// entropic_scale_per_exec_time weighs an input's energy in the entropic power schedule by its
// execution time, so that libFuzzer mutates cheap inputs more often than costly ones with the
// same rare features. The programs' costs spread over three orders of magnitude: a
// self-connected socket that sends 64 KiB runs 30,000 to 45,000 scheduling points (6 to 9 ms),
// a short program 20 us; unweighted, libFuzzer's corpus after 15 s cost 184 us an input on
// average, go test -fuzz's 46 us. Weighted, FuzzSockets ran 2 to 3 times the inputs in the same
// time and reached the same coverage (docs/bench.md).
var libFuzzerOptions = [][2]string{{"entropic_scale_per_exec_time", "1"}}

// optionsFile is the text of a target's options file.
func optionsFile() []byte {
	var b bytes.Buffer
	b.WriteString("[libfuzzer]\n")
	for _, o := range libFuzzerOptions {
		fmt.Fprintf(&b, "%s = %s\n", o[0], o[1])
	}
	return b.Bytes()
}

// zipTime is every entry's modification time, so that the same seeds give the same zip.
var zipTime = time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("seedzip", flag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.String("o", "", "directory the zips are written to ($OUT)")
	testdata := fl.String("testdata", "fuzz/testdata/fuzz", "directory of the Go corpus files kept per target (FuzzX/...); missing is fine")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fl.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: seedzip -o DIR [-testdata DIR] FuzzX...")
		return 2
	}
	for _, name := range fl.Args() {
		entries, err := seeds(name, *testdata)
		if err != nil {
			fmt.Fprintf(stderr, "seedzip: %s: %v\n", name, err)
			return 2
		}
		path := filepath.Join(*out, name+"_seed_corpus.zip")
		if err := writeZip(path, entries); err != nil {
			fmt.Fprintf(stderr, "seedzip: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "seedzip: %s: %d inputs\n", path, len(entries))
		opts := filepath.Join(*out, name+".options")
		if err := corpusfile.WriteFile(opts, optionsFile(), 0o644); err != nil {
			fmt.Fprintf(stderr, "seedzip: write %s: %v\n", opts, err)
			return 2
		}
	}
	return 0
}

// entry is one file of a seed zip.
type entry struct {
	name string
	data []byte // the libFuzzer input
}

// seeds returns a target's seed inputs in libFuzzer form: the seed programs, then the kept
// Go corpus files in name order.
func seeds(target, testdata string) ([]entry, error) {
	var out []entry
	if target == reproTextTarget {
		for _, s := range corpus.Seeds() {
			out = append(out, entry{s.Name, corpusfile.MarshalLibFuzzer(s.Text)})
		}
	} else if target == fuzz.NetstackLinux {
		// The differential target's inputs are its own byte form, seeded with scenarios.
		for k, data := range fuzz.DifferHarness().Seeds() {
			out = append(out, entry{fmt.Sprintf("scenario-%02d", k), corpusfile.MarshalLibFuzzer(data)})
		}
	} else {
		i := -1
		for j, t := range byteTargets {
			if t.Name == target {
				i = j
			}
		}
		if i < 0 {
			return nil, errors.New("not a fuzz target seedzip knows (add it to fuzz.ByteTargets)")
		}
		if t := byteTargets[i]; t.Edits {
			// The edit form's seeds are its bases, by number, as the target's f.Add has them.
			for k := range fuzz.EditBases(t) {
				out = append(out, entry{fmt.Sprintf("base-%02d", k), corpusfile.MarshalLibFuzzer(repro.EncodeBase(k))})
			}
		} else {
			// The shared seeds, then the target's stack's own, as the target's f.Add has them.
			for _, s := range append(corpus.Seeds(), corpus.TargetSeeds(byteTargets[i].StackName())...) {
				p, err := s.Program()
				if err != nil {
					return nil, err
				}
				data, err := byteTargets[i].Profile.EncodeSeed(p)
				if err != nil {
					continue // the target's profile cannot express it, as for the target's f.Add
				}
				name := strings.TrimSuffix(strings.ReplaceAll(s.Name, "/", "-"), ".prog")
				out = append(out, entry{name, corpusfile.MarshalLibFuzzer(data)})
			}
		}
	}
	dir := filepath.Join(testdata, target)
	files, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	sort.Slice(files, func(a, b int) bool { return files[a].Name() < files[b].Name() })
	for _, f := range files {
		if f.IsDir() {
			continue
		}
		path := filepath.Join(dir, f.Name())
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		data, err := corpusfile.UnmarshalGo(path, src)
		if err != nil {
			return nil, err
		}
		out = append(out, entry{"testdata-" + f.Name(), corpusfile.MarshalLibFuzzer(data)})
	}
	if len(out) == 0 {
		return nil, errors.New("no seed input")
	}
	return out, nil
}

// writeZip writes the entries as a zip, atomically.
func writeZip(path string, entries []entry) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return err
		}
		if _, err := w.Write(e.data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := corpusfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
