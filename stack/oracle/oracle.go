package oracle

import "github.com/sockfuzz/sockfuzz/stack/sched"

// Oracle is one check of an execution. It looks at the execution each time no thread can run
// (Quiescent, before the blocked threads are interrupted) and once at its end (Finish).
// Oracles that watch a stack's events as they happen get them from their target, not through
// this interface: the events are the target's own.
type Oracle interface {
	// Quiescent looks at a quiescent result of the execution.
	Quiescent(res *sched.Result, r *Reporter)
	// Finish looks at the execution's end.
	Finish(end *End, r *Reporter)
}

// End is what an execution ended with.
type End struct {
	// Result is the execution's final result.
	Result *sched.Result
	// Quiescent is its first quiescent result (sched.Exec.Finish's first value), or nil.
	Quiescent *sched.Result
}

// Settled reports whether the execution ended with every thread at rest: done, or quiescent
// (and then interrupted or aborted). After a budget stop or a panic the threads were torn down
// wherever they were and the state may be mid-update: state checks skip it.
func (e *End) Settled() bool {
	s := e.Result.Status
	return s == sched.Done || s == sched.Quiescent || s == sched.Aborted
}

// Generic returns the generic oracles, in the order they judge: data races, crashes (panics,
// with classify naming a target's own assertions, substrate misuse, budget) and blocked
// threads. classify may be nil.
func Generic(classify PanicClassifier) []Oracle {
	return []Oracle{Races{}, Crashes{Classify: classify}, Blocked{}}
}
