package sched

import "sync"

// SleepFlags modify WaitQueue.Sleep.
type SleepFlags uint8

const (
	// Interruptible lets Exec.Interrupt end the sleep with ErrInterrupted (tsleep's PCATCH).
	Interruptible SleepFlags = 1 << iota
	// Interlocked sleeps only if no wakeup came since the thread's WaitQueue.Interlock
	// (tsleep_interlock followed by tsleep with PINTERLOCKED).
	Interlocked
)

// sleeper is a thread on a wait queue: interlocked (announced, still running) or asleep. An
// interlocked sleeper that a wakeup reached stays on the queue, woken, until its Sleep or its
// next Interlock: the mark belongs to this queue, so a wakeup here never cuts short a sleep
// of the same thread elsewhere.
type sleeper struct {
	t      *Thread
	asleep bool
	woken  bool
}

// WaitQueue is a sleep channel (a tsleep/wakeup ident). A sleeping thread is woken only by
// WakeOne, WakeAll, an interrupt or a timeout: the predicate given to Sleep is the wake
// condition the sleeper waits for, evaluated at quiescence to tell a lost wakeup (true) from a
// legitimate block (false), never used to decide a wakeup.
type WaitQueue struct {
	e        *Exec
	name     string
	sleepers []sleeper
	mu       sync.Mutex // Free mode: guards sleepers and the sleepers' woken flags
}

// NewWaitQueue returns an empty wait queue named name.
func (e *Exec) NewWaitQueue(name string) *WaitQueue {
	var q *WaitQueue
	if e.mem != nil {
		q = e.mem.queues.get()
	} else {
		q = new(WaitQueue)
	}
	e.InitWaitQueue(q, name)
	return q
}

// InitWaitQueue initializes a WaitQueue embedded in a larger structure (before any use, or to
// use it again in another execution: it drops the state of the last).
func (e *Exec) InitWaitQueue(q *WaitQueue, name string) {
	*q = WaitQueue{e: e, name: name}
}

// Name returns the queue's name.
func (q *WaitQueue) Name() string { return q.name }

// Sleepers returns the number of threads asleep or interlocked on q.
func (q *WaitQueue) Sleepers() int {
	if q.e.mode == Free {
		q.mu.Lock()
		defer q.mu.Unlock()
	}
	return len(q.sleepers)
}

func (q *WaitQueue) find(t *Thread) int {
	for i := range q.sleepers {
		if q.sleepers[i].t == t {
			return i
		}
	}
	return -1
}

func (q *WaitQueue) remove(t *Thread) {
	if i := q.find(t); i >= 0 {
		q.sleepers = append(q.sleepers[:i], q.sleepers[i+1:]...)
	}
}

// Interlock announces that t is about to sleep on q, as tsleep_interlock: a wakeup between
// now and a Sleep with the Interlocked flag makes that Sleep return at once.
func (q *WaitQueue) Interlock(t *Thread) {
	e := q.e
	if t.unwinding {
		return
	}
	if e.mode == Free {
		e.pointFree(t)
		q.mu.Lock()
		q.interlock(t)
		q.mu.Unlock()
		return
	}
	e.point(t, EvSleep, "interlock", q.name)
	q.interlock(t)
}

// interlock starts a new interlock period for t (q.mu held in Free mode).
func (q *WaitQueue) interlock(t *Thread) {
	if i := q.find(t); i >= 0 {
		q.sleepers[i].woken, q.sleepers[i].asleep = false, false
		return
	}
	q.sleepers = append(q.sleepers, sleeper{t: t})
}

// Sleep puts t to sleep on q until a wakeup (nil), an interrupt (ErrInterrupted, with Interruptible)
// or the end of the execution (ErrAborted). pred is the condition t waits for, for the
// quiescence report; it may be nil and must not touch instrumented words except by Peek.
func (q *WaitQueue) Sleep(t *Thread, pred func() bool, flags SleepFlags) error {
	return q.sleep(t, pred, flags, -1)
}

// SleepTimeout is Sleep with a timeout in virtual time: ErrTimedOut when it expires first.
func (q *WaitQueue) SleepTimeout(t *Thread, pred func() bool, flags SleepFlags, d Duration) error {
	if d < 0 {
		return q.e.bug(t, "WaitQueue.SleepTimeout", q.name, ErrNegativeDuration)
	}
	return q.sleep(t, pred, flags, d)
}

func (q *WaitQueue) sleep(t *Thread, pred func() bool, flags SleepFlags, d Duration) error {
	e := q.e
	if t.unwinding {
		return ErrAborted
	}
	if e.mode == Free {
		return q.sleepFree(t, pred, flags, d)
	}
	e.point(t, EvSleep, "sleep", q.name)
	if flags&Interruptible != 0 && t.sigPending {
		t.sigPending = false
		q.remove(t)
		return ErrInterrupted
	}
	if !q.enqueue(t, flags) {
		return nil
	}
	tm := t.armTimeout(d)
	err := e.block(t, blockInfo{kind: "sleep", obj: q.name, pred: pred,
		interruptible: flags&Interruptible != 0, q: q})
	if tm != nil && err != ErrTimedOut {
		tm.disarm(t)
	}
	return err
}

// enqueue marks t asleep on q (the caller holds q.mu in Free mode); it returns false when an
// Interlocked sleep need not happen because a wakeup came since the interlock.
func (q *WaitQueue) enqueue(t *Thread, flags SleepFlags) bool {
	i := q.find(t)
	if flags&Interlocked != 0 {
		if i < 0 || q.sleepers[i].woken {
			if i >= 0 {
				q.sleepers = append(q.sleepers[:i], q.sleepers[i+1:]...)
			}
			return false
		}
	} else if i < 0 {
		q.sleepers = append(q.sleepers, sleeper{t: t})
		i = len(q.sleepers) - 1
	}
	q.sleepers[i].asleep, q.sleepers[i].woken = true, false
	return true
}

// armTimeout arms t's sleep timeout when d >= 0 and returns the timer, or nil.
func (t *Thread) armTimeout(d Duration) *Timer {
	if d < 0 {
		return nil
	}
	tm := t.sleepTimer()
	tm.arm(t, d)
	return tm
}

// WakeOne wakes the thread that has been on q longest and reports whether there was one.
func (q *WaitQueue) WakeOne(t *Thread) bool { return q.wake(t, false) > 0 }

// WakeAll wakes every thread on q and returns how many there were.
func (q *WaitQueue) WakeAll(t *Thread) int { return q.wake(t, true) }

// WakeOneForeign is WakeOne for a waker that may not be a thread of the execution: a goroutine
// of foreign code (gVisor's own, in Free mode), or code that cannot name its thread. In
// Controlled mode it is WakeOne by the running thread (Current), or, from Run's goroutine, a
// wakeup with no scheduling point; in Free mode it is a wakeup with no scheduling point.
func (q *WaitQueue) WakeOneForeign() bool { return q.wakeForeign(false) > 0 }

// WakeAllForeign is WakeAll for a waker that may not be a thread of the execution (see
// WakeOneForeign).
func (q *WaitQueue) WakeAllForeign() int { return q.wakeForeign(true) }

func (q *WaitQueue) wakeForeign(all bool) int {
	e := q.e
	if e.mode == Free {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.takeWakeups(all, func(s *Thread) { e.funblock(s, nil) }, func(*Thread) {})
	}
	if t := e.cur; t != nil {
		return q.wake(t, all)
	}
	return q.takeWakeups(all, func(s *Thread) {
		if s.state == stBlocked {
			e.makeRunnable(nil, s, nil)
		}
	}, func(*Thread) {})
}

func (q *WaitQueue) wake(t *Thread, all bool) int {
	e := q.e
	if t.unwinding {
		return 0
	}
	if e.mode == Free {
		return q.wakeFree(t, all)
	}
	e.point(t, EvWakeup, "wakeup", q.name)
	return q.takeWakeups(all, func(s *Thread) {
		if s.state == stBlocked {
			e.makeRunnable(t, s, nil)
		}
	}, func(s *Thread) {
		if e.race.enabled {
			e.race.join(&s.vc, t.vc)
			e.race.tick(&t.vc, t.id)
		}
	})
}

// takeWakeups wakes the longest sleeper (all false) or every one, in order: an asleep one
// leaves the queue through asleep, an interlocked one is marked woken through prepared;
// those already woken are skipped. It returns the number woken (q.mu held in Free mode).
func (q *WaitQueue) takeWakeups(all bool, asleep, prepared func(*Thread)) int {
	n := 0
	kept := q.sleepers[:0]
	for _, s := range q.sleepers {
		switch {
		case s.woken || (!all && n > 0):
			kept = append(kept, s)
		case s.asleep:
			n++
			asleep(s.t)
		default:
			n++
			s.woken = true
			kept = append(kept, s)
			prepared(s.t)
		}
	}
	clear(q.sleepers[len(kept):])
	q.sleepers = kept
	return n
}

// sleepTimer returns t's timer for sleep timeouts, made on first use.
func (t *Thread) sleepTimer() *Timer {
	if t.stimer == nil {
		t.stimer = t.e.NewTimer("timeout:"+t.name, t.sleepTimedOut)
	}
	return t.stimer
}

// sleepTimedOut runs on the callout thread when a sleep's timeout fires.
func (t *Thread) sleepTimedOut(c *Thread) {
	e := t.e
	if e.mode == Free {
		e.timeoutFree(t)
		return
	}
	if t.state == stBlocked && t.blk.kind == "sleep" && t.blk.q != nil {
		t.blk.q.remove(t)
		e.makeRunnable(c, t, ErrTimedOut)
	}
}
