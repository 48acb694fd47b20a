package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// replayCmd is `sockfuzz replay [-mode controlled|free] [-runs N] [-trace N] [-target T]
// FILE...`: each program runs on its target (its own target line, else -target's, else bsd)
// with its own schedule and the verdict is printed with the interleaving that led
// to it; in free mode each runs N times and the failures are counted by title. Exit status 0
// when every run was clean, 1 when an oracle fired, 2 for a bad file or argument.
func replayCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "", "override the programs' mode: controlled or free")
	runs := fs.Int("runs", 1, "runs per program in free mode (1 to 100000)")
	traceN := fs.Int("trace", 300, "trace events to print, the last ones (0 for none)")
	tname := programTargetFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "sockfuzz replay: no program file given")
		return 2
	}
	if *mode != "" && *mode != "controlled" && *mode != "free" {
		fmt.Fprintf(stderr, "sockfuzz replay: -mode %q: want controlled or free\n", *mode)
		return 2
	}
	if *runs < 1 || *runs > 100000 {
		fmt.Fprintf(stderr, "sockfuzz replay: -runs %d: want 1 to 100000\n", *runs)
		return 2
	}
	if *traceN < 0 || *traceN > 1_000_000 {
		fmt.Fprintf(stderr, "sockfuzz replay: -trace %d: want 0 to 1000000\n", *traceN)
		return 2
	}
	status := 0
	for _, file := range fs.Args() {
		src, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz replay: %v\n", err)
			return 2
		}
		p, err := repro.Parse(file, src)
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz replay: %v\n", err)
			return 2
		}
		if _, err := programTarget(file, p, *tname); err != nil {
			fmt.Fprintf(stderr, "sockfuzz replay: %v\n", err)
			return 2
		}
		m := p.Header.Mode
		if *mode != "" {
			m = repro.Mode(*mode)
			p.Header.Mode = m // the execution reads the header: -mode controlled of a free program ran free
		}
		var failed bool
		if m == repro.Free {
			failed, err = replayFree(file, p, *runs, stdout)
		} else {
			failed, err = replayControlled(file, p, *traceN, stdout)
		}
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz replay: %s: %v\n", file, err)
			return 2
		}
		if failed {
			status = 1
		}
	}
	return status
}

// replayControlled runs a program once under its schedule and prints the verdict and trace.
func replayControlled(file string, p *repro.Program, traceN int, w io.Writer) (bool, error) {
	o, err := repro.Execute(p, repro.Options{LogSize: max(traceN, 1)})
	if err != nil {
		return false, err
	}
	r := o.Result
	fmt.Fprintf(w, "%s: %s, %d steps, %d decisions, virtual time %d ms\n", file, verdict(o), r.Steps, len(r.Choices), r.Now)
	for _, rep := range o.Reports {
		fmt.Fprintf(w, "  %s [%s]\n    %s\n", rep.Title, rep.Oracle, rep.Detail)
	}
	fmt.Fprintln(w, "  calls:")
	for _, c := range o.Calls {
		res := "not reached"
		if c.Done {
			res = fmt.Sprintf("= %d %v", c.N, c.Err)
		}
		fmt.Fprintf(w, "    %-4s %s %s\n", c.Proc, c.Call, res)
	}
	if traceN > 0 {
		printTrace(w, o, traceN)
	}
	return o.Failed(), nil
}

// replayFree runs a program n times in free mode and counts the failures by title.
func replayFree(file string, p *repro.Program, n int, w io.Writer) (bool, error) {
	titles := map[string]int{}
	failures := 0
	for i := 0; i < n; i++ {
		o, err := repro.Execute(p, repro.Options{Mode: repro.Free})
		if err != nil {
			return false, err
		}
		if o.Failed() {
			failures++
			titles[o.Title()]++
		}
	}
	fmt.Fprintf(w, "%s: free mode, %d of %d runs failed\n", file, failures, n)
	keys := make([]string, 0, len(titles))
	for k := range titles {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %5d  %s\n", titles[k], k)
	}
	return failures > 0, nil
}

func verdict(o *repro.Outcome) string {
	if o.Failed() {
		return fmt.Sprintf("FAILED (%d reports)", len(o.Reports))
	}
	return "clean"
}

// printTrace prints one labelled line per event, the last n, marking with '!' the steps where
// a racing access or a report was seen.
func printTrace(w io.Writer, o *repro.Outcome, n int) {
	marked := map[int]bool{}
	for _, race := range o.Result.Races {
		marked[race.Prev.Step], marked[race.Cur.Step] = true, true
	}
	for _, rep := range o.Reports {
		marked[rep.Step] = true
	}
	evs := o.Events
	if len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	if o.Result.Steps > len(evs) {
		fmt.Fprintf(w, "  trace: the last %d of %d steps\n", len(evs), o.Result.Steps)
	} else {
		fmt.Fprintf(w, "  trace: %d events\n", len(evs))
	}
	for _, ev := range evs {
		mark := " "
		if marked[ev.Step] {
			mark = "!"
		}
		fmt.Fprintf(w, "  %s %6d  %-12s %-9s %-28s %s\n", mark, ev.Step, threadName(o, ev.Thread), ev.Kind, ev.Site, ev.Obj)
	}
}

func threadName(o *repro.Outcome, id sched.ID) string {
	if id == sched.ClockID {
		return "clock"
	}
	if int(id) >= 0 && int(id) < len(o.Threads) {
		return o.Threads[id]
	}
	return fmt.Sprintf("t%d", id)
}
