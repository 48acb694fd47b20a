package netstack

import (
	"strconv"
	"sync"
	"time"

	"github.com/sockfuzz/sockfuzz/stack/netstack/control"
	"github.com/sockfuzz/sockfuzz/stack/sched"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// tick is the length of one sched tick in netstack's time: one millisecond, as the model
// reads it.
const tick = time.Millisecond

// clock is netstack's tcpip.Clock for one execution. In Controlled mode it runs on the
// substrate's virtual clock: a timer is a sched.Timer, and firing starts a thread for the
// function, as the contract ("calls f in its own goroutine") asks, so that one f blocked on an
// endpoint lock holds no later timer back. In Free mode it is real time (one tick a
// millisecond) with time.AfterFunc, and it keeps count of the functions running, so that the
// instance can join them before the execution ends.
type clock struct {
	e     *sched.Exec
	free  bool
	start time.Time // Free: the origin of Now

	mu      sync.Mutex // guards the fields below; no scheduling point inside
	timers  []*timer   // every timer made, for settling (Controlled) and stopping (Free)
	n       int        // timers made, for names
	running int        // Free: timer functions running
	closed  bool       // Free: stopped; no timer function starts any more
	idle    *sync.Cond // Free: signalled when running drops to 0

	// onFire runs on the callout thread as a timer fires (Controlled), before its function's
	// thread starts: the instance's watch on time passing with no progress.
	onFire func()

	fns []*sched.Thread // Controlled: the threads of timer functions started and not yet joined
}

// joinFunctions waits, on t, for every timer function's thread to exit, those they start
// included (Controlled): a fired timer's function may still be running, or not yet have run,
// when no timer is armed any more; teardown's checks must come after it.
func (c *clock) joinFunctions(t *sched.Thread) {
	for len(c.fns) > 0 {
		th := c.fns[0]
		c.fns = c.fns[1:]
		_ = t.Join(th)
	}
}

func newClock(e *sched.Exec) *clock {
	c := &clock{e: e, free: e.Mode() == sched.Free, start: time.Now()}
	c.idle = sync.NewCond(&c.mu)
	return c
}

// elapsed is the time since the execution's origin.
func (c *clock) elapsed() time.Duration {
	if c.free {
		return time.Since(c.start)
	}
	return time.Duration(c.e.Now()) * tick
}

// Now implements tcpip.Clock.
func (c *clock) Now() time.Time { return time.Unix(0, 0).Add(c.elapsed()) }

// NowMonotonic implements tcpip.Clock.
func (c *clock) NowMonotonic() tcpip.MonotonicTime { return tcpip.MonotonicTime{}.Add(c.elapsed()) }

// ticks converts d to whole ticks, rounded up, so that a positive delay never fires now.
func ticks(d time.Duration) sched.Duration {
	if d <= 0 {
		return 0
	}
	return sched.Duration((d + tick - 1) / tick)
}

// AfterFunc implements tcpip.Clock.
func (c *clock) AfterFunc(d time.Duration, f func()) tcpip.Timer {
	c.mu.Lock()
	c.n++
	n := c.n
	c.mu.Unlock()
	tm := &timer{c: c, f: f}
	if c.free {
		tm.rt = time.AfterFunc(d, tm.fireFree)
	} else {
		name := "timer:" + caller() + "#" + strconv.Itoa(n)
		tm.st = c.e.NewTimer(name, func(th *sched.Thread) {
			if c.onFire != nil {
				c.onFire()
			}
			c.fns = append(c.fns, th.Go(name, func(*sched.Thread) { f() }))
		})
		tm.when = c.e.Now() + ticks(d)
		_ = tm.st.Reset(c.e.Current(), ticks(d))
	}
	c.mu.Lock()
	c.timers = append(c.timers, tm)
	c.mu.Unlock()
	return tm
}

// caller names the gVisor function that armed a timer, for the timer's name: its package and
// function, without the path.
func caller() string { return control.FuncName(2) }

// nextDeadline returns the earliest deadline of an armed timer (Controlled mode).
func (c *clock) nextDeadline() (sched.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best sched.Duration
	found := false
	for _, tm := range c.timers {
		if tm.st != nil && tm.st.Armed() && (!found || tm.when < best) {
			best, found = tm.when, true
		}
	}
	return best, found
}

// stopFree stops every real timer and waits for the timer functions already running, so that
// no goroutine of the execution's clock outlives it (Free mode).
func (c *clock) stopFree() {
	c.mu.Lock()
	c.closed = true
	for _, tm := range c.timers {
		if tm.rt != nil {
			tm.rt.Stop()
		}
	}
	for c.running > 0 {
		c.idle.Wait()
	}
	c.mu.Unlock()
}

// timer is a tcpip.Timer of clock: a sched.Timer (Controlled) or a time.Timer (Free).
type timer struct {
	c    *clock
	f    func()
	st   *sched.Timer
	when sched.Duration // Controlled: the deadline, for settling
	rt   *time.Timer
}

func (tm *timer) fireFree() {
	c := tm.c
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.running++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.running--
		if c.running == 0 {
			c.idle.Broadcast()
		}
		c.mu.Unlock()
	}()
	tm.f()
}

// Stop implements tcpip.Timer.
func (tm *timer) Stop() bool {
	if tm.rt != nil {
		return tm.rt.Stop()
	}
	return tm.st.Stop(tm.c.e.Current())
}

// Reset implements tcpip.Timer.
func (tm *timer) Reset(d time.Duration) {
	if tm.rt != nil {
		tm.rt.Reset(d)
		return
	}
	tm.c.mu.Lock()
	tm.when = tm.c.e.Now() + ticks(d)
	tm.c.mu.Unlock()
	_ = tm.st.Reset(tm.c.e.Current(), ticks(d))
}
