//go:build sockfuzz_hooked

package netstack_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// watchdog bounds one controlled execution: a block the hooks miss (a channel, a standard
// mutex, a WaitGroup with a count) hangs the process instead of ending quiescent.
const watchdog = 30 * time.Second

// executeWatched executes p with options opt, failing with every goroutine's stack if it does
// not end within the watchdog.
func executeWatched(t *testing.T, name string, p *repro.Program, opt repro.Options) *repro.Outcome {
	t.Helper()
	type res struct {
		o   *repro.Outcome
		err error
	}
	done := make(chan res, 1)
	go func() {
		o, err := repro.Execute(p, opt)
		done <- res{o, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		return r.o
	case <-time.After(watchdog):
		buf := make([]byte, 1<<20)
		t.Fatalf("%s: no end in %v: a block the hooks do not see\n%s", name, watchdog, buf[:runtime.Stack(buf, true)])
		return nil
	}
}

// TestNetstackControlled runs the adapter's programs in Controlled mode on the hooked build,
// under the default schedule and random ones: every execution ends with every thread gone and
// no report, and the same schedule gives the same trace each time.
func TestNetstackControlled(t *testing.T) {
	names, _ := filepath.Glob("testdata/*.prog") // the free-mode programs, under random schedules
	for _, file := range names {
		t.Run(filepath.Base(file), func(t *testing.T) {
			p := readProgram(t, file)
			p.Header.Mode = repro.Controlled
			for seed := uint64(0); seed < 5; seed++ {
				p.Header.Sched = repro.Schedule{Kind: sched.KindRandom, Seed: seed}
				var hash uint64
				for run := 0; run < 3; run++ {
					o := executeWatched(t, file, p, repro.Options{})
					for _, r := range o.Reports {
						t.Errorf("seed %d: report %v", seed, r)
					}
					if o.Live != 0 {
						t.Fatalf("seed %d: %d threads alive: %v", seed, o.Live, o.Alive)
					}
					if run == 0 {
						hash = o.Result.TraceHash
					} else if o.Result.TraceHash != hash {
						t.Fatalf("seed %d: run %d trace %x, first %x: not deterministic", seed, run, o.Result.TraceHash, hash)
					}
				}
				t.Logf("seed %d: trace %x", seed, hash)
			}
		})
	}
}

// TestNetstackDeterminism replays every corpus seed netstack can express, in Controlled mode
// under its own schedule, 100 times: each gives one trace hash, and no thread or goroutine of
// gVisor survives an execution. On a second hash it shows where the two traces part.
func TestNetstackDeterminism(t *testing.T) {
	tgt := stack.MustLookup("netstack")
	runs := 100
	if testing.Short() {
		runs = 10
	}
	n := 0
	for _, s := range append(corpus.Seeds(), corpus.TargetSeeds("netstack")...) {
		p, err := s.Program()
		if err != nil {
			t.Fatal(err)
		}
		q := *p
		q.Header.Target, q.Header.Mode, q.Header.Faults = "netstack", repro.Controlled, nil
		if repro.ValidateTarget(&q, tgt) != nil {
			continue
		}
		n++
		var first *repro.Outcome
		for run := 0; run < runs; run++ {
			o := executeWatched(t, s.Name, &q, repro.Options{})
			if o.Live != 0 {
				t.Fatalf("%s: %d threads alive: %v", s.Name, o.Live, o.Alive)
			}
			if first == nil {
				first = o
				for _, r := range o.Reports {
					t.Logf("%s: report %s (%s)", s.Name, r.Title, r.Oracle)
				}
				continue
			}
			if o.Result.TraceHash != first.Result.TraceHash {
				t.Fatalf("%s: run %d trace %x, first %x: not deterministic\n%s", s.Name, run,
					o.Result.TraceHash, first.Result.TraceHash, divergence(t, s.Name, &q))
			}
		}
		goleak.VerifyNone(t, goleak.IgnoreAnyFunction(sched.IdleThreadFunc))
	}
	if n == 0 {
		t.Fatal("no seed expressible on netstack")
	}
	t.Logf("%d seeds, %d replays each, one trace each", n, runs)
}

// divergence executes p with event logs until two traces differ, and shows the events around
// the first difference.
func divergence(t *testing.T, name string, p *repro.Program) string {
	logOf := func() []string {
		o := executeWatched(t, name, p, repro.Options{LogSize: 1 << 20})
		var log []string
		for _, ev := range o.Events {
			who := "clock"
			if ev.Thread >= 0 {
				who = o.Threads[ev.Thread]
			}
			log = append(log, fmt.Sprintf("%-10s %v", who, ev))
		}
		return log
	}
	first := logOf()
	for try := 0; try < 50; try++ {
		log := logOf()
		for j := range max(len(first), len(log)) {
			if j < len(first) && j < len(log) && first[j] == log[j] {
				continue
			}
			var b strings.Builder
			for k := max(0, j-4); k < j+4; k++ {
				if k < len(first) {
					fmt.Fprintf(&b, "A %s\n", first[k])
				}
			}
			for k := max(0, j-4); k < j+4; k++ {
				if k < len(log) {
					fmt.Fprintf(&b, "B %s\n", log[k])
				}
			}
			return b.String()
		}
	}
	return "(no difference in 50 logged runs)"
}

// TestNetstackRegressions replays, under their own schedules, the programs that once failed
// with faults off because of the adapter or the substrate (testdata/regress): each runs clean.
func TestNetstackRegressions(t *testing.T) {
	names, _ := filepath.Glob("testdata/regress/*.prog")
	if len(names) == 0 {
		t.Fatal("no regression program")
	}
	for _, file := range names {
		o := executeWatched(t, file, readProgram(t, file), repro.Options{})
		for _, r := range o.Reports {
			t.Errorf("%s: %v", file, r)
		}
		if o.Live != 0 {
			t.Errorf("%s: %d threads alive", file, o.Live)
		}
	}
}

// TestSearchFaultsOffClean runs sockfuzz search's systematic schedules, one change point each,
// on testdata/regress/demote-two-spinners.prog with faults off: none reports. Its Demote
// chooser once let two spinning TCP processors starve the demoted holder of their lock, a
// livelock of the chooser that it reported as the stack's.
func TestSearchFaultsOffClean(t *testing.T) {
	file := filepath.Join("testdata", "regress", "demote-two-spinners.prog")
	res, err := repro.Search(readProgram(t, file), repro.Options{}, repro.SearchConfig{Changes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Found {
		t.Fatalf("%s: %s with change points at %v (clock first %v), faults off", file, res.Outcome.Title(), res.At, res.ClockFirst)
	}
	if res.Runs < res.Decisions {
		t.Fatalf("%s: %d runs over %d decisions: the search stopped early", file, res.Runs, res.Decisions)
	}
}

// TestStackCloseControlled runs testdata/stackclose.prog in Controlled mode: under the default
// schedule p0 is blocked in recv when stackclose comes and its calls give stackCloseCalls;
// under random schedules stackclose comes anywhere in the program. Every execution ends clean
// (the leak, dangling-endpoint and held-queue oracles included, after Teardown closed the
// stack a second time), with every thread gone, and replays to the same trace.
func TestStackCloseControlled(t *testing.T) {
	p := readProgram(t, filepath.Join("testdata", "stackclose.prog"))
	p.Header.Mode = repro.Controlled
	o := executeWatched(t, "stackclose.prog", p, repro.Options{})
	checkClean(t, "default schedule", o)
	check(t, o, "p0", stackCloseCalls...)
	for seed := uint64(0); seed < 20; seed++ {
		p.Header.Sched = repro.Schedule{Kind: sched.KindRandom, Seed: seed}
		o := executeWatched(t, "stackclose.prog", p, repro.Options{})
		checkClean(t, fmt.Sprintf("seed %d", seed), o)
		if again := executeWatched(t, "stackclose.prog", p, repro.Options{}); again.Result.TraceHash != o.Result.TraceHash {
			t.Errorf("seed %d: trace %x, then %x: not deterministic", seed, o.Result.TraceHash, again.Result.TraceHash)
		}
	}
}

// TestUnreachControlled runs testdata/unreach.prog under random schedules until one has the
// wire script's unreach find the retransmitted SYN still in flight (its tick and the
// retransmission timer end at the same virtual time; the schedule orders the wire script and
// the wire thread): connect then fails with EHOSTUNREACH. Otherwise unreach does nothing and
// connect times out. Every execution is clean, and the one that hit replays to the same trace
// and result.
func TestUnreachControlled(t *testing.T) {
	p := readProgram(t, filepath.Join("testdata", "unreach.prog"))
	p.Header.Mode = repro.Controlled
	hit := -1
	for seed := uint64(0); seed < 200 && hit < 0; seed++ {
		p.Header.Sched = repro.Schedule{Kind: sched.KindRandom, Seed: seed}
		o := executeWatched(t, "unreach.prog", p, repro.Options{})
		checkClean(t, fmt.Sprintf("seed %d", seed), o)
		switch c := result(o, "p0", 1); c.Err {
		case stack.EHOSTUNREACH:
			hit = int(seed)
			again := executeWatched(t, "unreach.prog", p, repro.Options{})
			if again.Result.TraceHash != o.Result.TraceHash || result(again, "p0", 1).Err != stack.EHOSTUNREACH {
				t.Errorf("seed %d: the replay differs", seed)
			}
			// SO_ERROR still holds the error: onICMPError set it besides the hard error that
			// connect's second Connect took.
			check(t, o, "p0", ok, want{-1, stack.EHOSTUNREACH}, want{int(stack.EHOSTUNREACH), 0}, zero)
		case stack.ETIMEDOUT:
		default:
			t.Errorf("seed %d: connect %v, want EHOSTUNREACH or ETIMEDOUT", seed, c.Err)
		}
	}
	if hit < 0 {
		t.Fatal("no schedule of 200 had unreach find the SYN in flight")
	}
	t.Logf("seed %d: connect EHOSTUNREACH", hit)
}

// checkClean fails the test for a report or a thread left alive.
func checkClean(t *testing.T, what string, o *repro.Outcome) {
	t.Helper()
	for _, r := range o.Reports {
		t.Errorf("%s: report %v", what, r)
	}
	if o.Live != 0 {
		t.Errorf("%s: %d threads alive: %v", what, o.Live, o.Alive)
	}
}
