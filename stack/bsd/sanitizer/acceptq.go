package sanitizer

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
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
// The full check, with no exclusion, runs at quiescence (Checker.Quiescent) and at the end of
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

// onQueue tracks membership and runs the online check of the listener.
func (c *Checker) onQueue(st *bsd.Stack, ev bsd.ObsEvent, so *sockInfo) {
	ti := c.thread(ev.Thread)
	if ti != nil {
		ti.touch(ev.Sock)
		if ev.Head >= 0 {
			ti.touch(ev.Head)
		}
	}
	fresh := false
	victim := false
	if ev.Kind == bsd.ObsQueueInsert {
		if so.qhead >= 0 {
			c.reportEv(AcceptQueue, titleInsertQueued,
				fmt.Sprintf("so%d inserted on %s of so%d while on %s of so%d", ev.Sock, queueName(ev.Arg), ev.Head,
					queueName(so.qwhich), so.qhead), ev)
		}
		if so.freed {
			c.reportEv(AcceptQueue, titleInsertFreed,
				fmt.Sprintf("freed so%d inserted on %s of so%d", ev.Sock, queueName(ev.Arg), ev.Head), ev)
		}
		fresh = !so.everQueued
		victim = ti != nil && ti.hasLastQ && ti.lastQ.Kind == bsd.ObsQueueRemove &&
			ti.lastQ.Head == ev.Head && ti.lastQ.Arg == bsd.QIncomp
		so.qhead, so.qwhich, so.everQueued = ev.Head, ev.Arg, true
	} else {
		if so.qhead != ev.Head || so.qwhich != ev.Arg {
			c.reportEv(AcceptQueue, titleRemoveNotOn,
				fmt.Sprintf("so%d removed from %s of so%d but tracked on %s of so%d", ev.Sock, queueName(ev.Arg),
					ev.Head, queueName(so.qwhich), so.qhead), ev)
		}
		so.qhead, so.qwhich = -1, 0
	}
	if ti != nil {
		ti.lastQ, ti.hasLastQ = ev, true
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
				c.reportEv(AcceptQueue, titleIncompBound,
					fmt.Sprintf("so%d: so_incqlen %d with so_qlimit %d after inserting so%d", ev.Head, hs.Incqlen, hs.Qlimit, ev.Sock), ev)
			}
		case bsd.QComp:
			if hs.Qlen > int64(3*hs.Qlimit/2+st.CPUs()) {
				c.reportEv(AcceptQueue, titleCompBound,
					fmt.Sprintf("so%d: so_qlen %d with so_qlimit %d after inserting so%d", ev.Head, hs.Qlen, hs.Qlimit, ev.Sock), ev)
			}
		}
	}
	var exclude []int
	if ti != nil {
		exclude = ti.touched
	}
	c.checkListener(hs, func(id int) (bsd.SockSnapshot, bool) {
		s := sockAt(st, id)
		if s == nil {
			return bsd.SockSnapshot{}, false
		}
		return s.Snapshot(), true
	}, exclude, nil, ev)
}

// queueState notes a so_state write of a queued socket or a listener (its thread is then
// changing it, see onQueue's exclusion); the check itself waits for a queue event.
func (c *Checker) queueState(_ *bsd.Stack, ev bsd.ObsEvent) {
	if ti := c.thread(ev.Thread); ti != nil {
		ti.touch(ev.Sock)
	}
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
func (c *Checker) checkListener(hs bsd.SockSnapshot, get func(int) (bsd.SockSnapshot, bool),
	exclude []int, seen map[int]int, ev bsd.ObsEvent) {
	if hs.Qlen != int64(len(hs.Comp)) {
		c.reportEv(AcceptQueue, titleQlen,
			fmt.Sprintf("so%d: so_qlen %d, so_comp holds %d %v", hs.ID, hs.Qlen, len(hs.Comp), hs.Comp), ev)
	}
	if hs.Incqlen != int64(len(hs.Incomp)) {
		c.reportEv(AcceptQueue, titleIncqlen,
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
				c.reportEv(AcceptQueue, title, fmt.Sprintf("so%d found again on %s of so%d", id, queueName(q.which), hs.ID), ev)
				continue
			}
			local[id] = q.which
			if seen != nil {
				if other, ok := seen[id]; ok && other != hs.ID {
					c.reportEv(AcceptQueue, titleTwoQueues,
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
				c.reportEv(AcceptQueue, titleFreedQueued,
					fmt.Sprintf("freed so%d on %s of so%d", id, queueName(q.which), hs.ID), ev)
				continue
			}
			if ms.Head != hs.ID {
				c.reportEv(AcceptQueue, memberTitle(q.which, "with so_head != listener"),
					fmt.Sprintf("so%d on %s of so%d has so_head %d", id, queueName(q.which), hs.ID, ms.Head), ev)
			}
			if ms.State&q.want == 0 {
				c.reportEv(AcceptQueue, memberTitle(q.which, "without "+bsd.StateString(q.want)),
					fmt.Sprintf("so%d on %s of so%d has state %s", id, queueName(q.which), hs.ID, bsd.StateString(ms.State)), ev)
			}
			if ms.State&q.other != 0 {
				c.reportEv(AcceptQueue, memberTitle(q.which, "with "+bsd.StateString(q.other)),
					fmt.Sprintf("so%d on %s of so%d has state %s", id, queueName(q.which), hs.ID, bsd.StateString(ms.State)), ev)
			}
		}
	}
}

// checkQueuesAll checks every socket that has queues or queue counters, with no exclusion:
// at quiescence or at the end of a settled run.
func (c *Checker) checkQueuesAll(snap *bsd.Snapshot, step int) {
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
		c.checkListener(hs, get, nil, seen, ev)
	}
}

// onAccepted: accept returned a socket.
func (c *Checker) onAccepted(st *bsd.Stack, ev bsd.ObsEvent, so *sockInfo) {
	if so.accepted {
		c.reportEv(AcceptQueue, titleAcceptTwice, fmt.Sprintf("so%d accepted again from so%d", ev.Sock, ev.Head), ev)
	}
	so.accepted = true
	c.acceptNofdref(st, ev)
}

// onCompleted: the protocol completed a connection of a listener.
func (c *Checker) onCompleted(ev bsd.ObsEvent, so *sockInfo) {
	if so.completed {
		c.reportEv(AcceptQueue, titleCompleteTwice, fmt.Sprintf("so%d completed again on so%d", ev.Sock, ev.Head), ev)
	}
	so.completed, so.completedEv = true, ev
}

// checkConservation: every completed connection was accepted, is on so_comp, or was aborted;
// every accepted one was completed. snap (nil for none) gives the queues at the end;
// without it, the membership tracked from the events stands in.
func (c *Checker) checkConservation(snap *bsd.Snapshot, step int) {
	onComp := make(map[int]bool)
	if snap != nil {
		for _, s := range snap.Socks {
			for _, id := range s.Comp {
				onComp[id] = true
			}
		}
	}
	for id := range c.socks {
		so := &c.socks[id]
		queued := onComp[id] || snap == nil && so.qwhich == bsd.QComp
		if so.completed && !so.accepted && !so.aborted && !queued {
			c.report(AcceptQueue, titleLostConn,
				fmt.Sprintf("so%d completed on so%d at step %d: not accepted, not on so_comp, not aborted", id,
					so.completedEv.Head, so.completedEv.Step), so.completedEv.Thread, step)
		}
		if so.accepted && !so.completed {
			c.report(AcceptQueue, titleAcceptNotComp, fmt.Sprintf("so%d accepted but never completed", id), -1, step)
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
