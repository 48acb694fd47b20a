//go:build race

package sched

// Race builds hand control between Controlled threads through channels, each thread a
// goroutine (see handoff_coro.go for why not coroutines there).

// chanHandoff tells whether Controlled threads hand off through channels (race builds).
const chanHandoff = true

// startControlled starts t's goroutine; its body runs at t's first handoff.
func (e *Exec) startControlled(t *Thread) {
	t.wake = make(chan struct{}, 1)
	go func() {
		growStack(0)
		<-t.wake
		t.mainControlled()
	}()
}

// handTo suspends the running thread t and runs next (nil: back to Run); it returns when t
// runs again.
func (e *Exec) handTo(t, next *Thread) {
	e.next = next
	e.wakeNext()
	<-t.wake
}

// wakeNext hands control to e.next, or to Run when it is nil.
func (e *Exec) wakeNext() {
	e.cur = e.next
	if e.next != nil {
		e.next.wake <- struct{}{}
	} else {
		e.ctl <- ctlStop
	}
}

// drive runs next and waits until a thread hands control back to Run.
func (e *Exec) drive(next *Thread) {
	e.cur = next
	next.wake <- struct{}{}
	<-e.ctl
}

// exited is the last thing a thread's body does: it hands control to e.next.
func (e *Exec) exited() { e.wakeNext() }

// coroutine is a Controlled thread's coroutine, which race builds do not have.
type coroutine struct{}

// PoolThreads is a no-op in race builds, whose Controlled threads are goroutines (see
// handoff_coro.go).
func PoolThreads(n int) {}

// IdleThreadFunc names the frame an idle pooled coroutine waits in (handoff_coro.go).
const IdleThreadFunc = "github.com/sockfuzz/sockfuzz/stack/sched.parkIdle"

// idleThreads returns the number of idle pooled coroutines: none in race builds.
func idleThreads() int { return 0 }
