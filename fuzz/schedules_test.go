package fuzz

import (
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// witness returns a witness program with its explicit schedule replaced by the default one,
// under which it runs clean: only a derived schedule can expose its fault.
func witness(t *testing.T, fault string) *repro.Program {
	t.Helper()
	c, err := corpus.Witness(fault)
	if err != nil {
		t.Fatal(err)
	}
	p := *c.Program
	p.Header.Sched = repro.Schedule{Kind: repro.SchedDefault}
	out, err := repro.Execute(&p, repro.Options{StepBudget: StepBudget})
	if err != nil || out.Failed() {
		t.Fatalf("%s under the default schedule: %v %q, want a clean run", fault, err, out.Title())
	}
	return &p
}

// TestExploreReplays checks the exploration's contract: the same input explores the same
// way, a failure found under a derived schedule is returned with a program that replays it
// (a named schedule or, for a walk, explicit choices), and its title is the one replayed.
func TestExploreReplays(t *testing.T) {
	tests := []struct {
		fault string
		kind  repro.SchedKind // the schedule kind of the returned program wanted
		index int             // the derived schedule wanted, 0 for any
	}{
		{"fioasync-rmw", repro.SchedRandom, 0},
		{"wakeup-before-append", repro.SchedPCT, 0},
		{"accept-ref-late", repro.SchedWalk, 0},
		{"predicate-wakeup-race", repro.SchedSyncPCT, 4}, // the cycle's fourth
		{"listen-close-drain", sched.KindPreempt, 5},     // the cycle's fifth
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			p := witness(t, tc.fault)
			for k := 0; k < 2000; k++ {
				data := []byte{0x5a, byte(k), byte(k >> 8)} // the hash skips the first byte (inputHash)
				x, err := Explore(p, data, 8, repro.Options{StepBudget: StepBudget})
				if err != nil {
					t.Fatal(err)
				}
				if !x.Outcome.Failed() || x.Program.Header.Sched.Kind != tc.kind || tc.index != 0 && x.Index != tc.index {
					continue
				}
				if x.Index == 0 || x.Runs != x.Index+1 {
					t.Fatalf("input %x failed at schedule %d after %d runs", data, x.Index, x.Runs)
				}
				again, err := Explore(p, data, 8, repro.Options{StepBudget: StepBudget})
				if err != nil || again.Index != x.Index || again.Outcome.Result.TraceHash != x.Outcome.Result.TraceHash {
					t.Fatalf("input %x explored twice: schedule %d then %d, or another execution", data, x.Index, again.Index)
				}
				out, err := repro.Execute(x.Program, repro.Options{StepBudget: StepBudget})
				if err != nil {
					t.Fatal(err)
				}
				if out.Title() != x.Outcome.Title() || out.Result.TraceHash != x.Outcome.Result.TraceHash {
					t.Fatalf("the returned program replays to %q, the exploration found %q", out.Title(), x.Outcome.Title())
				}
				if !strings.Contains(x.Program.String(), "derived from the input's bytes") {
					t.Errorf("the returned program does not say where its schedule came from:\n%s", x.Program)
				}
				return
			}
			t.Fatalf("no input of 2000 exposed %s under a derived %s schedule", tc.fault, tc.kind)
		})
	}
}

// TestExploreCounts checks how many executions an input gets: n in controlled mode, stopping
// at a failure, and one in free mode, where there is no schedule to vary.
func TestExploreCounts(t *testing.T) {
	p := witness(t, "accept-ref-late")
	p.Header.Faults = nil
	tests := []struct {
		mode repro.Mode
		n    int
		want int
	}{
		{repro.Controlled, 1, 1},
		{repro.Controlled, 6, 6},
		{repro.Controlled, 0, 1},
		{repro.Free, 6, 1},
	}
	for _, tc := range tests {
		x, err := Explore(p, []byte("clean"), tc.n, repro.Options{Mode: tc.mode, StepBudget: StepBudget})
		if err != nil {
			t.Fatal(err)
		}
		if x.Runs != tc.want || x.Outcome.Failed() || x.Index != 0 || x.Program != p {
			t.Errorf("%s n=%d: %d runs (want %d), failed %v, index %d", tc.mode, tc.n, x.Runs, tc.want, x.Outcome.Failed(), x.Index)
		}
	}
}

// TestSweep checks the seeds' sweep: every single preemption at an atomic decision of a
// witness whose window is one (listen-close-drain) finds its fault and returns a program that
// replays it, saying where its schedule came from; with the fault off the sweep runs clean,
// one execution per atomic decision; the sweep is bounded by SweepPoints.
func TestSweep(t *testing.T) {
	p := witness(t, "listen-close-drain")
	opt := repro.Options{StepBudget: StepBudget}
	own0, err := repro.Execute(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	own := Own{Steps: own0.Result.Steps, Atomics: own0.Result.Atomics}
	if own.Atomics == 0 || own.Atomics > SweepPoints {
		t.Fatalf("%d atomic decisions: the test wants 1 to %d", own.Atomics, SweepPoints)
	}
	x, err := Sweep(p, own, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Outcome.Failed() || x.Index >= 0 || x.Runs != -x.Index {
		t.Fatalf("sweep: failed %v at index %d after %d runs, want a failure at -k after k runs", x.Outcome.Failed(), x.Index, x.Runs)
	}
	out, err := repro.Execute(x.Program, opt)
	if err != nil || out.Title() != x.Outcome.Title() {
		t.Fatalf("the returned program replays to %q (%v), the sweep found %q", out.Title(), err, x.Outcome.Title())
	}
	if !strings.Contains(x.Program.String(), "the harness's sweep of its seeds") {
		t.Errorf("the returned program does not say where its schedule came from:\n%s", x.Program)
	}

	clean := *p
	clean.Header.Faults = nil
	x, err = Sweep(&clean, own, opt)
	if err != nil || x.Outcome.Failed() || x.Runs != own.Atomics {
		t.Fatalf("faults off: err %v, failed %v (%q), %d runs, want clean after %d", err, x.Outcome.Failed(), x.Outcome.Title(), x.Runs, own.Atomics)
	}
	x, err = Sweep(&clean, Own{Steps: own.Steps, Atomics: 10 * SweepPoints}, opt)
	if err != nil || x.Runs != SweepPoints {
		t.Fatalf("with %d atomic decisions: %d runs (%v), want %d", 10*SweepPoints, x.Runs, err, SweepPoints)
	}
}

// TestExploreInputSweepsSeeds checks that the sweep is the seeds' only: ExploreInput sweeps
// when told the input is a seed (and IsSeed tells the target's seeds from other inputs), so
// that a tool running an input again sees what the target saw.
func TestExploreInputSweepsSeeds(t *testing.T) {
	seeds := HarnessFor(Sockets).Seeds()
	if len(seeds) == 0 || !IsSeed(Sockets, seeds[0]) {
		t.Fatalf("%d seeds; the first not a seed", len(seeds))
	}
	other := append([]byte{}, seeds[0]...)
	other = append(other, 0x5a)
	if IsSeed(Sockets, other) {
		t.Fatal("a seed with one more byte is taken for a seed")
	}
	p := witness(t, "listen-close-drain")
	opt := repro.Options{StepBudget: StepBudget}
	data := []byte{0x5a, 1, 2}
	plain, err := ExploreInput(p, data, 1, opt, false)
	if err != nil || plain.Runs != 1 || plain.Outcome.Failed() {
		t.Fatalf("not a seed: %d runs, failed %v (%v), want 1 clean run", plain.Runs, plain.Outcome.Failed(), err)
	}
	swept, err := ExploreInput(p, data, 1, opt, true)
	if err != nil || !swept.Outcome.Failed() || swept.Index >= 0 {
		t.Fatalf("a seed: failed %v at index %d (%v), want the sweep's failure", swept.Outcome.Failed(), swept.Index, err)
	}
}
