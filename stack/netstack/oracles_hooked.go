//go:build sockfuzz_hooked

package netstack

import (
	"gvisor.dev/gvisor/pkg/refs"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// acceptOf reads ep's accept queue and accounting (tcp.SockfuzzAccept); false when ep is not
// TCP, or a blocked thread holds its acceptMu.
func acceptOf(ep tcpip.Endpoint) (acceptState, bool) {
	te, ok := ep.(*tcp.Endpoint)
	if !ok {
		return acceptState{}, false
	}
	var a tcp.SockfuzzAccept
	if !probe(func() bool { a = te.SockfuzzAccept(); return true })() {
		return acceptState{}, false
	}
	return acceptState{Completed: a.Completed, Accepted: a.Accepted, Reset: a.Reset,
		Unadmitted: a.Unadmitted, SynOver: a.SynOver, Queued: a.Queued, Capacity: a.Capacity,
		Pending: a.Pending, Processors: a.Processors, DeadPending: a.DeadPending}, true
}

// heldOf reads what ep still holds (tcp.SockfuzzHeld); false when ep is not TCP, or a lock it
// needs is held.
func heldOf(ep tcpip.Endpoint) (heldState, bool) {
	te, ok := ep.(*tcp.Endpoint)
	if !ok {
		return heldState{}, false
	}
	var h tcp.SockfuzzHeld
	if !probe(func() bool { h = te.SockfuzzHeld(); return true })() {
		return heldState{}, false
	}
	return heldState{State: h.State, SegQueue: h.SegQueue, RcvQueue: h.RcvQueue, RcvBufUsed: h.RcvBufUsed}, true
}

// startLeakCheck turns refs' leak checking on for a Controlled execution: every
// reference-counted object gVisor makes is then in the live object map until its last
// reference goes, and what is left after Destroy leaked. Free executions leave it off: gVisor's
// goroutines there are real, and an object made before the mode changed must not be released
// after (refs' Unregister panics on an object it never registered).
func startLeakCheck(in *instance) {
	if in.e.Mode() == sched.Controlled {
		refs.SetLeakMode(refs.LeaksLogWarning)
	}
}

// stopLeakCheck turns refs' leak checking off.
func stopLeakCheck() { refs.SetLeakMode(refs.NoLeakChecking) }

// takeLeaks returns the types of the objects in refs' live object map and empties it.
func takeLeaks() []string { return refs.SockfuzzTakeLeaks() }

// endpointStates reads the state checks' view of every TCP endpoint of the execution, in
// creation order.
func endpointStates() []epState {
	eps := tcp.SockfuzzEndpoints()
	out := make([]epState, 0, len(eps))
	for i, ep := range eps {
		out = append(out, epState{ID: i, LostDirs: ep.SockfuzzLostDirections(), Unestablished: ep.SockfuzzUnestablished(),
			ICMPAbort: ep.SockfuzzICMPAbort(), Orphan: ep.SockfuzzOrphan()})
	}
	return out
}

// trackEndpoints starts (on) or stops gVisor's record of the endpoints an execution makes.
func trackEndpoints(on bool) { tcp.SockfuzzTrack(on) }
