package sanitizer

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

func TestUseAfterSoclose(t *testing.T) {
	life := lifecycle(1, 0, 3)
	created := life[:3] // created, NOFDREF cleared, fd 3 installed
	tests := []struct {
		name string
		evs  []bsd.ObsEvent
		want []string
	}{
		{"clean lifecycle", life, nil},
		{"clean two sockets reuse fd", cat(lifecycle(1, 0, 3), lifecycle(2, 1, 3)), nil},
		{"access after free", cat(life, evs(E(bsd.ObsTouch, 2, 0, freed(), site("tcp_input")))),
			[]string{"use-after-soclose: access to freed socket in tcp_input"}},
		{"touch of live socket is no access after free", cat(created, evs(E(bsd.ObsTouch, 2, 0, site("tcp_input")))), nil},
		{"event on freed socket without touch", cat(life, evs(E(bsd.ObsWakeup, 2, 0, site("so_rcv")))),
			[]string{"use-after-soclose: wakeup of freed socket in so_rcv"}},
		{"one title when touch comes first", cat(life, evs(E(bsd.ObsTouch, 2, 0, freed(), site("sowakeup")),
			E(bsd.ObsWakeup, 2, 0, site("so_rcv")))),
			[]string{"use-after-soclose: access to freed socket in sowakeup"}},
		{"sofree with descriptor", cat(created, evs(E(bsd.ObsState, 1, 0, state(0, bsd.SS_NOFDREF)),
			E(bsd.ObsSockFreed, 1, 0))),
			[]string{titleNofdrefWithFd, titleFreeWithFd}},
		{"sofree on queue", evs(
			E(bsd.ObsSockCreated, 1, 0), E(bsd.ObsSockCreated, 2, 1, state(0, bsd.SS_NOFDREF)),
			E(bsd.ObsQueueInsert, 2, 1, head(0), arg(bsd.QIncomp)),
			E(bsd.ObsSockFreed, 3, 1)),
			[]string{titleFreeOnQueue}},
		{"listener freed with a member queued", evs(
			E(bsd.ObsSockCreated, 1, 0), E(bsd.ObsSockCreated, 2, 1, state(0, bsd.SS_NOFDREF)),
			E(bsd.ObsQueueInsert, 2, 1, head(0), arg(bsd.QIncomp)),
			E(bsd.ObsSockFreed, 3, 0)),
			[]string{titleFreedListener}},
		{"listener freed after its queue drained", evs(
			E(bsd.ObsSockCreated, 1, 0), E(bsd.ObsSockCreated, 2, 1, state(0, bsd.SS_NOFDREF)),
			E(bsd.ObsQueueInsert, 2, 1, head(0), arg(bsd.QIncomp)),
			E(bsd.ObsQueueRemove, 1, 1, head(0), arg(bsd.QIncomp)),
			E(bsd.ObsSockFreed, 3, 0)),
			nil},
		{"freed twice", cat(life, evs(E(bsd.ObsSockFreed, 2, 0))), []string{titleDoubleFree}},
		{"NOFDREF set twice", cat(life[:5], evs(
			E(bsd.ObsState, 1, 0, state(bsd.SS_NOFDREF, 0), site("so-state-rmw")),
			E(bsd.ObsState, 2, 0, state(0, bsd.SS_NOFDREF), site("soclose")))),
			[]string{titleNofdrefTwice}},
		{"NOFDREF with dup'd descriptor still open", cat(created, evs(
			E(bsd.ObsFdInstall, 1, 0, arg(4)),
			E(bsd.ObsFdClose, 1, 0, arg(3)),
			E(bsd.ObsState, 1, 0, state(0, bsd.SS_NOFDREF)))),
			[]string{titleNofdrefWithFd}},
		{"NOFDREF while queued", evs(
			E(bsd.ObsSockCreated, 1, 0), E(bsd.ObsSockCreated, 2, 1),
			E(bsd.ObsState, 2, 1, state(bsd.SS_NOFDREF, 0)),
			E(bsd.ObsQueueInsert, 2, 1, head(0), arg(bsd.QComp)),
			E(bsd.ObsState, 2, 1, state(0, bsd.SS_NOFDREF))),
			[]string{titleNofdrefOnQueue}},
		{"fd installed for freed socket", cat(life, evs(E(bsd.ObsFdInstall, 1, 0, arg(5)))),
			[]string{titleFdOnFreed}},
	}
	for _, tc := range tests {
		expect(t, tc.name, feed(tc.evs...), tc.want...)
	}
}

// TestUseAfterSoclosePanics: the stack's SS_NOFDREF assertions share the event checks' titles.
func TestUseAfterSoclosePanics(t *testing.T) {
	tests := []struct {
		value, oracle, title string
	}{
		{"soclose: NOFDREF", UseAfterSoclose, titleNofdrefTwice},
		{"soaccept: !NOFDREF", UseAfterSoclose, titleAcceptNoNofdref},
		{"sofree: so_pcb != NULL", oracle.Panic, "panic: sofree: so_pcb != NULL"},
	}
	for _, tc := range tests {
		c := newJudge()
		rs := c.Finish(&sched.Result{Status: sched.Panicked, Panic: &sched.PanicReport{Value: tc.value, Thread: 3}}, nil, nil)
		if len(rs) != 1 || rs[0].Oracle != tc.oracle || rs[0].Title != tc.title || rs[0].Thread != 3 {
			t.Errorf("%s: got %+v", tc.value, rs)
		}
	}
}

// TestLateRefs checks which reference count events seen after a free are late observations
// of a move made before it (Free mode) rather than uses of the freed socket.
func TestLateRefs(t *testing.T) {
	tests := []struct {
		site string
		refs int
		late bool
	}{
		{"sofree", 1, true},   // 2 -> 1, before the 1 -> 0 that freed it
		{"sofree", 0, false},  // the socket freed twice
		{"sofree", -1, false}, // a drop of a freed socket's reference
		{"soaccept_predicate", 2, true},
		{"soaccept_predicate", 1, false}, // a reference taken on the freed socket
	}
	for _, tc := range tests {
		ev := bsd.ObsEvent{Kind: bsd.ObsRefs, Site: tc.site, Arg: tc.refs}
		if got := lateRefs(ev); got != tc.late {
			t.Errorf("%s to %d: lateRefs %v, want %v", tc.site, tc.refs, got, tc.late)
		}
	}
	if lateRefs(bsd.ObsEvent{Kind: bsd.ObsState, Site: "sofree", Arg: 5}) {
		t.Error("a state event counted as a late reference move")
	}
}
