package sched

import (
	"fmt"
	"runtime/debug"
)

// tstate is a thread's scheduling state.
type tstate uint8

const (
	stRunnable tstate = iota // can run (or is running)
	stBlocked                // waiting on an object
	stExited
)

// blockInfo describes what a blocked thread waits on.
type blockInfo struct {
	kind string
	obj  string
	// The wake condition, for the quiescence report: pred (a sleep's, given by the caller) or
	// cond (the substrate's own waits, without a closure made at every block).
	pred          func() bool
	cond          waitCond
	interruptible bool
	q             *WaitQueue // the queue slept on, for Interrupt and timeouts
}

// waitCond is the wake condition of one of the substrate's own waits.
type waitCond interface{ holds() bool }

// holds reports whether the wait's condition is true.
func (b *blockInfo) holds() (has, val bool) {
	switch {
	case b.pred != nil:
		return true, b.pred()
	case b.cond != nil:
		return true, b.cond.holds()
	}
	return false, false
}

// unwind is the panic value that tears a thread down when its execution stops.
type unwind struct{}

// Thread is one thread of an execution: a goroutine that, in Controlled mode, runs only when
// the scheduler hands it control.
type Thread struct {
	e    *Exec
	id   ID
	name string
	fn   func(*Thread)

	wake  chan struct{} // wakeup (Free; Controlled in race builds)
	co    *coroutine    // the coroutine running the thread (Controlled, not race builds)
	spun  bool          // its last TryLock failed since its last decision (Decision.Spinning)
	roleH uint64        // its role's hash (features), 0 until computed
	state tstate
	blk   blockInfo

	wakeErr    error // what the waker says: nil, ErrInterrupted, ErrTimedOut
	sigPending bool  // an Interrupt not yet consumed by an interruptible sleep
	unwinding  bool

	joiners []*Thread
	held    lockset // mutexes held
	// heldSnap is held as the race detector last recorded it, shared by the accesses made
	// since; nil after held changes (Controlled mode with the detector on).
	heldSnap *lockset
	lastSnap *lockset // the last snapshot made, reused when held returns to it
	quiet    int      // quiet mutexes held (Controlled)

	vc vclock // happens-before clock (Controlled mode with the detector on)

	// Free mode
	fsteps   int
	frng     uint64
	fblocked bool
	started  bool

	stimer *Timer // sleep timeouts
	work   *Timer // the callout to run (callout thread)
}

// ID returns the thread's id, stable within an execution and across its replays.
func (t *Thread) ID() ID { return t.id }

// Name returns the thread's name.
func (t *Thread) Name() string { return t.name }

// Exec returns the execution the thread belongs to.
func (t *Thread) Exec() *Exec { return t.e }

// Exited reports whether the thread has finished.
func (t *Thread) Exited() bool {
	if t.e.mode == Free {
		t.e.free.mu.Lock()
		defer t.e.free.mu.Unlock()
	}
	return t.state == stExited
}

func (t *Thread) String() string { return fmt.Sprintf("%s#%d", t.name, t.id) }

// Go starts a new thread from the running thread t. The child is runnable at once; t goes on.
func (t *Thread) Go(name string, fn func(*Thread)) *Thread {
	child := t.e.spawn(t, name, fn)
	t.e.point(t, EvSpawn, name, child.name)
	return child
}

// spawn creates a thread; parent is nil for root threads added from outside the execution.
func (e *Exec) spawn(parent *Thread, name string, fn func(*Thread)) *Thread {
	var t *Thread
	if e.mem != nil {
		t = e.mem.thread()
		t.e, t.id, t.name, t.fn, t.roleH = e, ID(len(e.threads)), name, fn, 0
	} else {
		t = &Thread{e: e, id: ID(len(e.threads)), name: name, fn: fn}
	}
	t.frng = uint64(t.id)*0x9e3779b97f4a7c15 + 1
	if e.mode == Free {
		e.free.mu.Lock()
		e.threads = append(e.threads, t)
		e.free.mu.Unlock()
	} else {
		e.threads = append(e.threads, t)
	}
	if e.race.enabled {
		e.race.set(&t.vc, t.id, 1)
		if parent != nil {
			e.race.join(&t.vc, parent.vc)
			e.race.tick(&parent.vc, parent.id)
		}
	}
	if e.mode == Free {
		t.wake = make(chan struct{}, 1)
		e.startFree(t)
	} else {
		e.rqInsert(t.id)
		e.startControlled(t)
	}
	return t
}

// mainControlled is a thread's body in Controlled mode, run from Exec.drive.
func (t *Thread) mainControlled() {
	defer t.e.exitControlled(t)
	if t.unwinding {
		return
	}
	t.fn(t)
}

// recovered turns a recovered panic value into a report; it returns false for the unwinding
// sentinel and for no panic at all.
func (e *Exec) recovered(t *Thread, r any) bool {
	if r == nil {
		return false
	}
	if _, ok := r.(unwind); ok {
		return false
	}
	e.rmu.Lock()
	if e.res.Panic == nil {
		e.res.Panic = &PanicReport{Thread: t.id, Name: t.name, Value: fmt.Sprint(r),
			Stack: string(debug.Stack()), Step: e.steps}
	}
	e.rmu.Unlock()
	return true
}

// holds is the wake condition of a join of t: t has exited.
func (t *Thread) holds() bool { return t.Exited() }

// Join waits until other has exited.
func (t *Thread) Join(other *Thread) error {
	e := t.e
	if other == nil || other.e != e || int(other.id) >= len(e.threads) || e.threads[other.id] != other {
		return e.bug(t, "Thread.Join", fmt.Sprint(other), ErrUnknownThread)
	}
	if other == t {
		return e.bug(t, "Thread.Join", other.name, fmt.Errorf("join of itself: %w", ErrRecursiveLock))
	}
	if e.mode == Free {
		return e.joinFree(t, other)
	}
	e.point(t, EvJoin, "join", other.name)
	if other.state != stExited {
		other.joiners = append(other.joiners, t)
		if err := e.block(t, blockInfo{kind: "join", obj: other.name, cond: other}); err != nil {
			return err
		}
	}
	if e.race.enabled {
		e.race.join(&t.vc, other.vc)
	}
	return nil
}

// Interrupt signals target, as a signal sent to a process: an interruptible sleep it is in, or
// the next one it enters before ClearSignal, returns ErrInterrupted. from is the running thread, or nil
// when the caller is outside the execution (between runs of a quiescent execution).
func (e *Exec) Interrupt(from, target *Thread) error {
	if target == nil || target.e != e {
		return e.bug(from, "Exec.Interrupt", fmt.Sprint(target), ErrUnknownThread)
	}
	if e.getStatus().Terminal() {
		return ErrFinished
	}
	if e.mode == Free {
		e.interruptFree(target)
		return nil
	}
	if from != nil {
		e.point(from, EvInterrupt, "interrupt", target.name)
	}
	if target.state == stExited {
		return nil
	}
	if target.state == stBlocked && target.blk.interruptible {
		if q := target.blk.q; q != nil {
			q.remove(target)
		}
		e.makeRunnable(from, target, ErrInterrupted)
		return nil
	}
	target.sigPending = true
	return nil
}

// ClearSignal discards a pending interrupt, as the delivery of a signal on return to user space
// does: the next syscall starts with no signal pending.
func (t *Thread) ClearSignal() {
	if t.e.mode == Free {
		t.e.free.mu.Lock()
		t.sigPending = false
		t.e.free.mu.Unlock()
		return
	}
	t.sigPending = false
}

// Yield is an explicit scheduling point at site.
func (t *Thread) Yield(site string) { t.e.point(t, EvYield, site, "") }

// stackReserve is the stack a thread's goroutine grows to before it runs, in one step (to
// 8 KiB): a goroutine starts with 2 KiB and the model's call chains need more, and growing by
// doubling copies the stack at every step, deeper each time (5-8% of an execution's CPU time,
// measured with BenchmarkTargets; a bigger reserve costs more than it saves, most threads
// being shallow).
const stackReserve = 6 << 10

// growStack has a frame of stackReserve bytes, so that calling it grows the goroutine's stack
// at once to the power of two that holds it. It returns a byte of the frame so that the
// compiler keeps it.
//
//go:noinline
func growStack(i int) byte {
	var buf [stackReserve]byte
	return buf[i&(len(buf)-1)]
}
