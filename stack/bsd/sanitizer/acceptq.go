package sanitizer

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
)

// The accept-queue oracle: so_incomp and so_comp of every listener.
//
// Invariants: so_qlen == len(so_comp) and so_incqlen == len(so_incomp); every member has
// so_head == the listener and exactly the one of SS_COMP / SS_INCOMP that matches its queue; no
// socket twice on a queue or on two queues; no freed socket on a queue; BSD's overflow bounds;
// accept never returns the same socket twice; and conservation: every connection the stack
// completed was accepted, is still on so_comp, or was aborted.
//
// When to look. The stack changes a queue and its counter, and then the members' flags and
// so_head, as separate steps inside the listener's queue lock; a look from the middle of such a
// section sees a transient mismatch. The observer does not say who holds the lock, so the
// online check runs only at a queue event (ObsQueueInsert/ObsQueueRemove), Controlled mode:
//
//   - the stack reports a queue event after updating both the list and its counter, with the
//     listener's queue lock held, so no other thread is inside a section of that listener and
//     the counters must match the lists;
//   - the member flags are checked for every member except the sockets that the reporting
//     thread itself changed (queue event or so_state write) since its last "leave" event: an
//     event kind the correct stack never emits inside a queue-locked section (completed,
//     accepted, aborted, sleep, wakeup, ready, SIGIO, descriptor, created, freed, FIOASYNC).
//     Those sockets may be mid-move in this very section.
//
// The full check, with no exclusion, runs at quiescence (Quiescent) and at the end of
// a settled run (Finish), when no thread is inside a section. Membership is also tracked from
// the events themselves, in both modes: an insertion of a socket already queued, a removal of a
// socket not on that queue, a freed socket put on a queue.
//
// Bounds. sonewconn refuses a connection when so_qlen > 3*qlimit/2, and before queueing on
// so_incomp drops the oldest embryonic one when so_incqlen > qlimit. So a fresh insertion (a
// socket never queued before) into so_incomp leaves so_incqlen <= qlimit+1 unless the same
// section dropped a victim first (a lowered backlog); one into so_comp leaves so_qlen <=
// 3*qlimit/2 + CPUs (the test and the insertion are separate locked sections, so each
// protocol thread may pass the test at the same time). A move from so_incomp to so_comp
// (soisconnected) is not bounded, as in BSD.

// Titles of the accept-queue oracle.
const (
	titleQlen          = "accept-queue: so_qlen != len(so_comp)"
	titleIncqlen       = "accept-queue: so_incqlen != len(so_incomp)"
	titleTwice         = "accept-queue: socket twice on a queue"
	titleTwoQueues     = "accept-queue: socket on two queues"
	titleInsertQueued  = "accept-queue: socket inserted while already on a queue"
	titleRemoveNotOn   = "accept-queue: socket removed from a queue it is not on"
	titleFreedQueued   = "accept-queue: freed socket on a queue"
	titleInsertFreed   = "accept-queue: freed socket inserted on a queue"
	titleIncompBound   = "accept-queue: so_incqlen over qlimit+1 after sonewconn"
	titleCompBound     = "accept-queue: so_qlen over the 3*qlimit/2 bound after sonewconn"
	titleAcceptTwice   = "accept-queue: accept returned the same socket twice"
	titleCompleteTwice = "accept-queue: connection completed twice"
	titleLostConn      = "accept-queue: completed connection neither accepted, queued nor aborted"
	titleAcceptNotComp = "accept-queue: accept returned a connection never completed"
	titleFreedListener = "accept-queue: listener freed with connections on its queues"
)

// memberTitle is the title for a member of queue q whose so_head or flags are wrong.
func memberTitle(q int, what string) string {
	return fmt.Sprintf("accept-queue: socket on %s %s", queueName(q), what)
}

// acceptQueue is the accept-queue oracle.
type acceptQueue struct {
	t       *tracker
	socks   []acceptSock
	scratch acceptSock
}

// acceptSock is what the oracle keeps of one socket, for conservation.
type acceptSock struct {
	accepted    bool
	completed   bool
	aborted     bool
	completedEv bsd.ObsEvent
}

func (*acceptQueue) kinds() []bsd.ObsKind {
	return []bsd.ObsKind{bsd.ObsSockCreated, bsd.ObsSockFreed, bsd.ObsQueueInsert, bsd.ObsQueueRemove,
		bsd.ObsAccepted, bsd.ObsCompleted, bsd.ObsAborted}
}

// Observe implements eventOracle.
func (a *acceptQueue) Observe(k bsd.ObsKind, st *bsd.Stack, ev *bsd.ObsEvent) {
	switch k {
	case bsd.ObsSockCreated:
		*a.sock(ev.Sock) = acceptSock{}
	case bsd.ObsSockFreed:
		a.onFreed(*ev)
	case bsd.ObsQueueInsert, bsd.ObsQueueRemove:
		a.onQueue(st, *ev)
	case bsd.ObsAccepted:
		a.onAccepted(*ev)
	case bsd.ObsCompleted:
		a.onCompleted(*ev)
	case bsd.ObsAborted:
		a.sock(ev.Sock).aborted = true
	}
}

// Quiescent implements bsdOracle: the full check of the queues.
func (a *acceptQueue) Quiescent(snap *bsd.Snapshot, step int) { a.checkQueuesAll(snap, step) }

// Finish implements bsdOracle: conservation, then the full check of the queues.
func (a *acceptQueue) Finish(end *oracle.End, snap *bsd.Snapshot) {
	if end.Settled() {
		a.checkConservation(snap, end.Result.Steps)
	}
	if snap != nil {
		a.checkQueuesAll(snap, end.Result.Steps)
	}
}

func (a *acceptQueue) reset() { a.socks = a.socks[:0] }

// sock returns the oracle's info of socket id.
func (a *acceptQueue) sock(id int) *acceptSock { return slot(&a.socks, id, &a.scratch) }

// onFreed: a listener goes only once its queues are drained: a member left behind keeps an
// so_head that points at freed memory.
func (a *acceptQueue) onFreed(ev bsd.ObsEvent) {
	for id := range a.t.socks {
		if m := &a.t.socks[id]; m.qhead == ev.Sock && !m.freed {
			a.t.reportEv(AcceptQueue, titleFreedListener,
				fmt.Sprintf("listener so%d freed with so%d still on its %s", ev.Sock, id, queueName(m.qwhich)), ev)
			break
		}
	}
}

// onQueue checks a queue event against the membership tracked so far, then runs the online
// check of the listener.
func (a *acceptQueue) onQueue(st *bsd.Stack, ev bsd.ObsEvent) {
	so := a.t.sock(ev.Sock)
	ti := a.t.thread(ev.Thread)
	fresh := false
	victim := false
	if ev.Kind == bsd.ObsQueueInsert {
		if so.qhead >= 0 {
			a.t.reportEv(AcceptQueue, titleInsertQueued,
				fmt.Sprintf("so%d inserted on %s of so%d while on %s of so%d", ev.Sock, queueName(ev.Arg), ev.Head,
					queueName(so.qwhich), so.qhead), ev)
		}
		if so.freed {
			a.t.reportEv(AcceptQueue, titleInsertFreed,
				fmt.Sprintf("freed so%d inserted on %s of so%d", ev.Sock, queueName(ev.Arg), ev.Head), ev)
		}
		fresh = !so.everQueued
		victim = ti != nil && ti.hasLastQ && ti.lastQ.Kind == bsd.ObsQueueRemove &&
			ti.lastQ.Head == ev.Head && ti.lastQ.Arg == bsd.QIncomp
	} else if so.qhead != ev.Head || so.qwhich != ev.Arg {
		a.t.reportEv(AcceptQueue, titleRemoveNotOn,
			fmt.Sprintf("so%d removed from %s of so%d but tracked on %s of so%d", ev.Sock, queueName(ev.Arg),
				ev.Head, queueName(so.qwhich), so.qhead), ev)
	}
	if !controlled(st) {
		return
	}
	head := sockAt(st, ev.Head)
	if head == nil {
		return
	}
	hs := head.Snapshot()
	if fresh {
		switch ev.Arg {
		case bsd.QIncomp:
			if hs.Incqlen > int64(hs.Qlimit)+1 && !victim {
				a.t.reportEv(AcceptQueue, titleIncompBound,
					fmt.Sprintf("so%d: so_incqlen %d with so_qlimit %d after inserting so%d", ev.Head, hs.Incqlen, hs.Qlimit, ev.Sock), ev)
			}
		case bsd.QComp:
			if hs.Qlen > int64(3*hs.Qlimit/2+st.CPUs()) {
				a.t.reportEv(AcceptQueue, titleCompBound,
					fmt.Sprintf("so%d: so_qlen %d with so_qlimit %d after inserting so%d", ev.Head, hs.Qlen, hs.Qlimit, ev.Sock), ev)
			}
		}
	}
	var exclude []int
	if ti != nil {
		exclude = ti.touched
	}
	a.checkListener(hs, func(id int) (bsd.SockSnapshot, bool) {
		s := sockAt(st, id)
		if s == nil {
			return bsd.SockSnapshot{}, false
		}
		return s.Snapshot(), true
	}, exclude, nil, ev)
}

// sockAt returns socket id of the stack, or nil.
func sockAt(st *bsd.Stack, id int) *bsd.Socket {
	socks := st.Sockets()
	if id < 0 || id >= len(socks) {
		return nil
	}
	return socks[id]
}

// checkListener checks one listener's queues: counters, members' so_head and flags,
// duplicates, freed members. get returns a member's snapshot; exclude lists members not to
// check the flags of; seen (may be nil) maps sockets already found on some queue to their
// listener, across listeners.
func (a *acceptQueue) checkListener(hs bsd.SockSnapshot, get func(int) (bsd.SockSnapshot, bool),
	exclude []int, seen map[int]int, ev bsd.ObsEvent) {
	if hs.Qlen != int64(len(hs.Comp)) {
		a.t.reportEv(AcceptQueue, titleQlen,
			fmt.Sprintf("so%d: so_qlen %d, so_comp holds %d %v", hs.ID, hs.Qlen, len(hs.Comp), hs.Comp), ev)
	}
	if hs.Incqlen != int64(len(hs.Incomp)) {
		a.t.reportEv(AcceptQueue, titleIncqlen,
			fmt.Sprintf("so%d: so_incqlen %d, so_incomp holds %d %v", hs.ID, hs.Incqlen, len(hs.Incomp), hs.Incomp), ev)
	}
	local := make(map[int]int, len(hs.Comp)+len(hs.Incomp))
	for _, q := range []struct {
		which   int
		members []int
		want    uint64
		other   uint64
	}{
		{bsd.QIncomp, hs.Incomp, bsd.SS_INCOMP, bsd.SS_COMP},
		{bsd.QComp, hs.Comp, bsd.SS_COMP, bsd.SS_INCOMP},
	} {
		for _, id := range q.members {
			if prev, ok := local[id]; ok {
				title := titleTwice
				if prev != q.which {
					title = titleTwoQueues
				}
				a.t.reportEv(AcceptQueue, title, fmt.Sprintf("so%d found again on %s of so%d", id, queueName(q.which), hs.ID), ev)
				continue
			}
			local[id] = q.which
			if seen != nil {
				if other, ok := seen[id]; ok && other != hs.ID {
					a.t.reportEv(AcceptQueue, titleTwoQueues,
						fmt.Sprintf("so%d on the queues of so%d and so%d", id, other, hs.ID), ev)
				}
				seen[id] = hs.ID
			}
			if contains(exclude, id) {
				continue
			}
			ms, ok := get(id)
			if !ok {
				continue
			}
			if ms.Freed {
				a.t.reportEv(AcceptQueue, titleFreedQueued,
					fmt.Sprintf("freed so%d on %s of so%d", id, queueName(q.which), hs.ID), ev)
				continue
			}
			if ms.Head != hs.ID {
				a.t.reportEv(AcceptQueue, memberTitle(q.which, "with so_head != listener"),
					fmt.Sprintf("so%d on %s of so%d has so_head %d", id, queueName(q.which), hs.ID, ms.Head), ev)
			}
			if ms.State&q.want == 0 {
				a.t.reportEv(AcceptQueue, memberTitle(q.which, "without "+bsd.StateString(q.want)),
					fmt.Sprintf("so%d on %s of so%d has state %s", id, queueName(q.which), hs.ID, bsd.StateString(ms.State)), ev)
			}
			if ms.State&q.other != 0 {
				a.t.reportEv(AcceptQueue, memberTitle(q.which, "with "+bsd.StateString(q.other)),
					fmt.Sprintf("so%d on %s of so%d has state %s", id, queueName(q.which), hs.ID, bsd.StateString(ms.State)), ev)
			}
		}
	}
}

// checkQueuesAll checks every socket that has queues or queue counters, with no exclusion:
// at quiescence or at the end of a settled run.
func (a *acceptQueue) checkQueuesAll(snap *bsd.Snapshot, step int) {
	byID := make(map[int]int, len(snap.Socks))
	for i, s := range snap.Socks {
		byID[s.ID] = i
	}
	get := func(id int) (bsd.SockSnapshot, bool) {
		i, ok := byID[id]
		if !ok {
			return bsd.SockSnapshot{}, false
		}
		return snap.Socks[i], true
	}
	ev := bsd.ObsEvent{Step: step, Thread: -1, Sock: -1, Head: -1}
	seen := make(map[int]int)
	for _, hs := range snap.Socks {
		if len(hs.Comp) == 0 && len(hs.Incomp) == 0 && hs.Qlen == 0 && hs.Incqlen == 0 {
			continue
		}
		a.checkListener(hs, get, nil, seen, ev)
	}
}

// onAccepted: accept returned a socket.
func (a *acceptQueue) onAccepted(ev bsd.ObsEvent) {
	so := a.sock(ev.Sock)
	if so.accepted {
		a.t.reportEv(AcceptQueue, titleAcceptTwice, fmt.Sprintf("so%d accepted again from so%d", ev.Sock, ev.Head), ev)
	}
	so.accepted = true
}

// onCompleted: the protocol completed a connection of a listener.
func (a *acceptQueue) onCompleted(ev bsd.ObsEvent) {
	so := a.sock(ev.Sock)
	if so.completed {
		a.t.reportEv(AcceptQueue, titleCompleteTwice, fmt.Sprintf("so%d completed again on so%d", ev.Sock, ev.Head), ev)
	}
	so.completed, so.completedEv = true, ev
}

// checkConservation: every completed connection was accepted, is on so_comp, or was aborted;
// every accepted one was completed. snap (nil for none) gives the queues at the end;
// without it, the membership tracked from the events stands in.
func (a *acceptQueue) checkConservation(snap *bsd.Snapshot, step int) {
	onComp := make(map[int]bool)
	if snap != nil {
		for _, s := range snap.Socks {
			for _, id := range s.Comp {
				onComp[id] = true
			}
		}
	}
	for id := range a.socks {
		so := &a.socks[id]
		queued := onComp[id] || snap == nil && id < len(a.t.socks) && a.t.socks[id].qwhich == bsd.QComp
		if so.completed && !so.accepted && !so.aborted && !queued {
			a.t.report(AcceptQueue, titleLostConn,
				fmt.Sprintf("so%d completed on so%d at step %d: not accepted, not on so_comp, not aborted", id,
					so.completedEv.Head, so.completedEv.Step), so.completedEv.Thread, step)
		}
		if so.accepted && !so.completed {
			a.t.report(AcceptQueue, titleAcceptNotComp, fmt.Sprintf("so%d accepted but never completed", id), -1, step)
		}
	}
}

// contains reports whether xs holds x.
func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
