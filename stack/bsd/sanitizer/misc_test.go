package sanitizer

import (
	"slices"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

func TestSockbufAccounting(t *testing.T) {
	tests := []struct {
		name string
		s    bsd.SockSnapshot
		want []string
	}{
		{"consistent", bsd.SockSnapshot{Proto: bsd.TCP, RcvCC: 5, RcvBytes: 5, SndCC: 7, SndBytes: 7}, nil},
		{"rcv", bsd.SockSnapshot{Proto: bsd.TCP, RcvCC: 6, RcvBytes: 5}, []string{"sockbuf accounting: so_rcv cc != queued bytes"}},
		{"snd", bsd.SockSnapshot{Proto: bsd.TCP, SndCC: 1}, []string{"sockbuf accounting: so_snd cc != queued bytes"}},
		{"negative", bsd.SockSnapshot{Proto: bsd.TCP, RcvCC: -1, RcvBytes: -1},
			[]string{"sockbuf accounting: negative cc"}},
		{"udp records are not stream bytes", bsd.SockSnapshot{Proto: bsd.UDP, RcvCC: 9}, nil},
	}
	for _, tc := range tests {
		c := newJudge()
		c.sockbuf.check(&bsd.Snapshot{Socks: []bsd.SockSnapshot{tc.s}}, 1)
		expect(t, tc.name, c.rep.Reports(), tc.want...)
	}
}

func TestStateVsTCPState(t *testing.T) {
	s := func(ts bsd.TCPState, st uint64) bsd.SockSnapshot {
		return bsd.SockSnapshot{Proto: bsd.TCP, HasPCB: true, TCPState: ts, State: st}
	}
	tests := []struct {
		name string
		s    bsd.SockSnapshot
		want []string
	}{
		{"connecting", s(bsd.TCPS_SYN_SENT, bsd.SS_ISCONNECTING), nil},
		{"established", s(bsd.TCPS_ESTABLISHED, bsd.SS_ISCONNECTED), nil},
		{"established disconnecting", s(bsd.TCPS_ESTABLISHED, bsd.SS_ISDISCONNECTING), nil},
		{"listening", s(bsd.TCPS_LISTEN, 0), nil},
		{"time wait", s(bsd.TCPS_TIME_WAIT, bsd.SS_ISDISCONNECTED), nil},
		{"freed socket skipped", bsd.SockSnapshot{Proto: bsd.TCP, Freed: true, HasPCB: true, TCPState: bsd.TCPS_SYN_SENT}, nil},
		{"no pcb skipped", bsd.SockSnapshot{Proto: bsd.TCP, TCPState: bsd.TCPS_SYN_SENT}, nil},
		{"SYN_SENT", s(bsd.TCPS_SYN_SENT, 0), []string{"so_state vs TCP state: SYN_SENT without ISCONNECTING"}},
		{"ESTABLISHED", s(bsd.TCPS_ESTABLISHED, bsd.SS_CANTRCVMORE), []string{"so_state vs TCP state: ESTABLISHED without ISCONNECTED"}},
		{"LISTEN", s(bsd.TCPS_LISTEN, bsd.SS_ISCONNECTING), []string{"so_state vs TCP state: LISTEN with ISCONNECTED or ISCONNECTING"}},
		{"TIME_WAIT", s(bsd.TCPS_TIME_WAIT, bsd.SS_ISCONNECTED), []string{"so_state vs TCP state: TIME_WAIT with ISCONNECTED"}},
		{"early ISCONNECTED", s(bsd.TCPS_SYN_RECEIVED, bsd.SS_ISCONNECTED), []string{"so_state vs TCP state: ISCONNECTED before ESTABLISHED"}},
	}
	for _, tc := range tests {
		c := newJudge()
		c.states.checkAll(&bsd.Snapshot{Socks: []bsd.SockSnapshot{tc.s}}, 1)
		expect(t, tc.name, c.rep.Reports(), tc.want...)
	}
}

func TestReportsDeduplicatedInOrder(t *testing.T) {
	c := newJudge()
	for i := 0; i < 3; i++ {
		c.Observe(nil, E(bsd.ObsTouch, 1, i, freed(), site("b")))
		c.Observe(nil, E(bsd.ObsTouch, 1, i, freed(), site("a")))
	}
	rs := c.Finish(&sched.Result{Status: sched.Done}, nil, nil)
	expect(t, "dedup", rs, "use-after-soclose: access to freed socket in b", "use-after-soclose: access to freed socket in a")
	if rs[0].Step != 0 || len(rs[0].Trace) != 1 || len(rs[1].Trace) != 2 {
		t.Errorf("first occurrence not kept: %+v", rs)
	}
	for i := 0; i < 2*traceLen; i++ {
		c.Observe(nil, E(bsd.ObsWakeup, 1, 0))
	}
	if n := len(c.t.trace()); n != traceLen {
		t.Errorf("trace holds %d events, want %d", n, traceLen)
	}
}

// TestCatalogOracles checks that every fault of the catalog names an oracle of this package.
func TestCatalogOracles(t *testing.T) {
	known := []string{UseAfterSoclose, oracle.LostWakeup, AcceptQueue, oracle.DataRace, oracle.Panic, SocketLeak, SockbufAccount, StateCheck}
	for _, fi := range bsd.Catalog {
		if !slices.Contains(known, fi.Oracle) {
			t.Errorf("fault %s: unknown oracle %q", fi.Name, fi.Oracle)
		}
	}
}

// TestDispatchTables: numKinds covers bsd's event kinds (a new kind must reach its oracles),
// and every kind an oracle observes reaches it, in the Checker's order of oracles.
func TestDispatchTables(t *testing.T) {
	if s := bsd.ObsKind(numKinds - 1).String(); s == "obs?" {
		t.Errorf("kind %d has no name: numKinds %d is past bsd's kinds", numKinds-1, numKinds)
	}
	if s := bsd.ObsKind(numKinds).String(); s != "obs?" {
		t.Errorf("kind %d (%s) is beyond numKinds: no oracle would see it", numKinds, s)
	}
	c := newChecker()
	for k := range c.subs {
		var want []eventOracle
		for _, o := range c.all {
			if eo, ok := o.(eventOracle); ok && slices.Contains(eo.kinds(), bsd.ObsKind(k)) {
				want = append(want, eo)
			}
		}
		if !slices.Equal(c.subs[k], want) {
			t.Errorf("kind %v: subscribers %v, want %v", bsd.ObsKind(k), c.subs[k], want)
		}
	}
	if len(c.subs[bsd.ObsTouch]) == 0 || len(c.subs[kindNext]) == 0 || len(c.subs[kindFreed]) == 0 {
		t.Error("touch, next or freed events reach no oracle")
	}
}
