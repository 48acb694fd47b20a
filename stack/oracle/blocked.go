package oracle

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Blocked is the oracle of threads blocked when nothing can run: one whose wait predicate
// holds (sched.Blocked with PredTrue) was not woken when it should have been, a lost wakeup;
// one blocked on a mutex is a deadlock. A thread blocked with its condition false is
// legitimate (an accept with no client): the executor interrupts it.
type Blocked struct{}

// Quiescent implements Oracle.
func (Blocked) Quiescent(res *sched.Result, r *Reporter) { checkBlocked(res, r) }

// Finish implements Oracle: the first quiescence, and the end if it is one.
func (Blocked) Finish(end *End, r *Reporter) {
	if end.Quiescent != nil {
		checkBlocked(end.Quiescent, r)
	}
	if s := end.Result.Status; s == sched.Quiescent || s == sched.Aborted {
		checkBlocked(end.Result, r)
	}
}

// checkBlocked reports the threads of res blocked with their wait condition true, and those
// blocked on a mutex.
func checkBlocked(res *sched.Result, r *Reporter) {
	if res == nil {
		return
	}
	for _, b := range res.Blocked {
		// The titles are built only for a report: Stable's regular expressions, run for every
		// blocked thread at every quiescence, were 2% of a fuzzing run under -race.
		switch {
		case b.HasPred && b.PredTrue:
			r.Report(LostWakeup, fmt.Sprintf("lost wakeup: blocked in %s %s with condition true", Stable(b.Obj), b.Kind),
				fmt.Sprintf("thread %s#%d blocked in %s on %s with its wake condition true at quiescence",
					b.Name, b.Thread, b.Kind, b.Obj), b.Thread, res.Steps)
		case b.Kind == "mutex":
			r.Report(Deadlock, "deadlock: blocked on mutex "+Stable(b.Obj),
				fmt.Sprintf("thread %s#%d blocked on mutex %s at quiescence", b.Name, b.Thread, b.Obj),
				b.Thread, res.Steps)
		}
	}
}

// Stuck reports whether res shows a thread blocked with its condition true or on a mutex: the
// program then never reached its teardown, and what a target finds unfreed is a consequence,
// not a second bug.
func Stuck(res *sched.Result) bool {
	if res == nil {
		return false
	}
	for _, b := range res.Blocked {
		if b.HasPred && b.PredTrue || b.Kind == "mutex" {
			return true
		}
	}
	return false
}
