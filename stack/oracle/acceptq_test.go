package oracle

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestAcceptQueueEvents: the checks made from the events alone.
func TestAcceptQueueEvents(t *testing.T) {
	const L, S, S2 = 0, 1, 2
	const net, proc = 0, 2
	ins := func(s, q int) stack.ObsEvent { return E(stack.ObsQueueInsert, net, s, head(L), arg(q)) }
	rem := func(s, q int) stack.ObsEvent { return E(stack.ObsQueueRemove, net, s, head(L), arg(q)) }
	base := evs(E(stack.ObsSockCreated, proc, L), E(stack.ObsSockCreated, net, S), E(stack.ObsSockCreated, net, S2))
	connect := evs(ins(S, stack.QIncomp), rem(S, stack.QIncomp), ins(S, stack.QComp),
		E(stack.ObsCompleted, net, S, head(L)))
	accept := evs(rem(S, stack.QComp), E(stack.ObsAccepted, proc, S, head(L)))
	tests := []struct {
		name string
		evs  []stack.ObsEvent
		want []string
	}{
		{"connect and accept", cat(base, connect, accept), nil},
		{"connect and abort", cat(base, connect, evs(rem(S, stack.QComp), E(stack.ObsAborted, proc, S, head(L)))), nil},
		{"accepted twice", cat(base, connect, accept, evs(E(stack.ObsAccepted, proc, S, head(L)))), []string{titleAcceptTwice}},
		{"completed twice", cat(base, connect, evs(E(stack.ObsCompleted, net, S, head(L)))), []string{titleCompleteTwice}},
		{"inserted while queued", cat(base, evs(ins(S, stack.QIncomp), ins(S, stack.QComp))), []string{titleInsertQueued}},
		{"removed while not queued", cat(base, evs(rem(S, stack.QComp))), []string{titleRemoveNotOn}},
		{"removed from the wrong queue", cat(base, evs(ins(S, stack.QIncomp), rem(S, stack.QComp))), []string{titleRemoveNotOn}},
		{"freed socket inserted", cat(base, evs(E(stack.ObsSockFreed, net, S2), ins(S2, stack.QIncomp))),
			[]string{titleInsertFreed}},
		{"completed connection lost", cat(base, connect, evs(rem(S, stack.QComp))), []string{titleLostConn}},
		{"accepted, never completed", cat(base, evs(ins(S, stack.QComp), rem(S, stack.QComp),
			E(stack.ObsAccepted, proc, S, head(L)))), []string{titleAcceptNotComp}},
	}
	for _, tc := range tests {
		expect(t, tc.name, feed(tc.evs...), tc.want...)
	}
}

// lsnap is a listener snapshot with the given queues and counters.
func lsnap(id int, comp, incomp []int, qlen, incqlen int64) stack.SockSnapshot {
	return stack.SockSnapshot{ID: id, Proto: stack.TCP, Head: -1, Listen: true, Qlimit: 2,
		Comp: comp, Incomp: incomp, Qlen: qlen, Incqlen: incqlen, TCPState: stack.TCPS_LISTEN, HasPCB: true}
}

// msnap is a queued socket's snapshot.
func msnap(id, head int, st uint64) stack.SockSnapshot {
	return stack.SockSnapshot{ID: id, Proto: stack.TCP, Head: head, State: st | stack.SS_NOFDREF,
		TCPState: stack.TCPS_SYN_RECEIVED, HasPCB: true}
}

// TestAcceptQueueState: the checks of a listener's queues and members, on snapshots built by
// hand, as Quiescent and Finish make them.
func TestAcceptQueueState(t *testing.T) {
	const C, I = stack.SS_COMP, stack.SS_INCOMP
	tests := []struct {
		name  string
		socks []stack.SockSnapshot
		want  []string
	}{
		{"consistent", []stack.SockSnapshot{lsnap(0, []int{1}, []int{2}, 1, 1), msnap(1, 0, C), msnap(2, 0, I)}, nil},
		{"empty", []stack.SockSnapshot{lsnap(0, nil, nil, 0, 0)}, nil},
		{"qlen", []stack.SockSnapshot{lsnap(0, []int{1}, nil, 2, 0), msnap(1, 0, C)}, []string{titleQlen}},
		{"incqlen", []stack.SockSnapshot{lsnap(0, nil, []int{1}, 0, 0), msnap(1, 0, I)}, []string{titleIncqlen}},
		{"closed listener with counters left", []stack.SockSnapshot{lsnap(0, nil, nil, 1, 0)}, []string{titleQlen}},
		{"so_head", []stack.SockSnapshot{lsnap(0, []int{1}, nil, 1, 0), msnap(1, -1, C)},
			[]string{"accept-queue: socket on so_comp with so_head != listener"}},
		{"missing SS_COMP", []stack.SockSnapshot{lsnap(0, []int{1}, nil, 1, 0), msnap(1, 0, I)},
			[]string{"accept-queue: socket on so_comp without COMP", "accept-queue: socket on so_comp with INCOMP"}},
		{"missing SS_INCOMP", []stack.SockSnapshot{lsnap(0, nil, []int{1}, 0, 1), msnap(1, 0, 0)},
			[]string{"accept-queue: socket on so_incomp without INCOMP"}},
		{"twice on a queue", []stack.SockSnapshot{lsnap(0, []int{1, 1}, nil, 2, 0), msnap(1, 0, C)}, []string{titleTwice}},
		{"on both queues", []stack.SockSnapshot{lsnap(0, []int{1}, []int{1}, 1, 1), msnap(1, 0, C)},
			[]string{"accept-queue: socket on so_incomp without INCOMP", "accept-queue: socket on so_incomp with COMP", titleTwoQueues}},
		{"on two listeners", []stack.SockSnapshot{lsnap(0, []int{2}, nil, 1, 0), lsnap(1, []int{2}, nil, 1, 0), msnap(2, 0, C)},
			[]string{titleTwoQueues, "accept-queue: socket on so_comp with so_head != listener"}},
		{"freed member", []stack.SockSnapshot{lsnap(0, []int{1}, nil, 1, 0), {ID: 1, Head: 0, Freed: true}}, []string{titleFreedQueued}},
	}
	for _, tc := range tests {
		c := NewChecker()
		c.checkQueuesAll(&stack.Snapshot{Socks: tc.socks}, 1)
		expect(t, tc.name, c.reports, tc.want...)
	}
}

// TestAcceptQueueOnline: the online check at a queue event skips the members the reporting
// thread is changing, but not the others.
func TestAcceptQueueOnline(t *testing.T) {
	hs := lsnap(0, []int{1, 2}, nil, 2, 0)
	socks := map[int]stack.SockSnapshot{1: msnap(1, 0, stack.SS_INCOMP), 2: msnap(2, 0, stack.SS_COMP)}
	get := func(id int) (stack.SockSnapshot, bool) { s, ok := socks[id]; return s, ok }
	c := NewChecker()
	c.checkListener(hs, get, []int{1}, nil, stack.ObsEvent{})
	expect(t, "mid-move member excluded", c.reports)
	socks[2] = msnap(2, 0, 0)
	c.checkListener(hs, get, []int{1}, nil, stack.ObsEvent{})
	expect(t, "other member checked", c.reports, "accept-queue: socket on so_comp without COMP")
}

// TestAcceptQueueLeaveEvents: a leave event ends a thread's exclusion list.
func TestAcceptQueueLeaveEvents(t *testing.T) {
	c := NewChecker()
	c.Observe(nil, E(stack.ObsState, 1, 5, state(0, stack.SS_COMP)))
	if got := c.thread(1).touched; len(got) != 1 || got[0] != 5 {
		t.Fatalf("touched %v", got)
	}
	c.Observe(nil, E(stack.ObsWakeup, 1, 0))
	if got := c.thread(1).touched; len(got) != 0 {
		t.Fatalf("touched after a leave event: %v", got)
	}
	_ = c.Finish(&sched.Result{Status: sched.Done}, nil, nil)
}
