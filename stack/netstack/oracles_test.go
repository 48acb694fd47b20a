package netstack

import (
	"slices"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

func findingTitles(fs []finding) []string {
	var ts []string
	for _, f := range fs {
		ts = append(ts, f.title)
	}
	return ts
}

// TestCheckAccept: the accept accounting and the backlog bound on hand-made counter states.
func TestCheckAccept(t *testing.T) {
	ok := acceptState{Completed: 5, Accepted: 2, Queued: 2, Reset: 1, Capacity: 2, Processors: 1}
	for _, tc := range []struct {
		name string
		a    acceptState
		want []string
	}{
		{"balanced", ok, nil},
		{"fresh", acceptState{Capacity: 6, Processors: 2}, nil},
		{"overfilled by the processors", acceptState{Completed: 3, Queued: 3, Capacity: 2, Processors: 1}, nil},
		{"lost", acceptState{Completed: 5, Accepted: 2, Queued: 1, Reset: 1, Capacity: 2, Processors: 1},
			[]string{titleAcceptAccounting}},
		{"accepted twice", acceptState{Completed: 1, Accepted: 2, Capacity: 2, Processors: 1},
			[]string{titleAcceptAccounting}},
		{"over the bound", acceptState{Completed: 4, Queued: 4, Capacity: 2, Processors: 1},
			[]string{titleAcceptBound}},
		{"unadmitted", acceptState{Completed: 3, Queued: 3, Capacity: 2, Processors: 1, Unadmitted: 1},
			[]string{titleAcceptUnadmitted}},
		{"SYN queue", acceptState{Capacity: 2, Processors: 1, SynOver: 1, Pending: 3}, []string{titleSynBound}},
	} {
		if got := findingTitles(checkAccept(3, tc.a)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestCheckHeld: a released endpoint's queues after teardown.
func TestCheckHeld(t *testing.T) {
	for _, tc := range []struct {
		h    heldState
		want []string
	}{
		{heldState{State: "CLOSED"}, nil},
		{heldState{State: "CLOSED", SegQueue: 1}, []string{titleSegQueue}},
		{heldState{State: "CLOSED", RcvQueue: 1, RcvBufUsed: 10}, []string{titleRcvQueue}},
		{heldState{State: "CLOSED", RcvBufUsed: 10}, []string{titleRcvQueue}},
	} {
		if got := findingTitles(checkHeld(1, tc.h)); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.h, got, tc.want)
		}
	}
}

// TestCheckLeaks: leaked objects are named by type and counted, with no address.
func TestCheckLeaks(t *testing.T) {
	if fs := checkLeaks(nil, 0); len(fs) != 0 {
		t.Errorf("nothing left: %v", fs)
	}
	fs := checkLeaks([]string{"stack.PacketBuffer", "stack.PacketBuffer", "tcp.segment"}, 1)
	want := []finding{
		{oracleLeak, titleRefsLeak, "live after Destroy: 2 stack.PacketBuffer, 1 tcp.segment"},
		{oracleLeak, titleDangling, "1 dangling endpoints"},
	}
	if !slices.Equal(fs, want) {
		t.Errorf("got %v, want %v", fs, want)
	}
}

// TestUsable: a released socket reached again is reported as the adapter's use after close.
func TestUsable(t *testing.T) {
	e := sched.New(sched.Config{})
	defer e.Release()
	rep := oracle.NewReporter()
	defer rep.Release()
	in := &instance{e: e, rep: rep}
	if !in.usable(nil, &socket{id: 1}) {
		t.Error("a live socket is not usable")
	}
	if in.usable(nil, &socket{id: 2, released: true}) {
		t.Error("a released socket is usable")
	}
	rs := rep.Reports()
	if len(rs) != 1 || rs[0].Title != titleReleasedCall || rs[0].Oracle != oracleUseAfterClose {
		t.Errorf("reports %v, want one %q", rs, titleReleasedCall)
	}
}
