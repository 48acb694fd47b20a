// Command stressworker is the stress baseline of `sockfuzz hunt`, built with -race: it runs
// mutated seed programs in free mode (Go's scheduler, no schedule control) with one fault on
// until a report of the expected oracle or the deadline, and prints its progress on stdout
// for the hunt to parse. The -race runtime's own reports go to stderr; the hunt reads them.
//
// Output lines: "progress N", "other ORACLE<TAB>TITLE", "found N ORACLE<TAB>TITLE", "done N".
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/hunt"
)

func main() {
	faults := flag.String("faults", "", "faults switched on, comma-separated")
	oracle := flag.String("oracle", "", "the expected oracle")
	fuzzTarget := flag.String("fuzz-target", fuzz.Sockets.Name, "the fuzz target whose profile decodes the inputs")
	target := flag.String("target", stack.DefaultTarget, "the stack target the programs run on")
	seed := flag.Uint64("seed", 1, "seed of the mutations")
	dur := flag.Duration("for", time.Minute, "how long to run")
	flag.Parse()
	if err := run(*faults, *oracle, *fuzzTarget, *target, *seed, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "stressworker:", err)
		os.Exit(2)
	}
}

func run(faultNames, oracle, fuzzTarget, target string, seed uint64, dur time.Duration) error {
	t, err := hunt.TargetByName(fuzzTarget)
	if err != nil {
		return err
	}
	if target, err = fuzz.StackTarget(target); err != nil {
		return fmt.Errorf("-target: %w", err)
	}
	var fs stack.FaultSet
	if faultNames != "" {
		if fs, err = repro.FaultSet(target, strings.Split(faultNames, ",")); err != nil {
			return fmt.Errorf("-faults: %w", err)
		}
	}
	res, err := hunt.Loop(hunt.LoopConfig{
		Decode:   t.Decode,
		Seeds:    fuzz.NewHarness(t).Seeds(),
		Target:   target,
		Faults:   fs,
		Oracle:   oracle,
		Mode:     repro.Free,
		Seed:     seed,
		Deadline: time.Now().Add(dur),
		Progress: func(n int64) { fmt.Printf("progress %d\n", n) },
		Other:    func(o, title string) { fmt.Printf("other %s\t%s\n", o, title) },
	})
	if err != nil {
		return err
	}
	if res.Found {
		fmt.Printf("found %d %s\t%s\n", res.Execs, res.Oracle, res.Title)
		return nil
	}
	fmt.Printf("done %d\n", res.Execs)
	return nil
}
