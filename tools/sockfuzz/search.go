package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sockfuzz/sockfuzz/repro"
)

// searchCmd is `sockfuzz search [flags] FILE`: a systematic search of FILE's schedules
// (repro.Search: the default schedule, then every schedule with one change point, then, with
// -changes 2, every pair within -window) until an oracle reports -title, or any report. The
// schedule found is printed as an explicit replay and, with -o, written as a crasher file.
// Exit status 0 when found, 1 when not, 2 for a bad file or argument.
func searchCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	changes := fs.Int("changes", 2, "change points, 1 or 2")
	window := fs.Int("window", 300, "the most decisions between two change points (0: every pair)")
	title := fs.String("title", "", "the report title to look for (default: any report)")
	budget := fs.Int("budget", 1_000_000, "the most executions (1 to 100000000)")
	steps := fs.Int("steps", repro.DefaultStepBudget, "step budget of each run (1 to 100000000)")
	out := fs.String("o", "", "write the failing program as a crasher file to this path (atomically)")
	tname := programTargetFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "sockfuzz search: want one program file, got %d\n", fs.NArg())
		return 2
	}
	switch {
	case *changes < 1 || *changes > 2:
		fmt.Fprintf(stderr, "sockfuzz search: -changes %d: want 1 or 2\n", *changes)
		return 2
	case *window < 0:
		fmt.Fprintf(stderr, "sockfuzz search: -window %d: want 0 or more\n", *window)
		return 2
	case *budget < 1 || *budget > 100_000_000:
		fmt.Fprintf(stderr, "sockfuzz search: -budget %d: want 1 to 100000000\n", *budget)
		return 2
	case *steps < 1 || *steps > 100_000_000:
		fmt.Fprintf(stderr, "sockfuzz search: -steps %d: want 1 to 100000000\n", *steps)
		return 2
	}
	file := fs.Arg(0)
	src, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz search: %v\n", err)
		return 2
	}
	p, _, err := readProgramOrCrasher(file, src)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz search: %v\n", err)
		return 2
	}
	if _, err := programTarget(file, p, *tname); err != nil {
		fmt.Fprintf(stderr, "sockfuzz search: %v\n", err)
		return 2
	}
	start := time.Now()
	res, err := repro.Search(p, repro.Options{StepBudget: *steps},
		repro.SearchConfig{Changes: *changes, Window: *window, Title: *title, Budget: *budget})
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz search: %s: %v\n", file, err)
		return 2
	}
	fmt.Fprintf(stdout, "%s: %d runs over %d decisions in %s\n", file, res.Runs, res.Decisions, time.Since(start).Round(time.Millisecond))
	if !res.Found {
		fmt.Fprintln(stdout, "nothing found")
		return 1
	}
	r := res.Outcome.Reports[0]
	if *title != "" {
		for _, x := range res.Outcome.Reports {
			if x.Title == *title {
				r = x
			}
		}
	}
	fmt.Fprintf(stdout, "found: %s [%s] with change points at decisions %v (clock first: %v)\n\n", r.Title, r.Oracle, res.At, res.ClockFirst)
	stdout.Write([]byte(res.Program.String()))
	if *out != "" {
		c := &repro.Crasher{Title: r.Title, Oracle: r.Oracle, Reproduced: 1, Replays: 1,
			FirstFound: time.Now().UTC().Truncate(time.Second), Seen: 1, FoundBy: "sockfuzz search " + file,
			Program: res.Program}
		if err := repro.WriteFileAtomic(*out, c.Text(), 0o644); err != nil {
			fmt.Fprintf(stderr, "sockfuzz search: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "\nwrote %s (minimize it to measure its reliability)\n", *out)
	}
	return 0
}
