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

// traceLen is the number of recent events a report carries.
const traceLen = 64

// sockInfo is what the Checker learned about one socket from the events.
type sockInfo struct {
	seen        bool
	freed       bool
	uafSeen     bool // a use after free of it was reported
	fds         int  // descriptors referring to it (ObsFdInstall minus ObsFdClose)
	qhead       int  // the listener whose queue holds it, -1 for none
	qwhich      int  // bsd.QIncomp or bsd.QComp while queued
	everQueued  bool
	nofdrefSets int  // SS_NOFDREF 0 -> 1 transitions
	asyncOn     bool // FIOASYNC set by a process and not cleared since
	accepted    bool
	completed   bool
	aborted     bool
	completedEv bsd.ObsEvent
}

// asyncLoss is an ObsState that dropped SS_ASYNC while FIOASYNC was on, not yet judged: the
// clear that FIOASYNC itself makes is followed by that thread's ObsAsyncSet(0).
type asyncLoss struct {
	ev      bsd.ObsEvent
	readies []bsd.ObsEvent // readiness events of the socket without SS_ASYNC meanwhile
}

// threadInfo is what the Checker tracks per thread.
type threadInfo struct {
	// touched lists the sockets whose queue membership or state this thread changed since its
	// last "leave" event: they may be mid-update inside its queue-locked section (acceptq.go).
	touched []int
	// lastQ is the thread's previous queue event since its last leave event.
	lastQ    bsd.ObsEvent
	hasLastQ bool
	// expect is a readiness with SS_ASYNC whose SIGIO must be the thread's next event.
	expect    bsd.ObsEvent
	hasExpect bool
	// losses are SS_ASYNC clears by this thread not yet judged.
	losses []asyncLoss
	// wakeSock and wakeAsync are the socket of the thread's last sowakeup start (ObsWakeup)
	// and whether FIOASYNC was on for it then (Free mode's readiness judgment, wakeup.go).
	wakeSock  int
	wakeAsync bool
}

// Checker runs the model's oracles. It implements bsd.Observer, to be installed in
// bsd.Config.Observer, and oracle.Oracle once Attach has given it the stack; it reports
// through the execution's oracle.Reporter. A Checker serves one execution. It is safe for
// concurrent use (Free mode calls Observe from several goroutines); its online checks that read
// snapshots run only in Controlled mode, where they cannot race with the bsd.
type Checker struct {
	mu sync.Mutex

	rep *oracle.Reporter
	st  *bsd.Stack

	ring  [traceLen]bsd.ObsEvent
	nring int // events seen in all

	socks   []sockInfo
	threads []threadInfo
	fds     []int // descriptor -> socket id + 1, 0 for none

	lastStep   int
	lastThread sched.ID
}

// checkerPool holds released Checkers (Checker.Release): a Checker is 9 KB with its event ring,
// and a new one per execution was an eighth of the bytes a fuzz worker allocated
// (BenchmarkTargets/FuzzSockets, one schedule per input).
var checkerPool sync.Pool // of *Checker

// NewChecker returns a Checker for one execution, reporting to rep.
func NewChecker(rep *oracle.Reporter) *Checker {
	c, _ := checkerPool.Get().(*Checker)
	if c == nil {
		c = &Checker{lastThread: -1}
	}
	c.rep = rep
	rep.SetTrace(c.trace)
	return c
}

// Attach gives the Checker the stack it observes, for its snapshot checks.
func (c *Checker) Attach(st *bsd.Stack) { c.st = st }

// Release gives the Checker back for reuse by a later NewChecker, as new; the caller must not
// use it afterwards.
func (c *Checker) Release() {
	c.mu.Lock()
	c.rep, c.st = nil, nil
	c.nring = 0
	for i := range c.threads {
		t := &c.threads[i]
		*t = threadInfo{touched: t.touched[:0], losses: t.losses[:0]}
	}
	c.socks, c.threads, c.fds = c.socks[:0], c.threads[:0], c.fds[:0]
	c.lastStep, c.lastThread = 0, -1
	c.mu.Unlock()
	checkerPool.Put(c)
}

// report records a violation through the execution's Reporter, which keeps the first of each
// title.
func (c *Checker) report(oracle, title, detail string, thread sched.ID, step int) {
	c.rep.Report(oracle, title, detail, thread, step)
}

// reportEv records a violation seen at event ev.
func (c *Checker) reportEv(oracle, title, detail string, ev bsd.ObsEvent) {
	c.report(oracle, title, detail, ev.Thread, ev.Step)
}

// trace formats the recent events, oldest first. The Reporter calls it while c.mu is held by
// the reporting oracle (or when the execution is over): it takes no lock.
func (c *Checker) trace() []string {
	n := min(c.nring, traceLen)
	out := make([]string, 0, n)
	for i := c.nring - n; i < c.nring; i++ {
		out = append(out, c.ring[i%traceLen].String())
	}
	return out
}

// sock returns the info of socket id, growing the table as needed.
func (c *Checker) sock(id int) *sockInfo {
	if id < 0 {
		return &sockInfo{qhead: -1}
	}
	for len(c.socks) <= id {
		c.socks = append(c.socks, sockInfo{qhead: -1})
	}
	return &c.socks[id]
}

// thread returns the info of thread id, or nil for events from outside any thread.
func (c *Checker) thread(id sched.ID) *threadInfo {
	if id < 0 {
		return nil
	}
	for len(c.threads) <= int(id) {
		c.threads = append(c.threads, threadInfo{})
	}
	return &c.threads[id]
}

// leaves reports whether an event of kind k is never emitted inside a listener's queue-locked
// section by the correct stack (see acceptq.go).
func leaves(k bsd.ObsKind) bool {
	switch k {
	case bsd.ObsState, bsd.ObsRefs, bsd.ObsTouch, bsd.ObsQueueInsert, bsd.ObsQueueRemove:
		return false
	}
	return true
}

// controlled reports whether online snapshot checks may run: only in Controlled mode, where
// the observing thread is the only one running.
func controlled(st *bsd.Stack) bool { return inMode(st, sched.Controlled) }

// freeMode reports whether the execution runs in Free mode, where events of two threads may
// reach the checker out of the order of their accesses.
func freeMode(st *bsd.Stack) bool { return inMode(st, sched.Free) }

// inMode reports whether st has an execution and it runs in mode m.
func inMode(st *bsd.Stack, m sched.Mode) bool {
	return st != nil && st.Exec() != nil && st.Exec().Mode() == m
}

// Observe implements bsd.Observer: it records ev in the trace and runs the online checks.
func (c *Checker) Observe(st *bsd.Stack, ev bsd.ObsEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ring[c.nring%traceLen] = ev
	c.nring++
	c.lastStep, c.lastThread = ev.Step, ev.Thread
	if ti := c.thread(ev.Thread); ti != nil {
		c.threadEvent(ti, ev)
		if leaves(ev.Kind) {
			ti.touched = ti.touched[:0]
			ti.hasLastQ = false
		}
	}
	so := c.sock(ev.Sock)
	if so.freed && ev.Kind != bsd.ObsTouch && ev.Kind != bsd.ObsSockFreed && ev.Kind != bsd.ObsFdClose && !(lateRefs(ev) && freeMode(st)) {
		c.eventOnFreed(ev, so)
	}
	switch ev.Kind {
	case bsd.ObsSockCreated:
		*so = sockInfo{seen: true, qhead: -1}
	case bsd.ObsSockFreed:
		c.onFreed(ev, so)
	case bsd.ObsTouch:
		c.onTouch(ev)
	case bsd.ObsState:
		c.onState(st, ev, so)
	case bsd.ObsFdInstall:
		c.onFdInstall(ev, so)
	case bsd.ObsFdClose:
		c.onFdClose(ev, so)
	case bsd.ObsQueueInsert, bsd.ObsQueueRemove:
		c.onQueue(st, ev, so)
	case bsd.ObsAccepted:
		c.onAccepted(st, ev, so)
	case bsd.ObsCompleted:
		c.onCompleted(ev, so)
	case bsd.ObsAborted:
		so.aborted = true
	case bsd.ObsWakeup:
		if ti := c.thread(ev.Thread); ti != nil {
			ti.wakeSock, ti.wakeAsync = ev.Sock, so.asyncOn
		}
	case bsd.ObsReady:
		c.onReady(ev, so, freeMode(st))
	case bsd.ObsAsyncSet:
		so.asyncOn = ev.Arg != 0
	}
}

// touch notes that thread ti changed socket id (acceptq.go's exclusion list).
func (ti *threadInfo) touch(id int) {
	for _, x := range ti.touched {
		if x == id {
			return
		}
	}
	ti.touched = append(ti.touched, id)
}

// Quiescent implements oracle.Oracle: the state checks that hold when no thread can run (the
// blocked threads are the generic oracle's).
func (c *Checker) Quiescent(res *sched.Result, _ *oracle.Reporter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st != nil {
		snap := c.st.Snapshot()
		c.checkQueuesAll(snap, res.Steps)
		c.checkSockbufs(snap, res.Steps)
		c.checkStates(snap, res.Steps)
	}
}

// Finish implements oracle.Oracle: the end-of-run checks.
func (c *Checker) Finish(end *oracle.End, _ *oracle.Reporter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res := end.Result
	// After a budget stop or a panic the threads were torn down wherever they were: the state
	// may be mid-update, so the state checks and the pending judgments are skipped.
	settled := end.Settled()
	if settled {
		c.finishAsync()
	}
	var snap *bsd.Snapshot
	if settled && c.st != nil {
		snap = c.st.Snapshot()
	}
	if settled {
		c.checkConservation(snap, res.Steps)
	}
	if snap != nil {
		c.checkQueuesAll(snap, res.Steps)
		c.checkSockbufs(snap, res.Steps)
		c.checkStates(snap, res.Steps)
		c.checkLeaks(res, c.st, end.Quiescent)
	}
}
