package sched

import (
	"runtime"
	"sync"
	"time"
)

// freeState is the bookkeeping of a Free execution: the count of live and blocked threads from
// which quiescence is detected. Only blocking paths take mu, so that the substrate adds no
// happens-before edges that would hide the stack's races from go test -race.
type freeState struct {
	mu      sync.Mutex
	live    int // threads started and not exited (the callout thread only while it works)
	blocked int // live threads parked by the substrate
	running bool
	wg      sync.WaitGroup
	grace   time.Duration // ForeignGrace
	// woke has a token when a thread was woken while the execution was Quiescent: graceFree
	// waits on it instead of polling, so a foreign wakeup goes on at once.
	woke chan struct{}
}

// ForeignGrace is for Free executions whose threads are woken by goroutines that are not
// threads (foreign code, such as gVisor's own processors): the substrate cannot count those,
// so when every thread is blocked it waits up to d of real time for a foreign wakeup before it
// calls the execution quiescent. Controlled executions, where foreign code runs on threads,
// ignore it.
func (e *Exec) ForeignGrace(d time.Duration) { e.free.grace = d }

// graceFree waits up to the foreign grace for a thread to be woken, and reports whether one
// was: the run goes on, to the next stop. A wakeup leaves a token in f.woke (funblockLocked),
// so the wait ends as soon as it happens; the deadline only bounds a wait for none.
func (e *Exec) graceFree() bool {
	f := &e.free
	f.mu.Lock()
	if f.woke == nil {
		f.woke = make(chan struct{}, 1)
	}
	woke := f.woke
	f.mu.Unlock()
	deadline := time.NewTimer(f.grace)
	defer deadline.Stop()
	for expired := false; ; {
		f.mu.Lock()
		// A thread woken and gone on; or already exited, the execution Done (its token waits).
		woken := e.status != Quiescent || f.blocked < f.live
		if woken && e.status == Quiescent {
			e.status = Running
		}
		f.mu.Unlock()
		if woken || expired {
			return woken
		}
		select {
		case <-woke: // a wakeup, or a token left from an earlier one: look again
		case <-deadline.C:
			expired = true
		}
	}
}

// startFree starts t's goroutine, or leaves it for Run if the execution is not running yet.
func (e *Exec) startFree(t *Thread) {
	e.free.mu.Lock()
	defer e.free.mu.Unlock()
	if e.free.running {
		e.goFreeLocked(t)
	}
}

func (e *Exec) goFreeLocked(t *Thread) {
	t.started = true
	e.free.live++
	e.free.wg.Add(1)
	go t.mainFree()
}

func (t *Thread) mainFree() {
	defer t.e.exitFree(t)
	t.fn(t)
}

// exitFree runs when a Free thread's function returns, panics or unwinds.
func (e *Exec) exitFree(t *Thread) {
	r := recover()
	f := &e.free
	f.mu.Lock()
	defer f.wg.Done()
	defer f.mu.Unlock()
	if !e.stopping.Load() && e.recovered(t, r) {
		e.stopLocked(Panicked)
	}
	t.state = stExited
	f.live--
	for _, j := range t.joiners {
		e.funblockLocked(j, nil)
	}
	t.joiners = nil
	e.checkIdleLocked()
}

// runFree starts (or resumes) a Free execution and waits until it stops.
func (e *Exec) runFree() {
	f := &e.free
	f.mu.Lock()
	e.status = Running
	if !f.running {
		f.running = true
		for _, t := range e.threads {
			if !t.started {
				e.goFreeLocked(t)
			}
		}
	}
	e.checkIdleLocked()
	f.mu.Unlock()
	// A token may be left from before this run (threads an Interrupt resumed can stop again
	// before Run is called): wait until the status really says stopped.
	var stopping bool
	for {
		<-e.ctl
		f.mu.Lock()
		stopping = e.stopping.Load()
		st := e.status
		if stopping {
			e.res.Blocked = e.blockedThreads()
		}
		f.mu.Unlock()
		if st == Quiescent && !stopping && f.grace > 0 && e.graceFree() {
			continue
		}
		if stopping || st == Done || st == Quiescent {
			break
		}
	}
	switch {
	case stopping:
		e.teardownFree()
		e.setStatus(e.stopStat)
	case e.getStatus() == Done:
		e.teardownFree()
	}
}

// checkIdleLocked is called with mu held whenever a thread blocks or exits: when every live
// thread is blocked it fires the next timer, or ends the execution (Done or Quiescent).
func (e *Exec) checkIdleLocked() {
	f := &e.free
	if e.stopping.Load() || f.blocked < f.live {
		return
	}
	if len(e.timers) > 0 && !e.held && (e.callout == nil || e.callout.work == nil) {
		tm := e.popTimer()
		c := e.callout
		if c == nil {
			c = &Thread{e: e, id: ID(len(e.threads)), name: CalloutThread, wake: make(chan struct{}, 1)}
			e.threads = append(e.threads, c)
			e.callout = c
			f.wg.Add(1)
			go e.calloutFree(c)
		}
		c.work = tm
		f.live++
		c.wake <- struct{}{}
		return
	}
	if f.live == 0 && len(e.timers) == 0 {
		e.status = Done
	} else {
		e.status = Quiescent
	}
	select {
	case e.ctl <- ctlStop:
	default:
	}
}

// calloutFree is the callout thread in Free mode.
func (e *Exec) calloutFree(c *Thread) {
	defer e.free.wg.Done()
	defer func() {
		e.free.mu.Lock()
		c.state = stExited
		e.free.mu.Unlock()
	}()
	for {
		<-c.wake
		if c.unwinding {
			return
		}
		tm := c.work
		if !e.runCallout(c, tm) {
			return
		}
		e.free.mu.Lock()
		c.work = nil
		e.free.live--
		e.checkIdleLocked()
		e.free.mu.Unlock()
	}
}

// runCallout runs one callout function; it returns false when the callout unwound or panicked.
func (e *Exec) runCallout(c *Thread, tm *Timer) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			e.free.mu.Lock()
			if !e.stopping.Load() && e.recovered(c, r) {
				e.stopLocked(Panicked)
			}
			e.free.mu.Unlock()
			ok = false
		}
	}()
	tm.fn(c)
	return true
}

// stopLocked starts the teardown of a Free execution (mu held).
func (e *Exec) stopLocked(s Status) {
	if e.stopping.Load() {
		return
	}
	e.stopStat = s
	e.stopping.Store(true)
	select {
	case e.ctl <- ctlStop:
	default:
	}
}

// teardownFree unwinds every parked thread and waits for every goroutine to end.
func (e *Exec) teardownFree() {
	f := &e.free
	f.mu.Lock()
	e.stopping.Store(true)
	for _, t := range e.threads {
		if t.fblocked || (t == e.callout && t.work == nil) {
			t.fblocked = false
			t.unwinding = true
			t.wake <- struct{}{}
		}
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// pointFree is a scheduling point in Free mode: a budget check, a stop check and sometimes a
// runtime.Gosched to shake the interleaving. It touches only t's own fields.
func (e *Exec) pointFree(t *Thread) {
	if t.unwinding {
		return
	}
	t.fsteps++
	if t.fsteps > e.budget {
		e.free.mu.Lock()
		e.stopLocked(Budget)
		e.free.mu.Unlock()
	}
	if e.stopping.Load() {
		t.abort()
	}
	t.frng ^= t.frng << 13
	t.frng ^= t.frng >> 7
	t.frng ^= t.frng << 17
	if t.frng&3 == 0 {
		runtime.Gosched()
	}
}

// abort unwinds t: its execution is being torn down.
func (t *Thread) abort() {
	t.unwinding = true
	panic(unwind{})
}

// fblock registers t as parked on info (the caller holds the object's lock and will wait with
// fwait after releasing it). It returns false when the execution is stopping: do not wait.
func (e *Exec) fblock(t *Thread, info blockInfo) bool {
	e.free.mu.Lock()
	defer e.free.mu.Unlock()
	return e.fblockLocked(t, info)
}

// fblockLocked is fblock with the Free mode lock held.
func (e *Exec) fblockLocked(t *Thread, info blockInfo) bool {
	f := &e.free
	if e.stopping.Load() {
		return false
	}
	t.fblocked = true
	t.state = stBlocked
	t.blk = info
	t.wakeErr = nil
	f.blocked++
	e.checkIdleLocked()
	return true
}

// fwait parks t until funblock or teardown; it returns the waker's word.
func (e *Exec) fwait(t *Thread) error {
	<-t.wake
	if t.unwinding {
		panic(unwind{})
	}
	return t.wakeErr
}

// funblock wakes a thread parked with fblock.
func (e *Exec) funblock(t *Thread, err error) {
	e.free.mu.Lock()
	e.funblockLocked(t, err)
	e.free.mu.Unlock()
}

func (e *Exec) funblockLocked(t *Thread, err error) {
	if !t.fblocked {
		return
	}
	t.fblocked = false
	t.state = stRunnable
	t.blk = blockInfo{}
	t.wakeErr = err
	e.free.blocked--
	t.wake <- struct{}{}
	if e.status == Quiescent && e.free.woke != nil {
		select {
		case e.free.woke <- struct{}{}:
		default:
		}
	}
}

func (e *Exec) joinFree(t, other *Thread) error {
	e.pointFree(t)
	f := &e.free
	f.mu.Lock()
	if other.state == stExited {
		f.mu.Unlock()
		return nil
	}
	// Registering as a joiner and counting as blocked happen under one lock: otherwise the
	// exit could come between them, and the count would call the execution quiescent while
	// this thread goes on.
	other.joiners = append(other.joiners, t)
	ok := e.fblockLocked(t, blockInfo{kind: "join", obj: other.name})
	f.mu.Unlock()
	if !ok {
		t.abort()
	}
	return e.fwait(t)
}

func (e *Exec) interruptFree(target *Thread) {
	f := &e.free
	f.mu.Lock()
	q := target.blk.q
	if !target.fblocked || !target.blk.interruptible || q == nil {
		if target.state != stExited {
			target.sigPending = true
		}
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	q.mu.Lock()
	f.mu.Lock()
	if target.fblocked && target.blk.q == q {
		q.remove(target)
		e.funblockLocked(target, ErrInterrupted)
	} else if target.state != stExited {
		target.sigPending = true
	}
	f.mu.Unlock()
	q.mu.Unlock()
}

func (q *WaitQueue) sleepFree(t *Thread, pred func() bool, flags SleepFlags, d Duration) error {
	e := q.e
	e.pointFree(t)
	q.mu.Lock()
	e.free.mu.Lock()
	if flags&Interruptible != 0 && t.sigPending {
		t.sigPending = false
		e.free.mu.Unlock()
		q.remove(t)
		q.mu.Unlock()
		return ErrInterrupted
	}
	e.free.mu.Unlock()
	if !q.enqueue(t, flags) {
		q.mu.Unlock()
		return nil
	}
	tm := t.armTimeout(d)
	ok := e.fblock(t, blockInfo{kind: "sleep", obj: q.name, pred: pred,
		interruptible: flags&Interruptible != 0, q: q})
	q.mu.Unlock()
	if !ok {
		t.abort()
	}
	err := e.fwait(t)
	if tm != nil && err != ErrTimedOut {
		tm.disarm(t)
	}
	return err
}

func (q *WaitQueue) wakeFree(t *Thread, all bool) int {
	e := q.e
	e.pointFree(t)
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.takeWakeups(all, func(s *Thread) { e.funblock(s, nil) }, func(*Thread) {})
}

// timeoutFree ends t's sleep with ErrTimedOut if it is still asleep.
func (e *Exec) timeoutFree(t *Thread) {
	e.free.mu.Lock()
	q := t.blk.q
	e.free.mu.Unlock()
	if q == nil {
		return
	}
	q.mu.Lock()
	e.free.mu.Lock()
	if t.fblocked && t.blk.q == q {
		q.remove(t)
		e.funblockLocked(t, ErrTimedOut)
	}
	e.free.mu.Unlock()
	q.mu.Unlock()
}

func (p *Port) sendFree(t *Thread, m *Msg) error {
	p.e.pointFree(t)
	p.mu.Lock()
	p.q = append(p.q, m)
	if p.recvr {
		p.recvr = false
		p.e.funblock(p.owner, nil)
	}
	p.mu.Unlock()
	return nil
}

func (p *Port) recvFree(t *Thread) (*Msg, error) {
	e := p.e
	e.pointFree(t)
	p.mu.Lock()
	for len(p.q) == 0 {
		p.recvr = true
		ok := e.fblock(t, blockInfo{kind: "recv", obj: p.name})
		p.mu.Unlock()
		if !ok {
			t.abort()
		}
		if err := e.fwait(t); err != nil {
			return nil, err
		}
		p.mu.Lock()
	}
	m := p.pop()
	p.mu.Unlock()
	return m, nil
}

func (p *Port) waitReplyFree(t *Thread, m *Msg) error {
	e := p.e
	p.mu.Lock()
	for !m.done {
		ok := e.fblock(t, blockInfo{kind: "reply", obj: p.name})
		p.mu.Unlock()
		if !ok {
			t.abort()
		}
		if err := e.fwait(t); err != nil {
			return err
		}
		p.mu.Lock()
	}
	p.mu.Unlock()
	return nil
}

func (p *Port) replyFree(t *Thread, m *Msg, result any, err error) error {
	e := p.e
	e.pointFree(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	if m.done {
		return e.bug(t, "Port.Reply", p.name, ErrDoubleReply)
	}
	m.Result, m.Err, m.done = result, err, true
	if m.waiting {
		e.funblock(m.from, nil)
	}
	return nil
}
