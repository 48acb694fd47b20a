//go:build !race

package sched

import (
	"iter"
	"sync"
	"sync/atomic"
)

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

// coroutine runs Controlled threads' bodies: one, or with PoolThreads one after another, each
// from its first handoff until its body returns.
type coroutine struct {
	resume func() (struct{}, bool)
	stop   func()
	yield  func(struct{}) bool
	t      *Thread // the thread it runs; nil while idle in the pool
	parked bool    // idle after its thread's body returned, waiting in parkIdle for the next
}

// threadPool holds idle coroutines for later threads (PoolThreads). Making a coroutine and
// growing its stack to stackReserve was a tenth of an execution's CPU time (BenchmarkTargets/
// FuzzSockets: iter.Pull, the goroutine, copystack), for 8 threads an execution.
var threadPool struct {
	mu   sync.Mutex
	max  int
	idle []*coroutine
	on   atomic.Bool // max > 0
}

// PoolThreads keeps up to n idle coroutines (goroutines) for the Controlled threads of later
// executions, in this process, instead of a new one per thread; 0 (the default) keeps none
// and ends the idle ones. Pooling changes no execution. An idle coroutine is a parked
// goroutine whose stack holds IdleThreadFunc: a goroutine-leak check must ignore it. Every
// Run must then be called from goroutines not locked to an OS thread (runtime.LockOSThread,
// a cgo callback): a coroutine runs only on the thread-lock state it was made in. Race
// builds, whose threads are goroutines, keep none.
func PoolThreads(n int) {
	threadPool.mu.Lock()
	threadPool.max = max(n, 0)
	threadPool.on.Store(n > 0)
	var ended []*coroutine
	if len(threadPool.idle) > threadPool.max {
		ended = append(ended, threadPool.idle[threadPool.max:]...)
		clear(threadPool.idle[threadPool.max:])
		threadPool.idle = threadPool.idle[:threadPool.max]
	}
	threadPool.mu.Unlock()
	for _, c := range ended {
		c.stop()
	}
}

// idleThreads returns the number of idle coroutines in the pool.
func idleThreads() int {
	threadPool.mu.Lock()
	defer threadPool.mu.Unlock()
	return len(threadPool.idle)
}

// IdleThreadFunc is the function in whose frame an idle pooled coroutine waits (PoolThreads),
// as a goroutine dump names it: for goleak.IgnoreAnyFunction.
const IdleThreadFunc = "github.com/sockfuzz/sockfuzz/stack/sched.parkIdle"

// startControlled gives t a coroutine, from the pool if it has one; t's body runs at its
// first handoff. The stop function is not used on a running thread: every thread's body
// returns before its execution ends (teardownControlled).
func (e *Exec) startControlled(t *Thread) {
	var c *coroutine
	threadPool.mu.Lock()
	if n := len(threadPool.idle); n > 0 {
		c = threadPool.idle[n-1]
		threadPool.idle[n-1] = nil
		threadPool.idle = threadPool.idle[:n-1]
	}
	threadPool.mu.Unlock()
	if c == nil {
		c = new(coroutine)
		c.resume, c.stop = iter.Pull(func(yield func(struct{}) bool) {
			c.yield = yield
			c.loop()
		})
	}
	c.t, c.parked = t, false
	t.co = c
}

// loop runs the bodies of the threads given to c, parking in between while the pool takes
// them; it returns when c is not pooled.
func (c *coroutine) loop() {
	growStack(0)
	for {
		c.t.mainControlled()
		c.t = nil
		if !threadPool.on.Load() || !parkIdle(c) {
			return
		}
	}
}

// parkIdle hands control back to the driver with c idle, and returns true when c is given a
// new thread, false when it is to end.
//
//go:noinline
func parkIdle(c *coroutine) bool {
	c.parked = true
	return c.yield(struct{}{})
}

// release puts the idle coroutine c in the pool, or ends it when the pool is full.
func (c *coroutine) release() {
	threadPool.mu.Lock()
	if len(threadPool.idle) < threadPool.max {
		threadPool.idle = append(threadPool.idle, c)
		c = nil
	}
	threadPool.mu.Unlock()
	if c != nil {
		c.stop()
	}
}

// handTo suspends the running thread t and has drive run next (nil: back to Run); it returns
// when t runs again.
func (e *Exec) handTo(t, next *Thread) {
	e.next = next
	t.co.yield(struct{}{})
}

// drive runs threads on the calling goroutine (Run's), starting with next, each until it hands
// control to another (e.next) or back to Run (nil), or its body returns; the coroutine of a
// thread whose body returned goes back to the pool.
func (e *Exec) drive(next *Thread) {
	for next != nil {
		e.next = nil
		e.cur = next
		c := next.co
		c.resume()
		if c.parked {
			next.co = nil
			c.release()
		}
		next = e.next
	}
	e.cur = nil
}

// exited is the last thing a thread's body does: here nothing, drive goes on with e.next.
func (e *Exec) exited() {}
