package netstack

import (
	"fmt"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// netstack's own oracles (docs/netstack-design.md §4.2). gVisor's state is read through the
// introspection gvpatch adds (oracle_edits.go), so the checks that need it run on the hooked
// build only (oracles_hooked.go); the checks themselves are plain functions of small values,
// tested in both builds.

// The oracles, as their reports name them.
const (
	oracleAcceptQueue   = "accept-queue"
	oracleUseAfterClose = "use-after-close"
	oracleLeak          = "leak"
	oracleTCPState      = "tcp-state"
)

// Titles of netstack's own oracles.
const (
	titleAcceptAccounting = "netstack: accept queue accounting"
	titleAcceptBound      = "netstack: accept queue over capacity plus processors"
	titleAcceptUnadmitted = "netstack: connection queued on a full accept queue without passing its check"
	titleSynBound         = "netstack: SYN queue over the backlog"
	titleReleasedCall     = "netstack: call on a released endpoint"
	titleSegQueue         = "netstack: closed endpoint still queued for processing"
	titleRcvQueue         = "netstack: closed endpoint's receive queue not purged"
	titleRefsLeak         = "netstack: refs leak"
	titleDangling         = "netstack: dangling endpoint after teardown"
	titleDeadPending      = "netstack: failed handshake left on the SYN queue"
	titleOrphan           = "netstack: handshake outlives its closed listener"
	titleLostDirection    = "netstack: connection direction bit lost"
	titleUnestablished    = "netstack: connect succeeded without a connection"
	titleICMPAbort        = "netstack: ICMP error aborted a synchronized connection"
)

// finding is one violation a check found, before it is reported.
type finding struct{ oracle, title, detail string }

// acceptState is a listener's accept queue and its accounting (tcp.SockfuzzAccept): the
// counters are incremented at gVisor's completion, accept and reset sites in the acceptMu
// sections that change the queue, so that they agree with it whenever acceptMu is free.
type acceptState struct {
	// Completed counts the handshakes delivered to the listener (dispatcher.go:121-144, and
	// the SYN-cookie path, accept.go:728); Accepted, those Accept took off the queue
	// (endpoint.go:2847); Reset, those refused at delivery because the listener was closed
	// (dispatcher.go:129, 189) or aborted off the queue when it closed (endpoint.go:1182-1204).
	Completed, Accepted, Reset uint64
	// Unadmitted counts pushes beyond the capacity of a handshake whose final ACK never passed
	// the full check (connect.go:497), or of the SYN-cookie path, which checks in the same
	// section (accept.go:628); SynOver, handshakes started with the SYN queue already holding
	// capacity-1 (accept.go:489-499).
	Unadmitted, SynOver uint64
	// Queued, Capacity and Pending are the accept queue's length, its capacity (the backlog
	// plus one) and the handshakes in progress; Processors, the TCP processors.
	Queued, Capacity, Pending, Processors int
	// DeadPending counts the members of the SYN queue whose handshake failed or closed: a
	// failed handshake leaves the queue in the section that fails it (dispatcher.go:173-179,
	// endpoint.go:1225-1230, 3052-3057).
	DeadPending int
}

// checkAccept checks listener so's accept accounting: every completed handshake was accepted,
// is queued, or was reset; and the backlog bound. gVisor queues a handshake whose ACK passed
// the full check even if the queue has filled since (dispatcher.go:134-144, as Linux does),
// each processor holding at most one such handshake between check and delivery: the queue
// holds at most capacity + processors - 1; capacity + processors is the bound checked, so that
// a SYN-cookie completion, which fills the last place itself, counts too. The exact
// admission is checked at each push (Unadmitted).
func checkAccept(so int, a acceptState) []finding {
	var out []finding
	if a.Completed != a.Accepted+uint64(a.Queued)+a.Reset {
		out = append(out, finding{oracleAcceptQueue, titleAcceptAccounting,
			fmt.Sprintf("so%d: %d completed, %d accepted, %d queued, %d reset", so, a.Completed, a.Accepted, a.Queued, a.Reset)})
	}
	if a.Queued > a.Capacity+a.Processors {
		out = append(out, finding{oracleAcceptQueue, titleAcceptBound,
			fmt.Sprintf("so%d: %d queued, capacity %d, %d processors", so, a.Queued, a.Capacity, a.Processors)})
	}
	if a.Unadmitted > 0 {
		out = append(out, finding{oracleAcceptQueue, titleAcceptUnadmitted,
			fmt.Sprintf("so%d: %d pushes beyond capacity %d without a passed check", so, a.Unadmitted, a.Capacity)})
	}
	if a.DeadPending > 0 {
		out = append(out, finding{oracleAcceptQueue, titleDeadPending,
			fmt.Sprintf("so%d: %d of the %d handshakes in progress failed or closed", so, a.DeadPending, a.Pending)})
	}
	if a.SynOver > 0 {
		out = append(out, finding{oracleAcceptQueue, titleSynBound,
			fmt.Sprintf("so%d: %d handshakes started over capacity-1 = %d (%d in progress now)", so, a.SynOver, a.Capacity-1, a.Pending)})
	}
	return out
}

// epState is what the state checks read of one TCP endpoint of the execution, the
// handshakes the program has no descriptor of included (tcp.SockfuzzEndpoints).
type epState struct {
	// ID is the endpoint's creation number in the execution.
	ID int
	// LostDirs are direction bits once added to the connection's direction state that it no
	// longer holds: the state only grows, by atomic ORs (endpoint.go:3216-3218).
	LostDirs uint32
	// Unestablished tells that a Connect succeeded with no connection established: connect
	// succeeds only from its connected branch (endpoint.go:2498-2504).
	Unestablished bool
	// ICMPAbort tells that an ICMP error aborted the connection after its handshake completed:
	// onICMPError aborts a connection it found connecting (endpoint.go:3050-3066), and such
	// errors are soft on a synchronized connection (RFC 1122 4.2.3.9).
	ICMPAbort bool
	// Orphan tells a handshake that went on in SYN-RCVD after its listener, stopping taking
	// connections, had aborted its handshakes (endpoint.go:1195-1199): its final ACK would meet
	// the zero-capacity queue, look full and be dropped without a RST (connect.go:497).
	Orphan bool
}

// checkEndpoints checks the endpoints of the execution: no direction bit lost, no connect
// that succeeded without a connection.
func checkEndpoints(eps []epState) []finding {
	var out []finding
	for _, e := range eps {
		if e.LostDirs != 0 {
			out = append(out, finding{oracleTCPState, titleLostDirection,
				fmt.Sprintf("endpoint %d lost direction bits %#x", e.ID, e.LostDirs)})
		}
		if e.Orphan {
			out = append(out, finding{oracleAcceptQueue, titleOrphan,
				fmt.Sprintf("endpoint %d: a handshake in SYN-RCVD after its listener aborted its handshakes", e.ID)})
		}
		if e.ICMPAbort {
			out = append(out, finding{oracleTCPState, titleICMPAbort,
				fmt.Sprintf("endpoint %d: aborted by an ICMP error once synchronized", e.ID)})
		}
		if e.Unestablished {
			out = append(out, finding{oracleTCPState, titleUnestablished,
				fmt.Sprintf("endpoint %d: connect returned success, no connection established", e.ID)})
		}
	}
	return out
}

// heldState is what an endpoint still holds (tcp.SockfuzzHeld).
type heldState struct {
	State                          string
	SegQueue, RcvQueue, RcvBufUsed int
}

// checkHeld checks a released endpoint after the stack's teardown: no segment left for its
// processor, its receive queue purged.
func checkHeld(so int, h heldState) []finding {
	var out []finding
	if h.SegQueue > 0 {
		out = append(out, finding{oracleUseAfterClose, titleSegQueue,
			fmt.Sprintf("so%d (%s): %d segments in its segment queue", so, h.State, h.SegQueue)})
	}
	if h.RcvQueue > 0 || h.RcvBufUsed > 0 {
		out = append(out, finding{oracleUseAfterClose, titleRcvQueue,
			fmt.Sprintf("so%d (%s): %d segments, %d bytes in its receive queue", so, h.State, h.RcvQueue, h.RcvBufUsed)})
	}
	return out
}

// checkLeaks turns what refs' live object map held after the stack's Destroy (the types of
// the objects, one entry each, sorted) and the number of dangling endpoints into findings.
// Only the types are named: addresses differ in every run.
func checkLeaks(live []string, dangling int) []finding {
	var out []finding
	if len(live) > 0 {
		var b strings.Builder
		for i := 0; i < len(live); {
			j := i
			for j < len(live) && live[j] == live[i] {
				j++
			}
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%d %s", j-i, live[i])
			i = j
		}
		out = append(out, finding{oracleLeak, titleRefsLeak, "live after Destroy: " + b.String()})
	}
	if dangling > 0 {
		out = append(out, finding{oracleLeak, titleDangling, fmt.Sprintf("%d dangling endpoints", dangling)})
	}
	return out
}

// nsOracle is netstack's own oracles on one instance.
type nsOracle struct{ in *instance }

// Quiescent implements oracle.Oracle: the accept accounting of every listener, with no thread
// running (in Controlled mode, read outside any thread: a listener whose acceptMu a blocked
// thread holds is skipped).
func (o nsOracle) Quiescent(res *sched.Result, r *oracle.Reporter) {
	o.in.checkAccepts(r, res.Steps)
	for _, f := range checkEndpoints(endpointStates()) {
		r.Report(f.oracle, f.title, f.detail, -1, res.Steps)
	}
}

// Finish implements oracle.Oracle. After a settled execution: the accept accounting; and
// once the stack is destroyed (Teardown ran to its end), what the released endpoints still
// hold and what gVisor's process-wide registries kept of the execution.
func (o nsOracle) Finish(end *oracle.End, r *oracle.Reporter) {
	if !end.Settled() {
		return
	}
	in := o.in
	in.checkAccepts(r, end.Result.Steps)
	for _, f := range checkEndpoints(endpointStates()) {
		r.Report(f.oracle, f.title, f.detail, -1, end.Result.Steps)
	}
	if !in.destroyed {
		return
	}
	var out []finding
	for _, s := range in.socks {
		if s.proto != stack.TCP || !s.released {
			continue
		}
		if h, ok := heldOf(s.ep); ok {
			out = append(out, checkHeld(s.id, h)...)
		}
	}
	dangling := 0
	probe(func() bool { dangling = len(tcpip.GetDanglingEndpoints()); return true })()
	out = append(out, checkLeaks(takeLeaks(), dangling)...)
	for _, f := range out {
		r.Report(f.oracle, f.title, f.detail, -1, end.Result.Steps)
	}
}

// checkAccepts runs checkAccept on every socket that listened. Only those: in Controlled mode
// the hooks name a gVisor lock after the function that takes it first, and an acceptMu first
// taken by the oracle would rename the locks of the execution (listen takes the listener's).
func (in *instance) checkAccepts(r *oracle.Reporter, step int) {
	for _, s := range in.socks {
		if !s.listened {
			continue
		}
		a, ok := acceptOf(s.ep)
		if !ok {
			continue
		}
		for _, f := range checkAccept(s.id, a) {
			r.Report(f.oracle, f.title, f.detail, -1, step)
		}
	}
}

// usable asserts, before the adapter reaches s's endpoint for a call, that the endpoint was
// not released: a call holds a reference on its file, and the last reference's release is the
// endpoint's Close (sentry's sock.Release), so a released endpoint reached again is the
// adapter's use after close. The call then answers EBADF without touching the endpoint.
func (in *instance) usable(t *sched.Thread, s *socket) bool {
	if s.released {
		in.report(t, oracleUseAfterClose, titleReleasedCall, fmt.Sprintf("socket %d", s.id))
		return false
	}
	return true
}

// dropGlobals empties what gVisor keeps process-wide of the execution, at Release, whatever
// way it ended, so that nothing of it reaches the next: the fault bits, the record of its
// endpoints, refs' live object map (its leak
// checking turned off again) and the dangling endpoints. These are deleted, not aborted: the
// stack is gone, and after an early stop in Controlled mode an Abort could reach locks the
// unwound threads held.
func dropGlobals() {
	_ = setFaults(0)
	trackEndpoints(false)
	_ = takeLeaks()
	stopLeakCheck()
	for _, ep := range tcpip.GetDanglingEndpoints() {
		tcpip.DeleteDanglingEndpoint(ep)
	}
}
