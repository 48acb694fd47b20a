package sched

// CalloutThread is the name of the thread that fires an execution's timers.
const CalloutThread = "callout"

// Duration is virtual time, in ticks (the stack reads a tick as one millisecond).
type Duration int64

// Timer is a callout: when armed and its deadline comes, its function runs on the execution's
// callout thread. Timers fire in deadline order, ties in order of creation.
type Timer struct {
	e     *Exec
	name  string
	fn    func(*Thread)
	seq   int
	when  Duration
	armed bool
	vc    vclock // clock of the thread that armed it, passed to the callout
}

// NewTimer returns a disarmed timer that runs fn on the callout thread when it fires.
func (e *Exec) NewTimer(name string, fn func(*Thread)) *Timer {
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	e.ntimers++
	if e.mem != nil {
		tm := e.mem.timers.get()
		tm.e, tm.name, tm.fn, tm.seq = e, name, fn, e.ntimers
		return tm
	}
	return &Timer{e: e, name: name, fn: fn, seq: e.ntimers}
}

// Name returns the timer's name.
func (tm *Timer) Name() string { return tm.name }

// Reset arms the timer to fire d from now (callout_reset), replacing any earlier deadline.
// t is the calling thread, or nil before the execution runs.
func (tm *Timer) Reset(t *Thread, d Duration) error {
	e := tm.e
	if d < 0 {
		return e.bug(t, "Timer.Reset", tm.name, ErrNegativeDuration)
	}
	if t != nil {
		if t.unwinding {
			return ErrAborted
		}
		e.point(t, EvTimer, "reset", tm.name)
	}
	tm.arm(t, d)
	return nil
}

// Stop disarms the timer (callout_stop) and reports whether it was armed.
func (tm *Timer) Stop(t *Thread) bool {
	if t != nil {
		if t.unwinding {
			return false
		}
		tm.e.point(t, EvTimer, "stop", tm.name)
	}
	return tm.disarm(t)
}

// Armed reports whether the timer is waiting to fire.
func (tm *Timer) Armed() bool {
	if tm.e.mode == Free {
		tm.e.free.mu.Lock()
		defer tm.e.free.mu.Unlock()
	}
	return tm.armed
}

// arm sets the deadline without a scheduling point.
func (tm *Timer) arm(t *Thread, d Duration) {
	e := tm.e
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	if tm.armed {
		e.unlinkTimer(tm)
	}
	tm.when, tm.armed = e.now+d, true
	if e.race.enabled && t != nil {
		e.race.release(&tm.vc, t)
	}
	i := len(e.timers)
	for i > 0 && (e.timers[i-1].when > tm.when || (e.timers[i-1].when == tm.when && e.timers[i-1].seq > tm.seq)) {
		i--
	}
	e.timers = append(e.timers, nil)
	copy(e.timers[i+1:], e.timers[i:])
	e.timers[i] = tm
}

// disarm removes the timer without a scheduling point and reports whether it was armed.
func (tm *Timer) disarm(_ *Thread) bool {
	e := tm.e
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	if !tm.armed {
		return false
	}
	e.unlinkTimer(tm)
	return true
}

func (e *Exec) unlinkTimer(tm *Timer) {
	for i, x := range e.timers {
		if x == tm {
			e.timers = append(e.timers[:i], e.timers[i+1:]...)
			break
		}
	}
	tm.armed = false
}

// popTimer takes the earliest timer and advances the clock to its deadline.
func (e *Exec) popTimer() *Timer {
	tm := e.timers[0]
	e.timers = e.timers[1:]
	tm.armed = false
	if tm.when > e.now {
		e.now = tm.when
	}
	return tm
}

// calloutIdle reports whether the callout thread can take a timer (Controlled mode).
func (e *Exec) calloutIdle() bool {
	return e.callout == nil || (e.callout.state == stBlocked && e.callout.blk.kind == kindIdle)
}

// fireClock fires the earliest timer: the clock was chosen, or nothing else could run. It
// returns the callout thread, which will run the timer's function.
func (e *Exec) fireClock() *Thread {
	tm := e.popTimer()
	e.log.add(e.steps, ClockID, EvFire, "fire", tm.name)
	c := e.callout
	if c == nil {
		c = e.spawn(nil, CalloutThread, e.calloutLoop)
		e.callout = c
	} else {
		e.setState(c, stRunnable)
	}
	c.work = tm
	return c
}

// calloutLoop is the callout thread (Controlled mode): it runs each fired timer's function,
// then waits idle for the next.
func (e *Exec) calloutLoop(t *Thread) {
	for {
		if tm := t.work; tm != nil {
			t.work = nil
			if e.race.enabled {
				e.race.join(&t.vc, tm.vc)
			}
			tm.fn(t)
		}
		if e.block(t, blockInfo{kind: kindIdle, obj: CalloutThread}) != nil {
			return // the execution is over
		}
	}
}
