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
	if e.next != nil {
		e.next.wake <- struct{}{}
	} else {
		e.ctl <- ctlStop
	}
}

// drive runs next and waits until a thread hands control back to Run.
func (e *Exec) drive(next *Thread) {
	next.wake <- struct{}{}
	<-e.ctl
}

// exited is the last thing a thread's body does: it hands control to e.next.
func (e *Exec) exited() { e.wakeNext() }
