package sched

import (
	"fmt"
	"reflect"
	"testing"

	"go.uber.org/goleak"
)

// choosers builds the chooser kinds under test for one seed.
var choosers = []struct {
	name string
	make func(seed uint64) Chooser
}{
	{"random", func(s uint64) Chooser { return Random(s) }},
	{"pct", func(s uint64) Chooser { return PCT(s, 3, 200) }},
	{"walk", func(s uint64) Chooser { return Walk(s, 8) }},
	{"syncpct", func(s uint64) Chooser { return SyncPCT(s, 3, 20) }},
	{"bytes", func(s uint64) Chooser {
		b := make([]byte, 64)
		x := s*0x9e3779b97f4a7c15 + 1
		for i := range b {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b[i] = byte(x)
		}
		return Bytes(b)
	}},
}

// run is a finished execution: its result and its event log.
type run struct {
	*Result
	Events []Event
}

// runToy runs the toy workload to its end.
func runToy(c Chooser) run {
	e, _ := toyWorkload(Config{Chooser: c, LogSize: 4096}, true)
	_, r := e.Finish()
	return run{r, e.Events()}
}

// sameExecution compares two results event for event.
func sameExecution(a, b run) error {
	if a.TraceHash != b.TraceHash || a.Steps != b.Steps || a.Status != b.Status {
		return fmt.Errorf("hash %x/%x steps %d/%d status %v/%v", a.TraceHash, b.TraceHash, a.Steps, b.Steps, a.Status, b.Status)
	}
	if !reflect.DeepEqual(a.Events, b.Events) {
		return fmt.Errorf("event logs differ")
	}
	if !reflect.DeepEqual(a.Races, b.Races) {
		return fmt.Errorf("race reports differ: %v vs %v", a.Races, b.Races)
	}
	if !reflect.DeepEqual(a.Choices, b.Choices) {
		return fmt.Errorf("choices differ")
	}
	return nil
}

func TestDeterminism(t *testing.T) {
	for _, c := range choosers {
		t.Run(c.name, func(t *testing.T) {
			hashes := map[uint64]bool{}
			for seed := uint64(0); seed < 1000; seed++ {
				a, b := runToy(c.make(seed)), runToy(c.make(seed))
				if err := sameExecution(a, b); err != nil {
					t.Fatalf("seed %d: two runs differ: %v", seed, err)
				}
				if len(a.Events) == 0 {
					t.Fatalf("seed %d: empty event log", seed)
				}
				hashes[a.TraceHash] = true
				if seed%250 == 0 {
					goleak.VerifyNone(t)
				}
			}
			// The schedules really vary: a chooser that ignored its seed would pass the
			// comparison above trivially.
			if len(hashes) < 50 {
				t.Errorf("only %d distinct executions in 1000 seeds", len(hashes))
			}
		})
	}
}

func TestReplayReproduces(t *testing.T) {
	for _, c := range choosers {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(0); seed < 300; seed++ {
				orig := runToy(c.make(seed))
				again := runToy(Replay(orig.Choices))
				if err := sameExecution(orig, again); err != nil {
					t.Fatalf("seed %d: replay of %d choices differs: %v", seed, len(orig.Choices), err)
				}
			}
		})
	}
}

// TestReplayFallsBack checks the fixed default: an exhausted or invalid replay list runs the
// current thread on, then the lowest-numbered one.
func TestReplayFallsBack(t *testing.T) {
	d := &Decision{Current: 2, Cands: []ID{ClockID, 1, 2, 3}}
	tests := []struct {
		name    string
		choices []ID
		index   int
		want    ID
	}{
		{"follows list", []ID{3}, 0, 3},
		{"clock when listed", []ID{ClockID}, 0, ClockID},
		{"exhausted keeps current", []ID{3}, 1, 2},
		{"invalid choice keeps current", []ID{9}, 0, 2},
	}
	for _, tc := range tests {
		d.Index = tc.index
		if got := Replay(tc.choices).Choose(d); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
	blocked := &Decision{Current: 0, Cands: []ID{ClockID, 1, 3}}
	if got := Default(blocked); got != 1 {
		t.Errorf("Default with the current thread blocked = %d, want 1", got)
	}
	if got := Default(&Decision{Current: 0, Cands: []ID{ClockID}}); got != ClockID {
		t.Errorf("Default with only the clock = %d, want the clock", got)
	}
}
