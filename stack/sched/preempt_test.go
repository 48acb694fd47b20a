package sched

import (
	"fmt"
	"testing"
)

// atomicIndices records, under Default's choices, the decision index of every contended
// decision where the running thread is about to write an atomic word.
type atomicIndices struct{ at []int }

func (a *atomicIndices) Choose(d *Decision) ID {
	if d.Kind == EvAtomic && d.Write && d.has(d.Current) {
		a.at = append(a.at, d.Index)
	}
	return Default(d)
}

// TestPreemptIsDemoteAtAtomics checks that Preempt's k-th preemption point is the k-th atomic
// decision that Result.Atomics counts: one preemption there gives the execution Demote gives at
// that decision's index.
func TestPreemptIsDemoteAtAtomics(t *testing.T) {
	rec := &atomicIndices{}
	e, _ := toyWorkload(Config{Chooser: rec, LogSize: 4096}, true)
	r := e.Run()
	if r.Atomics != len(rec.at) || r.Atomics < 1 {
		t.Fatalf("Result.Atomics = %d, recorded %d atomic write decisions (want equal, at least 1)", r.Atomics, len(rec.at))
	}
	for k, idx := range rec.at {
		p := &preempt{changes: []int{k + 1}}
		e1, _ := toyWorkload(Config{Chooser: p, LogSize: 4096}, true)
		e2, _ := toyWorkload(Config{Chooser: Demote([]int{idx}, false), LogSize: 4096}, true)
		h1, h2 := e1.Run().TraceHash, e2.Run().TraceHash
		if h1 != h2 {
			t.Errorf("preemption at atomic decision %d: trace %#x, Demote at index %d: %#x", k+1, h1, idx, h2)
		}
	}
}

// splitRMW runs two threads that each add one to a word by an atomic load then an atomic
// store, and returns the word's final value: 1 when an update was lost.
func splitRMW(c Chooser) uint64 {
	e := New(Config{Mode: Controlled, Chooser: c, StepBudget: 1000})
	w := e.NewWord("w", nil)
	for i := 0; i < 2; i++ {
		e.Go(fmt.Sprintf("t%d", i), func(t *Thread) {
			v := w.AtomicLoad(t, "load")
			w.AtomicStore(t, "store", v+1)
		})
	}
	e.Run()
	return w.Peek()
}

// TestPreemptSplitsReadModifyWrite checks the window Preempt is for: the default loses no
// update, and some of the first 20 seeds of Preempt with one preemption among the atomic
// decisions lose one.
func TestPreemptSplitsReadModifyWrite(t *testing.T) {
	if v := splitRMW(nil); v != 2 {
		t.Fatalf("default schedule: %d, want 2", v)
	}
	lost := 0
	for seed := uint64(1); seed <= 20; seed++ {
		if splitRMW(Preempt(seed, 2, 4)) == 1 {
			lost++
		}
	}
	if lost == 0 {
		t.Fatal("no seed of Preempt(seed, 2, 4) lost an update")
	}
}
