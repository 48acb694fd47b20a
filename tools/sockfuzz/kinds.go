package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
)

// kindsCmd is `sockfuzz kinds [flags] FILE...`: how often each kind of derived schedule exposes
// each program's failure. Each program (a witness, a crasher) runs under its own schedule
// replaced by the default one, for the estimates the derived schedules take (steps, atomic
// decisions); then -runs schedules of each kind, seeds 1 to -runs, each counted when it fails
// with the file's stored title (a crasher's) or any report. The evidence behind the fuzz
// package's cycle of derived schedules. Exit status 0, 2 for a bad file or argument.
func kindsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kinds", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 300, "schedules of each kind per program (1 to 1000000)")
	kinds := fs.String("kinds", strings.Join(fuzz.CycleKinds(), ","), "kinds to measure, comma-separated: random, pctN, syncpctN, walkN, preemptN")
	tname := programTargetFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "sockfuzz kinds: want one or more program files")
		return 2
	}
	if *runs < 1 || *runs > 1_000_000 {
		fmt.Fprintf(stderr, "sockfuzz kinds: -runs %d: want 1 to 1000000\n", *runs)
		return 2
	}
	var specs []string
	for _, k := range strings.Split(*kinds, ",") {
		k = strings.TrimSpace(k)
		if _, err := fuzz.KindSchedule(k, 1, fuzz.Own{Steps: 1, Atomics: 1}); err != nil {
			fmt.Fprintf(stderr, "sockfuzz kinds: -kinds: %v\n", err)
			return 2
		}
		specs = append(specs, k)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "program\tsteps\tatomics\tdefault\t%s\t\n", strings.Join(specs, "\t"))
	for _, file := range fs.Args() {
		row, err := kindsRow(file, *tname, specs, *runs)
		if err != nil {
			tw.Flush()
			fmt.Fprintf(stderr, "sockfuzz kinds: %v\n", err)
			return 2
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "each cell: runs that failed with the program's title, of %d; default FAILS: the default schedule exposes it already\n", *runs)
	return 0
}

// kindsRow measures one program: its name, estimates, and hits per kind, tab-separated.
func kindsRow(file, tname string, specs []string, runs int) (string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	p, c, err := readProgramOrCrasher(file, src)
	if err != nil {
		return "", err
	}
	if _, err := programTarget(file, p, tname); err != nil {
		return "", err
	}
	title := ""
	if c != nil {
		title = c.Title
	}
	base := *p
	base.Header.Sched = repro.Schedule{Kind: repro.SchedDefault}
	out, err := repro.Execute(&base, repro.Options{})
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, err)
	}
	own := fuzz.Own{Steps: out.Result.Steps, Atomics: out.Result.Atomics}
	def := "clean"
	if out.Failed() && (title == "" || out.HasTitle(title)) {
		def = "FAILS" // every kind near the default's order inherits it: not evidence
	}
	cells := []string{file, fmt.Sprint(own.Steps), fmt.Sprint(own.Atomics), def}
	for _, k := range specs {
		hits := 0
		for seed := uint64(1); seed <= uint64(runs); seed++ {
			q := base
			q.Header.Sched, _ = fuzz.KindSchedule(k, seed, own)
			o, err := repro.Execute(&q, repro.Options{})
			if err != nil {
				return "", fmt.Errorf("%s under %s: %w", file, q.Header.Sched.String(), err)
			}
			if o.Failed() && (title == "" || o.HasTitle(title)) {
				hits++
			}
		}
		cells = append(cells, fmt.Sprint(hits))
	}
	return strings.Join(cells, "\t") + "\t", nil
}
