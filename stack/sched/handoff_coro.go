//go:build !race

package sched

import "iter"

// In Controlled mode each thread is a coroutine (iter.Pull) driven by the goroutine that calls
// Run: exactly one thread runs at a time, so a handoff needs no scheduler, only the runtime's
// coroutine switch, twice (to Run's goroutine, then to the next thread): 120 ns per switching
// scheduling point against 200 ns through channels (BenchmarkPointSwitch/controlled, one P).
// It also keeps a libFuzzer build on the OS thread of its callback: a channel handoff from the
// callback's locked goroutine moved the P to another OS thread and back.
//
// Race builds use goroutines and channels instead (handoff_chan.go): the race runtime does not
// release a finished coroutine's state (runtime.coroexit skips racegoend), 45 KB per thread
// (1.2 GB for TestTraceHashes).

// chanHandoff tells whether Controlled threads hand off through channels (race builds).
const chanHandoff = false

// startControlled makes t's coroutine; its body runs at t's first handoff. The stop function
// is not kept: every thread's body returns before its execution ends (teardownControlled).
func (e *Exec) startControlled(t *Thread) {
	t.resume, _ = iter.Pull(func(yield func(struct{}) bool) {
		t.yield = yield
		t.mainControlled()
	})
}

// handTo suspends the running thread t and has drive run next (nil: back to Run); it returns
// when t runs again.
func (e *Exec) handTo(t, next *Thread) {
	e.next = next
	t.yield(struct{}{})
}

// drive runs threads on the calling goroutine (Run's), starting with next, each until it hands
// control to another (e.next) or back to Run (nil), or its body returns.
func (e *Exec) drive(next *Thread) {
	for next != nil {
		e.next = nil
		next.resume()
		next = e.next
	}
}

// exited is the last thing a thread's body does: here nothing, drive goes on with e.next.
func (e *Exec) exited() {}
