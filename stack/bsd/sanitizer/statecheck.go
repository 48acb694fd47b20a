package sanitizer

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
)

// The so_state vs TCP state oracle. The protocol thread moves t_state and so_state together
// in one netmsg, with scheduling points between, so the check runs only when every protocol
// thread is between messages: at quiescence, at idle points (the clock fires because nothing
// else can run) and at the end of a settled run, on every live TCP socket with its pcb attached. The rules:
//
//   - SYN_SENT implies SS_ISCONNECTING (tcp_connect runs soisconnecting first; an interrupted
//     connect keeps the bit, 8765eadc4c);
//   - ESTABLISHED implies SS_ISCONNECTED, unless SS_ISDISCONNECTING or SS_ISDISCONNECTED;
//   - LISTEN implies neither SS_ISCONNECTED nor SS_ISCONNECTING;
//   - TIME_WAIT implies not SS_ISCONNECTED (it is entered with soisdisconnected);
//   - SS_ISCONNECTED implies a synchronized state (ESTABLISHED or later).

type stateRule struct {
	title string
	bad   func(s bsd.SockSnapshot) bool
}

var stateRules = []stateRule{
	{"so_state vs TCP state: SYN_SENT without ISCONNECTING", func(s bsd.SockSnapshot) bool {
		return s.TCPState == bsd.TCPS_SYN_SENT && s.State&bsd.SS_ISCONNECTING == 0
	}},
	{"so_state vs TCP state: ESTABLISHED without ISCONNECTED", func(s bsd.SockSnapshot) bool {
		return s.TCPState == bsd.TCPS_ESTABLISHED &&
			s.State&(bsd.SS_ISCONNECTED|bsd.SS_ISDISCONNECTING|bsd.SS_ISDISCONNECTED) == 0
	}},
	{"so_state vs TCP state: LISTEN with ISCONNECTED or ISCONNECTING", func(s bsd.SockSnapshot) bool {
		return s.TCPState == bsd.TCPS_LISTEN && s.State&(bsd.SS_ISCONNECTED|bsd.SS_ISCONNECTING) != 0
	}},
	{"so_state vs TCP state: TIME_WAIT with ISCONNECTED", func(s bsd.SockSnapshot) bool {
		return s.TCPState == bsd.TCPS_TIME_WAIT && s.State&bsd.SS_ISCONNECTED != 0
	}},
	{"so_state vs TCP state: ISCONNECTED before ESTABLISHED", func(s bsd.SockSnapshot) bool {
		return s.State&bsd.SS_ISCONNECTED != 0 && s.TCPState < bsd.TCPS_ESTABLISHED
	}},
}

// stateCheck is the so_state vs TCP state oracle.
type stateCheck struct{ t *tracker }

// Quiescent implements bsdOracle.
func (c *stateCheck) Quiescent(snap *bsd.Snapshot, step int) { c.checkAll(snap, step) }

// Finish implements bsdOracle.
func (c *stateCheck) Finish(end *oracle.End, snap *bsd.Snapshot) {
	if snap != nil {
		c.checkAll(snap, end.Result.Steps)
	}
}

func (*stateCheck) reset() {}

// Idle implements idleOracle: the rules at an idle point (sched.Exec.OnIdle), when every
// thread is between messages, as at quiescence, but a timer is pending, so a state that a
// timer keeps alive (an interrupted connect's SYN_SENT, retransmitted until it succeeds or
// times out) is seen too. The Checker calls it in Controlled mode only.
func (c *stateCheck) Idle(st *bsd.Stack, step int) {
	st.EachSocket(func(s bsd.SockSnapshot) { c.check(s, step) })
}

// checkAll checks every live TCP socket with a pcb against the rules.
func (c *stateCheck) checkAll(snap *bsd.Snapshot, step int) {
	for _, s := range snap.Socks {
		c.check(s, step)
	}
}

// check checks one socket against the rules.
func (c *stateCheck) check(s bsd.SockSnapshot, step int) {
	if s.Freed || !s.HasPCB || s.Proto != bsd.TCP {
		return
	}
	for _, r := range stateRules {
		if r.bad(s) {
			c.t.report(StateCheck, r.title, fmt.Sprintf("so%d: %v with so_state %s", s.ID, s.TCPState,
				bsd.StateString(s.State)), -1, step)
		}
	}
}
