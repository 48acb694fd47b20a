package sanitizer

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestAcceptQueueEvents: the checks made from the events alone.
func TestAcceptQueueEvents(t *testing.T) {
	const L, S, S2 = 0, 1, 2
	const net, proc = 0, 2
	ins := func(s, q int) bsd.ObsEvent { return E(bsd.ObsQueueInsert, net, s, head(L), arg(q)) }
	rem := func(s, q int) bsd.ObsEvent { return E(bsd.ObsQueueRemove, net, s, head(L), arg(q)) }
	base := evs(E(bsd.ObsSockCreated, proc, L), E(bsd.ObsSockCreated, net, S), E(bsd.ObsSockCreated, net, S2))
	connect := evs(ins(S, bsd.QIncomp), rem(S, bsd.QIncomp), ins(S, bsd.QComp),
		E(bsd.ObsCompleted, net, S, head(L)))
	accept := evs(rem(S, bsd.QComp), E(bsd.ObsAccepted, proc, S, head(L)))
	tests := []struct {
		name string
		evs  []bsd.ObsEvent
		want []string
	}{
		{"connect and accept", cat(base, connect, accept), nil},
		{"connect and abort", cat(base, connect, evs(rem(S, bsd.QComp), E(bsd.ObsAborted, proc, S, head(L)))), nil},
		{"accepted twice", cat(base, connect, accept, evs(E(bsd.ObsAccepted, proc, S, head(L)))), []string{titleAcceptTwice}},
		{"completed twice", cat(base, connect, evs(E(bsd.ObsCompleted, net, S, head(L)))), []string{titleCompleteTwice}},
		{"inserted while queued", cat(base, evs(ins(S, bsd.QIncomp), ins(S, bsd.QComp))), []string{titleInsertQueued}},
		{"removed while not queued", cat(base, evs(rem(S, bsd.QComp))), []string{titleRemoveNotOn}},
		{"removed from the wrong queue", cat(base, evs(ins(S, bsd.QIncomp), rem(S, bsd.QComp))), []string{titleRemoveNotOn}},
		{"freed socket inserted", cat(base, evs(E(bsd.ObsSockFreed, net, S2), ins(S2, bsd.QIncomp))),
			[]string{titleInsertFreed}},
		{"completed connection lost", cat(base, connect, evs(rem(S, bsd.QComp))), []string{titleLostConn}},
		{"accepted, never completed", cat(base, evs(ins(S, bsd.QComp), rem(S, bsd.QComp),
			E(bsd.ObsAccepted, proc, S, head(L)))), []string{titleAcceptNotComp}},
	}
	for _, tc := range tests {
		expect(t, tc.name, feed(tc.evs...), tc.want...)
	}
}

// lsnap is a listener snapshot with the given queues and counters.
func lsnap(id int, comp, incomp []int, qlen, incqlen int64) bsd.SockSnapshot {
	return bsd.SockSnapshot{ID: id, Proto: bsd.TCP, Head: -1, Listen: true, Qlimit: 2,
		Comp: comp, Incomp: incomp, Qlen: qlen, Incqlen: incqlen, TCPState: bsd.TCPS_LISTEN, HasPCB: true}
}

// msnap is a queued socket's snapshot.
func msnap(id, head int, st uint64) bsd.SockSnapshot {
	return bsd.SockSnapshot{ID: id, Proto: bsd.TCP, Head: head, State: st | bsd.SS_NOFDREF,
		TCPState: bsd.TCPS_SYN_RECEIVED, HasPCB: true}
}

// TestAcceptQueueState: the checks of a listener's queues and members, on snapshots built by
// hand, as Quiescent and Finish make them.
func TestAcceptQueueState(t *testing.T) {
	const C, I = bsd.SS_COMP, bsd.SS_INCOMP
	tests := []struct {
		name  string
		socks []bsd.SockSnapshot
		want  []string
	}{
		{"consistent", []bsd.SockSnapshot{lsnap(0, []int{1}, []int{2}, 1, 1), msnap(1, 0, C), msnap(2, 0, I)}, nil},
		{"empty", []bsd.SockSnapshot{lsnap(0, nil, nil, 0, 0)}, nil},
		{"qlen", []bsd.SockSnapshot{lsnap(0, []int{1}, nil, 2, 0), msnap(1, 0, C)}, []string{titleQlen}},
		{"incqlen", []bsd.SockSnapshot{lsnap(0, nil, []int{1}, 0, 0), msnap(1, 0, I)}, []string{titleIncqlen}},
		{"closed listener with counters left", []bsd.SockSnapshot{lsnap(0, nil, nil, 1, 0)}, []string{titleQlen}},
		{"so_head", []bsd.SockSnapshot{lsnap(0, []int{1}, nil, 1, 0), msnap(1, -1, C)},
			[]string{"accept-queue: socket on so_comp with so_head != listener"}},
		{"missing SS_COMP", []bsd.SockSnapshot{lsnap(0, []int{1}, nil, 1, 0), msnap(1, 0, I)},
			[]string{"accept-queue: socket on so_comp without COMP", "accept-queue: socket on so_comp with INCOMP"}},
		{"missing SS_INCOMP", []bsd.SockSnapshot{lsnap(0, nil, []int{1}, 0, 1), msnap(1, 0, 0)},
			[]string{"accept-queue: socket on so_incomp without INCOMP"}},
		{"twice on a queue", []bsd.SockSnapshot{lsnap(0, []int{1, 1}, nil, 2, 0), msnap(1, 0, C)}, []string{titleTwice}},
		{"on both queues", []bsd.SockSnapshot{lsnap(0, []int{1}, []int{1}, 1, 1), msnap(1, 0, C)},
			[]string{"accept-queue: socket on so_incomp without INCOMP", "accept-queue: socket on so_incomp with COMP", titleTwoQueues}},
		{"on two listeners", []bsd.SockSnapshot{lsnap(0, []int{2}, nil, 1, 0), lsnap(1, []int{2}, nil, 1, 0), msnap(2, 0, C)},
			[]string{titleTwoQueues, "accept-queue: socket on so_comp with so_head != listener"}},
		{"freed member", []bsd.SockSnapshot{lsnap(0, []int{1}, nil, 1, 0), {ID: 1, Head: 0, Freed: true}}, []string{titleFreedQueued}},
	}
	for _, tc := range tests {
		c := newJudge()
		c.acceptQ.checkQueuesAll(&bsd.Snapshot{Socks: tc.socks}, 1)
		expect(t, tc.name, c.rep.Reports(), tc.want...)
	}
}

// TestAcceptQueueOnline: the online check at a queue event skips the members the reporting
// thread is changing, but not the others.
func TestAcceptQueueOnline(t *testing.T) {
	hs := lsnap(0, []int{1, 2}, nil, 2, 0)
	socks := map[int]bsd.SockSnapshot{1: msnap(1, 0, bsd.SS_INCOMP), 2: msnap(2, 0, bsd.SS_COMP)}
	get := func(id int) (bsd.SockSnapshot, bool) { s, ok := socks[id]; return s, ok }
	c := newJudge()
	c.acceptQ.checkListener(hs, get, []int{1}, nil, bsd.ObsEvent{})
	expect(t, "mid-move member excluded", c.rep.Reports())
	socks[2] = msnap(2, 0, 0)
	c.acceptQ.checkListener(hs, get, []int{1}, nil, bsd.ObsEvent{})
	expect(t, "other member checked", c.rep.Reports(), "accept-queue: socket on so_comp without COMP")
}

// TestAcceptQueueLeaveEvents: a leave event ends a thread's exclusion list.
func TestAcceptQueueLeaveEvents(t *testing.T) {
	c := newJudge()
	c.Observe(nil, E(bsd.ObsState, 1, 5, state(0, bsd.SS_COMP)))
	if got := c.t.thread(1).touched; len(got) != 1 || got[0] != 5 {
		t.Fatalf("touched %v", got)
	}
	c.Observe(nil, E(bsd.ObsWakeup, 1, 0))
	if got := c.t.thread(1).touched; len(got) != 0 {
		t.Fatalf("touched after a leave event: %v", got)
	}
	_ = c.Finish(&sched.Result{Status: sched.Done}, nil, nil)
}
