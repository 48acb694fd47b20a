package oracle

import (
	"sync"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
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
	qwhich      int  // stack.QIncomp or stack.QComp while queued
	everQueued  bool
	nofdrefSets int  // SS_NOFDREF 0 -> 1 transitions
	asyncOn     bool // FIOASYNC set by a process and not cleared since
	accepted    bool
	completed   bool
	aborted     bool
	completedEv stack.ObsEvent
}

// asyncLoss is an ObsState that dropped SS_ASYNC while FIOASYNC was on, not yet judged: the
// clear that FIOASYNC itself makes is followed by that thread's ObsAsyncSet(0).
type asyncLoss struct {
	ev      stack.ObsEvent
	readies []stack.ObsEvent // readiness events of the socket without SS_ASYNC meanwhile
}

// threadInfo is what the Checker tracks per thread.
type threadInfo struct {
	// touched lists the sockets whose queue membership or state this thread changed since its
	// last "leave" event: they may be mid-update inside its queue-locked section (acceptq.go).
	touched []int
	// lastQ is the thread's previous queue event since its last leave event.
	lastQ    stack.ObsEvent
	hasLastQ bool
	// expect is a readiness with SS_ASYNC whose SIGIO must be the thread's next event.
	expect    stack.ObsEvent
	hasExpect bool
	// losses are SS_ASYNC clears by this thread not yet judged.
	losses []asyncLoss
	// wakeSock and wakeAsync are the socket of the thread's last sowakeup start (ObsWakeup)
	// and whether FIOASYNC was on for it then (Free mode's readiness judgment, wakeup.go).
	wakeSock  int
	wakeAsync bool
}

// Checker runs the oracles. It implements stack.Observer: install it in stack.Config.Observer,
// run the execution, then call Finish. A Checker serves one execution. It is safe for
// concurrent use (Free mode calls Observe from several goroutines); its online checks that read
// snapshots run only in Controlled mode, where they cannot race with the stack.
type Checker struct {
	mu sync.Mutex

	reports []Report
	titles  map[string]bool

	ring  [traceLen]stack.ObsEvent
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

// NewChecker returns a Checker for one execution.
func NewChecker() *Checker {
	if c, _ := checkerPool.Get().(*Checker); c != nil {
		return c
	}
	return &Checker{titles: make(map[string]bool), lastThread: -1}
}

// Release gives the Checker back for reuse by a later NewChecker, as new; the caller must not
// use it afterwards. The reports Finish and Reports returned are the caller's own.
func (c *Checker) Release() {
	c.mu.Lock()
	c.reports = nil
	clear(c.titles)
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

// Reports returns the reports so far, deduplicated by title, in order of first occurrence.
func (c *Checker) Reports() []Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Report(nil), c.reports...)
}

// report records a violation unless its title was already reported.
func (c *Checker) report(oracle, title, detail string, thread sched.ID, step int) {
	if c.titles[title] {
		return
	}
	c.titles[title] = true
	c.reports = append(c.reports, Report{Oracle: oracle, Title: title, Detail: detail,
		Thread: thread, Step: step, Trace: c.trace()})
}

// reportEv records a violation seen at event ev.
func (c *Checker) reportEv(oracle, title, detail string, ev stack.ObsEvent) {
	c.report(oracle, title, detail, ev.Thread, ev.Step)
}

// trace formats the recent events, oldest first.
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
func leaves(k stack.ObsKind) bool {
	switch k {
	case stack.ObsState, stack.ObsRefs, stack.ObsTouch, stack.ObsQueueInsert, stack.ObsQueueRemove:
		return false
	}
	return true
}

// controlled reports whether online snapshot checks may run: only in Controlled mode, where
// the observing thread is the only one running.
func controlled(st *stack.Stack) bool { return inMode(st, sched.Controlled) }

// freeMode reports whether the execution runs in Free mode, where events of two threads may
// reach the checker out of the order of their accesses.
func freeMode(st *stack.Stack) bool { return inMode(st, sched.Free) }

// inMode reports whether st has an execution and it runs in mode m.
func inMode(st *stack.Stack, m sched.Mode) bool {
	return st != nil && st.Exec() != nil && st.Exec().Mode() == m
}

// Observe implements stack.Observer: it records ev in the trace and runs the online checks.
func (c *Checker) Observe(st *stack.Stack, ev stack.ObsEvent) {
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
	if so.freed && ev.Kind != stack.ObsTouch && ev.Kind != stack.ObsSockFreed && ev.Kind != stack.ObsFdClose && !(lateRefs(ev) && freeMode(st)) {
		c.eventOnFreed(ev, so)
	}
	switch ev.Kind {
	case stack.ObsSockCreated:
		*so = sockInfo{seen: true, qhead: -1}
	case stack.ObsSockFreed:
		c.onFreed(ev, so)
	case stack.ObsTouch:
		c.onTouch(ev)
	case stack.ObsState:
		c.onState(st, ev, so)
	case stack.ObsFdInstall:
		c.onFdInstall(ev, so)
	case stack.ObsFdClose:
		c.onFdClose(ev, so)
	case stack.ObsQueueInsert, stack.ObsQueueRemove:
		c.onQueue(st, ev, so)
	case stack.ObsAccepted:
		c.onAccepted(st, ev, so)
	case stack.ObsCompleted:
		c.onCompleted(ev, so)
	case stack.ObsAborted:
		so.aborted = true
	case stack.ObsWakeup:
		if ti := c.thread(ev.Thread); ti != nil {
			ti.wakeSock, ti.wakeAsync = ev.Sock, so.asyncOn
		}
	case stack.ObsReady:
		c.onReady(ev, so, freeMode(st))
	case stack.ObsAsyncSet:
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

// Quiescent runs the checks that hold when no thread can run: call it with each Quiescent
// result of Exec.Run, before interrupting the blocked threads, for the fullest coverage (an
// executor that uses Exec.Finish passes the first quiescent result to Finish instead, and the
// state checks then see only the final state).
func (c *Checker) Quiescent(st *stack.Stack, res *sched.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checkBlocked(res)
	if st != nil {
		snap := st.Snapshot()
		c.checkQueuesAll(snap, res.Steps)
		c.checkSockbufs(snap, res.Steps)
		c.checkStates(snap, res.Steps)
	}
}

// Finish runs the end-of-run checks and returns every report of the run, deduplicated by
// title, in order of first occurrence. res is the final result; quiescent is the first
// quiescent result (Exec.Finish's first value), or nil.
func (c *Checker) Finish(res *sched.Result, st *stack.Stack, quiescent *sched.Result) []Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	if res == nil {
		res = &sched.Result{}
	}
	c.checkRaces(res)
	c.checkPanic(res)
	c.checkBugs(res)
	if quiescent != nil {
		c.checkBlocked(quiescent)
	}
	if res.Status == sched.Quiescent || res.Status == sched.Aborted {
		c.checkBlocked(res)
	}
	// After a budget stop or a panic the threads were torn down wherever they were: the state
	// may be mid-update, so the state checks and the pending judgments are skipped.
	settled := res.Status == sched.Done || res.Status == sched.Quiescent || res.Status == sched.Aborted
	if settled {
		c.finishAsync()
	}
	var snap *stack.Snapshot
	if settled && st != nil {
		snap = st.Snapshot()
	}
	if settled {
		c.checkConservation(snap, res.Steps)
	}
	if snap != nil {
		c.checkQueuesAll(snap, res.Steps)
		c.checkSockbufs(snap, res.Steps)
		c.checkStates(snap, res.Steps)
		c.checkLeaks(res, st, quiescent)
	}
	return append([]Report(nil), c.reports...)
}
