package sanitizer

import (
	"sync"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The BSD model's oracles, as Report.Oracle names them (the generic ones are package
// oracle's).
const (
	UseAfterSoclose = "use-after-soclose"
	AcceptQueue     = "accept-queue"
	SocketLeak      = "socket-leak"
	SockbufAccount  = "sockbuf"
	StateCheck      = "state"
)

// bsdOracle is one of the model's oracles, a small value with its own state. The Checker calls
// every one, in a fixed order, with the stack's snapshot taken once for all of them.
type bsdOracle interface {
	// Quiescent looks at the stack when no thread can run (snap is the stack then) at step.
	Quiescent(snap *bsd.Snapshot, step int)
	// Finish looks at the execution's end; snap is the stack at the end of a settled run, nil
	// after a budget stop or a panic (the state may be mid-update) or without a stack.
	Finish(end *oracle.End, snap *bsd.Snapshot)
	// reset forgets the execution, keeping memory, for the Checker's reuse.
	reset()
}

// eventOracle is an oracle that also watches the stack's events as they arrive.
type eventOracle interface {
	bsdOracle
	// kinds lists the event kinds it observes, bsd's and the pseudo kinds kindNext and
	// kindFreed; the Checker calls Observe for those only.
	kinds() []bsd.ObsKind
	// Observe judges an event of one of its kinds, under kind k (ev.Kind, or a pseudo kind);
	// st is the stack that reported it (nil in tests of the events alone). ev is the event's
	// slot in the tracker's ring, valid during the call only: an oracle keeps a copy.
	Observe(k bsd.ObsKind, st *bsd.Stack, ev *bsd.ObsEvent)
}

// idleOracle is an oracle that also looks at idle points (sched.Exec.OnIdle).
type idleOracle interface {
	Idle(st *bsd.Stack, step int)
}

// numKinds is the number of bsd's event kinds; the pseudo kinds follow them.
const numKinds = int(bsd.ObsSetOwn) + 1

// Pseudo kinds, beyond bsd's: reasons to call an oracle that are not the event's kind. For each
// event the Checker calls the oracles of kindNext, then those of kindFreed, then those of the
// event's kind.
const (
	// kindNext: the event is the next of a thread an oracle awaited (tracker.await).
	kindNext = bsd.ObsKind(numKinds + iota)
	// kindFreed: the event is about a socket the events showed freed.
	kindFreed
	numSubs
)

// Checker runs the model's oracles. It implements bsd.Observer, to be installed in
// bsd.Config.Observer, and oracle.Oracle once Attach has given it the stack; its oracles report
// through the execution's oracle.Reporter. A Checker serves one execution. It is safe for
// concurrent use (Free mode calls Observe from several goroutines): it holds its lock while its
// oracles run, so they take none; their online checks that read snapshots run only in
// Controlled mode, where they cannot race with the stack.
type Checker struct {
	mu sync.Mutex
	t  tracker

	// The oracles, one per concern, in the order they judge.
	useFree  useFree
	sigio    sigio
	acceptQ  acceptQueue
	soaccept soacceptNofdref
	sockbuf  sockbuf
	states   stateCheck
	leaks    leaks

	all  []bsdOracle
	idle []idleOracle
	// subs lists, for each event kind and pseudo kind, the oracles that observe it, in the
	// order of all: built once, so an event reaches only the oracles that care about its kind.
	subs [numSubs][]eventOracle
}

// checkerPool holds released Checkers (Checker.Release): a Checker is 9 KB with its event ring,
// and a new one per execution was an eighth of the bytes a fuzz worker allocated
// (BenchmarkTargets/FuzzSockets, one schedule per input).
var checkerPool sync.Pool // of *Checker

// NewChecker returns a Checker for one execution, reporting to rep.
func NewChecker(rep *oracle.Reporter) *Checker {
	c, _ := checkerPool.Get().(*Checker)
	if c == nil {
		c = newChecker()
	}
	c.t.rep = rep
	rep.SetTrace(c.t.trace)
	return c
}

// newChecker builds a Checker and its dispatch tables.
func newChecker() *Checker {
	c := &Checker{}
	c.useFree.t = &c.t
	c.sigio.t = &c.t
	c.acceptQ.t = &c.t
	c.soaccept.t = &c.t
	c.sockbuf.t = &c.t
	c.states.t = &c.t
	c.leaks.t = &c.t
	// The order matters where two oracles can report at the same event (the Reporter keeps
	// reports in order of first occurrence): at sofree use after soclose judges before the
	// accept queue, at accept the accept queue before soaccept's SS_NOFDREF, at a so_state
	// write use after soclose before SIGIO; at the end SIGIO's pending judgments come first.
	c.all = []bsdOracle{&c.useFree, &c.sigio, &c.acceptQ, &c.soaccept, &c.sockbuf, &c.states, &c.leaks}
	for _, o := range c.all {
		if eo, ok := o.(eventOracle); ok {
			for _, k := range eo.kinds() {
				c.subs[k] = append(c.subs[k], eo)
			}
		}
		if io, ok := o.(idleOracle); ok {
			c.idle = append(c.idle, io)
		}
	}
	return c
}

// Attach gives the Checker the stack it observes, for its snapshot checks.
func (c *Checker) Attach(st *bsd.Stack) { c.t.st = st }

// Release gives the Checker back for reuse by a later NewChecker, as new; the caller must not
// use it afterwards.
func (c *Checker) Release() {
	c.mu.Lock()
	c.t.reset()
	for _, o := range c.all {
		o.reset()
	}
	c.mu.Unlock()
	checkerPool.Put(c)
}

// Observe implements bsd.Observer: it updates the tracker and runs the oracles that observe
// the event. The event is copied once, into the ring, and handed on as a pointer to that slot:
// it is 96 bytes, and copies of it were most of the dispatch's cost.
func (c *Checker) Observe(st *bsd.Stack, ev bsd.ObsEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &c.t
	e := &t.ring[uint(t.nring)%traceLen]
	*e = ev
	t.nring++
	if id := int(e.Thread); id >= 0 {
		var ti *threadInfo
		if id < len(t.threads) {
			ti = &t.threads[id]
		} else {
			ti = t.thread(e.Thread)
		}
		awaited := ti.await
		ti.await = false
		if e.Kind != bsd.ObsTouch && e.Kind != bsd.ObsRefs {
			ti.section(e)
		}
		if awaited {
			c.dispatch(kindNext, st, e)
		}
	}
	if e.Sock >= 0 && e.Sock < len(t.socks) && t.socks[e.Sock].freed {
		c.dispatch(kindFreed, st, e)
	}
	if int(e.Kind) < numKinds {
		for _, o := range c.subs[e.Kind] {
			o.Observe(e.Kind, st, e)
		}
		if afterKinds&(1<<e.Kind) != 0 {
			t.after(e)
		}
	}
}

// dispatch calls the oracles of kind k.
func (c *Checker) dispatch(k bsd.ObsKind, st *bsd.Stack, ev *bsd.ObsEvent) {
	for _, o := range c.subs[k] {
		o.Observe(k, st, ev)
	}
}

// Quiescent implements oracle.Oracle: the state checks that hold when no thread can run (the
// blocked threads are the generic oracle's).
func (c *Checker) Quiescent(res *sched.Result, _ *oracle.Reporter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.st == nil {
		return
	}
	snap := c.t.st.Snapshot()
	for _, o := range c.all {
		o.Quiescent(snap, res.Steps)
	}
}

// Finish implements oracle.Oracle: the end-of-run checks.
func (c *Checker) Finish(end *oracle.End, _ *oracle.Reporter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// After a budget stop or a panic the threads were torn down wherever they were: the state
	// may be mid-update, so the state checks are skipped.
	var snap *bsd.Snapshot
	if end.Settled() && c.t.st != nil {
		snap = c.t.st.Snapshot()
	}
	for _, o := range c.all {
		o.Finish(end, snap)
	}
}

// Idle runs the oracles that look at idle points (sched.Exec.OnIdle): every thread is between
// messages, as at quiescence, but a timer is pending. Controlled mode only.
func (c *Checker) Idle(st *bsd.Stack, step int) {
	if !controlled(st) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.idle {
		o.Idle(st, step)
	}
}
