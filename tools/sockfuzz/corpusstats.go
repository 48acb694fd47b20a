package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/corpusstats"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/hunt"
)

// corpusStatsCmd is `sockfuzz corpus-stats -fuzz-target FuzzX DIR...`: the Go corpus files
// under the directories (a fuzz cache, a work directory's corpus), decoded as the target
// decodes them, counted against the target's seeds: distinct programs, features, and the
// feature pairs no seed combines. Exit status 2 for a bad argument or a file that is no
// corpus file.
func corpusStatsCmd(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("corpus-stats", flag.ContinueOnError)
	fl.SetOutput(stderr)
	target := fl.String("fuzz-target", fuzz.Sockets.Name, "the fuzz target whose inputs the files are")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sockfuzz corpus-stats: "+format+"\n", a...)
		return 2
	}
	if fl.NArg() == 0 {
		return fail("want one directory or more")
	}
	t, err := hunt.TargetByName(*target)
	if err != nil {
		return fail("%v", err)
	}
	var seeds []*repro.Program
	for _, s := range fuzz.NewHarness(t).Seeds() {
		seeds = append(seeds, t.Decode(s))
	}
	var files []string
	for _, dir := range fl.Args() {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return fail("%v", err)
		}
	}
	sort.Strings(files)
	var corpus []*repro.Program
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return fail("%v", err)
		}
		data, err := corpusfile.UnmarshalGo(path, src)
		if err != nil {
			return fail("%v", err)
		}
		corpus = append(corpus, t.Decode(data))
	}
	if len(corpus) == 0 {
		return fail("no corpus file under %v", fl.Args())
	}
	corpusstats.Measure(seeds, corpus).Write(stdout)
	return 0
}
