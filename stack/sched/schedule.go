package sched

// NoThread is Decision.Current when the decision is made from outside any thread (at the start
// of Run).
const NoThread ID = -2

// kindIdle marks the callout thread waiting for a timer to fire; it is not a blocked thread.
const kindIdle = "idle"

// record counts a scheduling point of t and logs it; past the budget it stops the execution
// and unwinds t.
func (e *Exec) record(t *Thread, kind EventKind, site, obj string) {
	e.steps++
	e.kind = kind
	if e.feat != nil { // only the preemption features read them
		e.site, e.obj = site, obj
	}
	e.log.add(e.steps, t.id, kind, site, obj)
	if e.steps > e.budget {
		e.stopStat = Budget
		e.stopping.Store(true)
		t.unwinding = true
		panic(unwind{})
	}
}

// point is a scheduling point reached by the running thread t, which stays runnable: the
// chooser may hand control to another thread here.
func (e *Exec) point(t *Thread, kind EventKind, site, obj string) {
	if e.mode == Free {
		e.pointFree(t)
		return
	}
	if t.unwinding {
		return
	}
	if t.quiet > 0 {
		_ = e.bug(t, "scheduling point", site, ErrQuietSection)
	}
	e.record(t, kind, site, obj)
	if next := e.decide(t); next != t {
		e.switchTo(t, next)
	}
}

// setState changes a thread's state in Controlled mode, keeping the runnable list.
func (e *Exec) setState(t *Thread, st tstate) {
	if t.state == stRunnable && st != stRunnable {
		e.rqRemove(t.id)
	}
	if st == stRunnable && t.state != stRunnable {
		e.rqInsert(t.id)
	}
	t.state = st
}

// rqInsert adds id to the runnable list, kept sorted after its leading ClockID slot.
func (e *Exec) rqInsert(id ID) {
	i := len(e.rq)
	e.rq = append(e.rq, id)
	for i > 1 && e.rq[i-1] > id {
		e.rq[i] = e.rq[i-1]
		i--
	}
	e.rq[i] = id
}

// rqRemove takes id off the runnable list.
func (e *Exec) rqRemove(id ID) {
	for i := 1; i < len(e.rq); i++ {
		if e.rq[i] == id {
			copy(e.rq[i:], e.rq[i+1:])
			e.rq = e.rq[:len(e.rq)-1]
			return
		}
	}
}

// decide picks the thread to run next among the runnable ones and, when a callout can fire,
// the clock. cur is the thread at the scheduling point (nil from Run). It returns nil when
// nothing can run.
func (e *Exec) decide(cur *Thread) *Thread {
	spinning := cur != nil && cur.spun
	if spinning {
		cur.spun = false
	}
	if len(e.rq) == 2 && cur != nil && cur.state == stRunnable && (len(e.timers) == 0 || e.held || !e.calloutIdle()) {
		return cur // the only candidate: no decision
	}
	// The runnable list with its leading clock slot is the candidate list, as it stands.
	cands := e.rq[1:]
	if len(e.timers) > 0 && !e.held && e.calloutIdle() {
		cands = e.rq
	}
	var id ID
	switch len(cands) {
	case 0:
		return nil
	case 1:
		id = cands[0]
		if id == ClockID && e.idle != nil {
			e.idle(e.steps)
		}
	default:
		d := &e.dec
		d.Step, d.Index, d.Cands, d.Kind, d.Spinning = e.steps, len(e.res.Choices), cands, e.kind, spinning
		d.Write = e.kind == EvAtomic && e.atomicWrite
		d.Current = NoThread
		if cur != nil {
			d.Current = cur.id
		}
		if d.Write && d.Current != NoThread && cur.state == stRunnable {
			e.res.Atomics++
		}
		id = e.chooser.Choose(d)
		if !e.trusted && !d.has(id) {
			id = Default(d)
		}
		if e.feat != nil && cur != nil && cur.state == stRunnable && id != cur.id {
			e.featPreempted(cur, id)
		}
		if len(e.res.Choices) == cap(e.res.Choices) {
			// Double: append grows a long slice by a quarter at a time, and a long execution
			// makes a choice at nearly every step.
			e.res.Choices = append(make([]ID, 0, 2*cap(e.res.Choices)), e.res.Choices...)
		}
		e.res.Choices = append(e.res.Choices, id)
	}
	if id == ClockID {
		return e.fireClock()
	}
	return e.threads[id]
}

// switchTo hands control from t (still runnable or just blocked) to next and waits until t is
// chosen again.
func (e *Exec) switchTo(t, next *Thread) {
	e.handTo(t, next)
	if t.unwinding {
		panic(unwind{})
	}
}

// block makes the running thread t wait as info describes until another thread makes it
// runnable, and returns what the waker said (nil, ErrInterrupted, ErrTimedOut).
func (e *Exec) block(t *Thread, info blockInfo) error {
	if t.unwinding {
		return ErrAborted
	}
	if t.quiet > 0 {
		_ = e.bug(t, "block", info.obj, ErrQuietSection)
	}
	e.setState(t, stBlocked)
	t.blk = info
	t.wakeErr = nil
	e.record(t, EvBlock, info.kind, info.obj)
	next := e.decide(t)
	if next == nil {
		e.stopIdle()
		e.handTo(t, nil)
		if t.unwinding {
			if info.kind == kindIdle {
				return ErrAborted // the idle callout thread leaves without a panic: it holds nothing
			}
			panic(unwind{})
		}
	} else if next != t { // next == t: the idle callout thread was handed a timer at once
		e.handTo(t, next)
		if t.unwinding {
			if info.kind == kindIdle {
				return ErrAborted
			}
			panic(unwind{})
		}
	}
	t.blk = blockInfo{}
	return t.wakeErr
}

// makeRunnable wakes the blocked thread t; from (the waker, nil from outside) passes its
// happens-before clock along with the wakeup.
func (e *Exec) makeRunnable(from, t *Thread, err error) {
	if e.feat != nil {
		e.featWoken(from, t)
	}
	e.setState(t, stRunnable)
	t.wakeErr = err
	if e.race.enabled && from != nil {
		e.race.join(&t.vc, from.vc)
		e.race.tick(&from.vc, from.id)
	}
}

// stopIdle is called when nothing can run: the execution is Done if every thread but the idle
// callout thread has exited, and Quiescent otherwise. The caller hands control back to Run.
func (e *Exec) stopIdle() {
	e.status = Done
	if len(e.timers) > 0 { // only with the clock held
		e.status = Quiescent
	}
	for _, th := range e.threads {
		if th.state != stExited && !(th == e.callout && th.blk.kind == kindIdle) {
			e.status = Quiescent
			break
		}
	}
}

// exitControlled runs when a thread's function returns, panics or unwinds.
func (e *Exec) exitControlled(t *Thread) {
	r := recover()
	if e.recovered(t, r) && !e.stopping.Load() {
		e.stopStat = Panicked
		e.stopping.Store(true)
	}
	e.setState(t, stExited)
	for _, j := range t.joiners {
		if j.state == stBlocked && j.blk.kind == "join" {
			e.makeRunnable(t, j, nil)
		}
	}
	t.joiners = nil
	e.next = nil // back to Run when stopping, or when nothing else can run
	if !e.stopping.Load() {
		e.steps++
		e.log.add(e.steps, t.id, EvExit, "exit", t.name)
		if e.next = e.decide(t); e.next == nil {
			e.stopIdle()
		}
	}
	e.exited()
}

// runControlled starts or resumes a Controlled execution and waits until it stops.
func (e *Exec) runControlled() {
	next := e.decide(nil)
	if next == nil {
		e.status = Done
		if len(e.timers) > 0 {
			e.status = Quiescent
		}
		for _, th := range e.threads {
			if th.state == stBlocked && th.blk.kind != kindIdle {
				e.status = Quiescent
			}
		}
	} else {
		e.drive(next)
	}
	switch {
	case e.stopping.Load():
		e.res.Blocked = e.blockedThreads()
		e.teardownControlled()
		e.status = e.stopStat
	case e.status == Done:
		e.teardownControlled() // the idle callout thread
	}
}

// teardownControlled unwinds every thread that has not exited, one at a time, in ID order.
func (e *Exec) teardownControlled() {
	e.stopping.Store(true)
	for _, t := range e.threads {
		if t.state == stExited {
			continue
		}
		t.unwinding = true
		e.drive(t) // an unwinding thread runs to its end and hands control back to Run
	}
}
