package sanitizer

import (
	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// traceLen is the number of recent events a report carries.
const traceLen = 64

// The tracker is what several oracles learn from the events, kept once for all of them: the
// event ring that reports carry as their trace, each socket's lifecycle (freed, descriptors,
// queue membership) and each thread's queue-locked section (acceptq.go). The Checker updates it
// around each event in two halves: before the oracles see the event (the ring, the thread's
// section, threadInfo.section) and after (the socket facts, after), so that an oracle judges
// an event against what was known before it.
type tracker struct {
	rep *oracle.Reporter
	st  *bsd.Stack // the attached stack, for the checks at quiescence and at the end

	ring  [traceLen]bsd.ObsEvent
	nring int // events seen in all

	socks   []sockInfo
	threads []threadInfo
	fds     []int // descriptor -> socket id + 1, 0 for none
}

// sockInfo is what the events showed of one socket's lifecycle.
type sockInfo struct {
	freed      bool
	fds        int // descriptors referring to it (ObsFdInstall minus ObsFdClose)
	qhead      int // the listener whose queue holds it, -1 for none
	qwhich     int // bsd.QIncomp or bsd.QComp while queued
	everQueued bool
}

// threadInfo is what the tracker knows of one thread.
type threadInfo struct {
	// touched lists the sockets whose queue membership or state this thread changed since its
	// last "leave" event: they may be mid-update inside its queue-locked section (acceptq.go).
	touched []int
	// lastQ is the thread's previous queue event since its last leave event.
	lastQ    bsd.ObsEvent
	hasLastQ bool
	// await is set when an oracle waits for the thread's next event (kindNext).
	await bool
}

// reset empties the tracker for another execution, keeping its tables' memory.
func (t *tracker) reset() {
	t.rep, t.st = nil, nil
	t.nring = 0
	for i := range t.threads {
		t.threads[i] = threadInfo{touched: t.threads[i].touched[:0]}
	}
	t.socks, t.threads, t.fds = t.socks[:0], t.threads[:0], t.fds[:0]
}

// report records a violation through the execution's Reporter, which keeps the first of each
// title.
func (t *tracker) report(oracle, title, detail string, thread sched.ID, step int) {
	t.rep.Report(oracle, title, detail, thread, step)
}

// reportEv records a violation seen at event ev.
func (t *tracker) reportEv(oracle, title, detail string, ev bsd.ObsEvent) {
	t.report(oracle, title, detail, ev.Thread, ev.Step)
}

// trace formats the recent events, oldest first. The Reporter calls it while the Checker's lock
// is held by the reporting oracle (or when the execution is over): it takes no lock.
func (t *tracker) trace() []string {
	n := min(t.nring, traceLen)
	out := make([]string, 0, n)
	for i := t.nring - n; i < t.nring; i++ {
		out = append(out, t.ring[i%traceLen].String())
	}
	return out
}

// sock returns the info of socket id, growing the table as needed.
func (t *tracker) sock(id int) *sockInfo {
	if id < 0 {
		return &sockInfo{qhead: -1}
	}
	for len(t.socks) <= id {
		t.socks = append(t.socks, sockInfo{qhead: -1})
	}
	return &t.socks[id]
}

// thread returns the info of thread id, or nil for events from outside any thread.
func (t *tracker) thread(id sched.ID) *threadInfo {
	if id < 0 {
		return nil
	}
	for len(t.threads) <= int(id) {
		t.threads = append(t.threads, threadInfo{})
	}
	return &t.threads[id]
}

// await makes the Checker call the kindNext oracles at thread id's next event.
func (t *tracker) await(id sched.ID) {
	if ti := t.thread(id); ti != nil {
		ti.await = true
	}
}

// section is the half of the update the oracles see with the event (which the Checker has put
// in the ring, the trace of its own reports, and whose thread's await it has taken): the
// thread's queue-locked section ends at a leave event, and a queue event or state write marks
// its sockets as the thread's own (acceptq.go's exclusion list). Touch and reference events
// change nothing here: the Checker, for which they are the most frequent, does not call it.
func (ti *threadInfo) section(ev *bsd.ObsEvent) {
	switch ev.Kind {
	case bsd.ObsRefs, bsd.ObsTouch:
	case bsd.ObsState:
		ti.touch(ev.Sock)
	case bsd.ObsQueueInsert, bsd.ObsQueueRemove:
		ti.touch(ev.Sock)
		if ev.Head >= 0 {
			ti.touch(ev.Head)
		}
	default: // a leave event
		ti.touched = ti.touched[:0]
		ti.hasLastQ = false
	}
}

// afterKinds is the set of the kinds after handles, as bits.
const afterKinds = 1<<bsd.ObsSockCreated | 1<<bsd.ObsSockFreed | 1<<bsd.ObsFdInstall | 1<<bsd.ObsFdClose |
	1<<bsd.ObsQueueInsert | 1<<bsd.ObsQueueRemove

// after is the half of the update made once the oracles judged ev: the socket facts it
// establishes. The Checker calls it for afterKinds only.
func (t *tracker) after(ev *bsd.ObsEvent) {
	switch ev.Kind {
	case bsd.ObsSockCreated:
		*t.sock(ev.Sock) = sockInfo{qhead: -1}
	case bsd.ObsSockFreed:
		t.sock(ev.Sock).freed = true
	case bsd.ObsFdInstall:
		t.fdInstall(ev)
	case bsd.ObsFdClose:
		t.fdClose(ev)
	case bsd.ObsQueueInsert:
		so := t.sock(ev.Sock)
		so.qhead, so.qwhich, so.everQueued = ev.Head, ev.Arg, true
		t.lastQ(ev)
	case bsd.ObsQueueRemove:
		so := t.sock(ev.Sock)
		so.qhead, so.qwhich = -1, 0
		t.lastQ(ev)
	}
}

// lastQ records ev as its thread's last queue event.
func (t *tracker) lastQ(ev *bsd.ObsEvent) {
	if ti := t.thread(ev.Thread); ti != nil {
		ti.lastQ, ti.hasLastQ = *ev, true
	}
}

// fdInstall: descriptor ev.Arg now refers to the socket.
func (t *tracker) fdInstall(ev *bsd.ObsEvent) {
	fd := ev.Arg
	if fd < 0 {
		return
	}
	for len(t.fds) <= fd {
		t.fds = append(t.fds, 0)
	}
	if old := t.fds[fd] - 1; old >= 0 {
		// Installed over a descriptor never closed: the old socket loses that reference.
		if o := t.sock(old); o.fds > 0 {
			o.fds--
		}
	}
	t.fds[fd] = ev.Sock + 1
	t.sock(ev.Sock).fds++
}

// fdClose: descriptor ev.Arg no longer refers to the socket.
func (t *tracker) fdClose(ev *bsd.ObsEvent) {
	if fd := ev.Arg; fd >= 0 && fd < len(t.fds) && t.fds[fd] == ev.Sock+1 {
		t.fds[fd] = 0
		if so := t.sock(ev.Sock); so.fds > 0 {
			so.fds--
		}
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

// slot returns element id of *tab, growing it with zero values as needed: an oracle's own
// per-socket or per-thread table. For a negative id it returns *scratch, zeroed: what is
// written there is forgotten, as for an event about no socket.
func slot[T any](tab *[]T, id int, scratch *T) *T {
	if id < 0 {
		var zero T
		*scratch = zero
		return scratch
	}
	for len(*tab) <= id {
		var zero T
		*tab = append(*tab, zero)
	}
	return &(*tab)[id]
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
