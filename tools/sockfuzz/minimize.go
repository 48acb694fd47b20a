package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sockfuzz/sockfuzz/repro"
)

// minimizeJudge judges the minimizer's runs; tests replace it, since no oracle fires on the
// correct stack.
var minimizeJudge = repro.Execute

// minimizeCmd is `sockfuzz minimize [flags] FILE`: it shrinks a failing program while its
// report title reproduces (on the program's target: its own target line, else -target's, else
// bsd), prints what it removed and the result, and optionally writes the
// result as a crasher file (-o) or adds it to a crash store (-store). FILE is a program or a
// stored crasher, whose title is then the one kept. Exit status 0 when minimized, 1 when the
// program does not reproduce, 2 for a bad file or argument.
func minimizeCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("minimize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	title := fs.String("title", "", "the report title to keep (default: a stored crasher's title, else the first report's)")
	seeds := fs.Int("seeds", repro.DefaultMinimizeSeeds, "PCT seeds, and random seeds, tried per candidate (0 to 1000)")
	candidates := fs.Int("candidates", repro.DefaultMinimizeCandidates, "candidate budget (1 to 1000000)")
	steps := fs.Int("steps", repro.DefaultStepBudget, "step budget of each run (1 to 100000000)")
	replays := fs.Int("replays", repro.DefaultReplays, "controlled replays that measure the result's reliability (1 to 100000)")
	out := fs.String("o", "", "write the result as a crasher file to this path (atomically)")
	store := fs.String("store", "", "add the result to the crash store in this directory (e.g. "+repro.DefaultStoreDir+")")
	tname := programTargetFlag(fs)
	foundBy := fs.String("found-by", "", "the crasher header's found-by (default: a stored crasher's, else \"sockfuzz minimize FILE\")")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "sockfuzz minimize: want one program file, got %d\n", fs.NArg())
		return 2
	}
	for _, f := range []struct {
		name     string
		v, lo, h int
	}{{"seeds", *seeds, 0, 1000}, {"candidates", *candidates, 1, 1_000_000}, {"steps", *steps, 1, 100_000_000}, {"replays", *replays, 1, 100_000}} {
		if f.v < f.lo || f.v > f.h {
			fmt.Fprintf(stderr, "sockfuzz minimize: -%s %d: want %d to %d\n", f.name, f.v, f.lo, f.h)
			return 2
		}
	}
	file := fs.Arg(0)
	src, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz minimize: %v\n", err)
		return 2
	}
	p, stored, err := readProgramOrCrasher(file, src)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz minimize: %v\n", err)
		return 2
	}
	if _, err := programTarget(file, p, *tname); err != nil {
		fmt.Fprintf(stderr, "sockfuzz minimize: %v\n", err)
		return 2
	}
	opt := repro.MinimizeOptions{Execute: minimizeJudge, Title: *title, Seeds: *seeds, Candidates: *candidates,
		StepBudget: *steps, Replays: *replays}
	if *seeds == 0 {
		opt.Seeds = -1
	}
	by := "sockfuzz minimize " + file
	if stored != nil {
		if opt.Title == "" {
			opt.Title = stored.Title
		}
		if stored.FoundBy != "" {
			by = stored.FoundBy
		}
	}
	if *foundBy != "" {
		by = *foundBy
	}
	fmt.Fprintf(stdout, "%s: %s\n", file, repro.Summary(p))
	r, err := repro.Minimize(p, opt)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz minimize: %s: %v\n", file, err)
		if errors.Is(err, repro.ErrNoReproduction) {
			return 1
		}
		return 2
	}
	fmt.Fprintf(stdout, "title: %s [%s]\n", r.Title, r.Oracle)
	fmt.Fprintf(stdout, "%d candidates, %d kept, %d runs\n", r.Candidates, r.Accepted, r.Runs)
	for _, l := range r.Log {
		fmt.Fprintf(stdout, "  %s\n", l)
	}
	fmt.Fprintf(stdout, "result: %s; reliability %s\n\n", repro.Summary(r.Program), r.Reliability())
	stdout.Write([]byte(r.Program.String()))

	// The caller's clock: the minimizer and the store take the time they are given.
	now := time.Now().UTC().Truncate(time.Second)
	c := &repro.Crasher{Title: r.Title, Oracle: r.Oracle, Reproduced: r.Reproduced, Replays: r.Replays,
		FirstFound: now, Seen: 1, FoundBy: by, Program: r.Program}
	if stored != nil {
		c.FirstFound, c.Notes = stored.FirstFound, stored.Notes
	}
	if *out != "" {
		if err := repro.WriteFileAtomic(*out, c.Text(), 0o644); err != nil {
			fmt.Fprintf(stderr, "sockfuzz minimize: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", *out)
	}
	if *store != "" {
		s, err := repro.OpenStore(*store)
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz minimize: %v\n", err)
			return 2
		}
		got, isNew, err := s.Add(c, now)
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz minimize: %v\n", err)
			return 2
		}
		what := fmt.Sprintf("known title, seen %d times", got.Seen)
		if isNew {
			what = "new title"
		}
		fmt.Fprintf(stdout, "\nstored in %s (%s)\n", got.File, what)
	}
	return 0
}

// readProgramOrCrasher reads a stored crasher when the text starts with the crasher header,
// else a program.
func readProgramOrCrasher(file string, src []byte) (*repro.Program, *repro.Crasher, error) {
	for _, l := range bytes.Split(src, []byte("\n")) {
		t := strings.TrimSpace(string(l))
		if t == "" {
			continue
		}
		if t == repro.CrasherMagic {
			c, err := repro.ParseCrasher(file, src)
			if err != nil {
				return nil, nil, err
			}
			return c.Program, c, nil
		}
		break
	}
	p, err := repro.Parse(file, src)
	return p, nil, err
}
