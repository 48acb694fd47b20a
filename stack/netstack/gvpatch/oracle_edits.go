package gvpatch

import "strconv"

// The rows and files of netstack's own oracles (docs/netstack-design.md §4.2), appended to the
// edit table: the accept accounting of every listener, counted at gVisor's completion,
// accept and reset sites under acceptMu, and the introspection the adapter's oracles read
// (stack/netstack/oracles*.go).

// Oracle self-test faults: bits of sockfuzzhook.SetFaults that only the oracles' tests set, to
// make a violation by hand. They sit at the top of the word, away from the fault catalog's
// bits (issue 15), which count from 0.
const (
	// FaultLoseAccepted drops a completed handshake instead of queueing it on the listener
	// (dispatcher.go:144): the accept accounting's violation.
	FaultLoseAccepted = 62
	// FaultSkipFullCheck skips the accept queue's full check of a handshake's final ACK
	// (connect.go:497): the backlog bound's violation.
	FaultSkipFullCheck = 63
)

const pkgRefsMap = "pkg/refs/refs_map.go"

func init() {
	Edits = append(Edits, oracleEdits...)
	Edits = append(Edits, faultEdits()...)
	for path, src := range oracleAdded {
		Added[path] = src
	}
}

var oracleEdits = []Edit{
	{ID: "O1", File: pkgTCP + "endpoint.go", Func: "Endpoint", Kind: Field,
		Code: "\n// sfAccept is the listener's accept accounting (sockfuzz), under acceptMu.\nsfAccept sfAcceptCounters\n" +
			"\n// sfAdmitted tells that the handshake's final ACK passed the accept queue's full check (sockfuzz).\nsfAdmitted bool\n" +
			"\n// sfTransit counts the handshakes between the SYN queue and the accept queue (sockfuzz), under acceptMu.\nsfTransit int\n" +
			"\n// sfDirSeen is every direction bit ever added to connectionDirectionState (sockfuzz).\nsfDirSeen atomicbitops.Uint32\n" +
			"\n// sfStopped tells that the listener stopped taking connections and aborted its handshakes (sockfuzz).\nsfStopped sfFlag\n" +
			"\n// sfOrphan tells that the handshake went on after its listener aborted its handshakes (sockfuzz).\nsfOrphan sfFlag\n" +
			"\n// sfUnestablished tells that Connect succeeded with no connection established (sockfuzz).\nsfUnestablished sfFlag\n" +
			"\n// sfICMPAbort tells that an ICMP error aborted the endpoint once it was synchronized (sockfuzz).\nsfICMPAbort sfFlag"},
	// onICMPError aborts a handshake it found connecting (endpoint.go:3050); under e.mu the
	// connection must still be one: RFC 1122 4.2.3.9 makes these errors soft on a synchronized
	// connection, as Linux's tcp_v4_err treats them.
	{ID: "O3", File: pkgTCP + "endpoint.go", Func: "Endpoint.onICMPError", Kind: Before,
		Match: "e.cleanupLocked()", Code: "if EndpointState(e.state.Load()).connected() {\ne.sfICMPAbort.b.Store(true)\n}"},
	// A successful Connect returns from connect's connected branch (endpoint.go:2498-2504):
	// the handshake completed, so the endpoint has its sender.
	{ID: "O3", File: pkgTCP + "endpoint.go", Func: "Endpoint.Connect", Kind: After,
		Match: "err := e.connect(addr, true)", Code: "if err == nil && e.snd == nil {\ne.sfUnestablished.b.Store(true)\n}"},
	// The direction bits only grow: every bit added is recorded, for the check that none is lost.
	{ID: "O3", File: pkgTCP + "endpoint.go", Func: "Endpoint.updateConnDirectionState", Kind: Prologue,
		Code: "atomicbitops.OrUint32(&e.sfDirSeen, uint32(state))"},
	// Every endpoint of the execution, for the checks of endpoints the program has no
	// descriptor of (handshakes in progress).
	{ID: "O3", File: pkgTCP + "endpoint.go", Func: "newEndpoint", Kind: After,
		Match: "e := &Endpoint{...", Code: "sfRegister(e)"},
	// Completed: every handshake deliverAccepted hands its listener, refused (reset) when the
	// listener no longer takes connections (capacity 0, dispatcher.go:129 and 189).
	{ID: "O1", File: pkgTCP + "dispatcher.go", Func: "deliverAccepted", Kind: Before,
		Match: "if lEP.acceptQueue.capacity == 0 {...", Code: "lEP.sfDeliver()"},
	{ID: "O1", File: pkgTCP + "dispatcher.go", Func: "deliverAccepted", Kind: Replace, Imports: hookImports[:1],
		Match: "lEP.acceptQueue.endpoints.PushBack(ep)",
		Code:  "if !sockfuzzhook.Fault(" + strconv.Itoa(FaultLoseAccepted) + ") {\n$0\n}\nlEP.sfPushed(ep, false)"},
	// The SYN-cookie path checks the queue and queues in one acceptMu section (accept.go:628-728).
	{ID: "O1", File: pkgTCP + "accept.go", Func: "Endpoint.handleListenSegment", Kind: After,
		Match: "e.acceptQueue.endpoints.PushBack(n)", Code: "e.sfAccept.completed++\ne.sfPushed(n, true)"},
	{ID: "O1", File: pkgTCP + "accept.go", Func: "Endpoint.handleListenSegment", Kind: After,
		Match: "e.acceptQueue.pendingEndpoints[h.ep] = struct{}{}", Code: "e.sfSynAdded()"},
	// A listener that stops taking connections aborts its handshakes in progress
	// (endpoint.go:1195-1199); one whose retransmission timer still finds it in SYN-RCVD
	// afterwards was left behind, and its final ACK would be dropped without a RST
	// (connect.go:497): a half-open connection. (A failing handshake holds e.mu until it has
	// left SYN-RCVD, so no timer finds it there.)
	{ID: "O3", File: pkgTCP + "endpoint.go", Func: "Endpoint.closePendingAcceptableConnectionsLocked", Kind: After,
		Match: "for _, n := range completedEndpoints {...", Code: "e.sfStopped.b.Store(true)"},
	// listen(2) again after shutdown(SHUT_RD) brings the listener back (endpoint.go:2753-2775):
	// it takes connections again, and a handshake it starts is its own.
	{ID: "O3", File: pkgTCP + "endpoint.go", Func: "Endpoint.listen", Kind: After,
		Match: "e.shutdownFlags = 0", Code: "e.sfStopped.b.Store(false)"},
	{ID: "O3", File: pkgTCP + "connect.go", Func: "handshake.retransmitHandlerLocked", Kind: After,
		Match: "if !e.EndpointState().connecting() {...",
		Code:  "if l := h.listenEP; l != nil && l.sfStopped.b.Load() && EndpointState(e.state.Load()) == StateSynRecv {\ne.sfOrphan.b.Store(true)\n}"},
	{ID: "O1", File: pkgTCP + "endpoint.go", Func: "Endpoint.Accept", Kind: After,
		Match: "n = e.acceptQueue.endpoints.Remove(element).(*Endpoint)", Code: "e.sfAccept.accepted++"},
	{ID: "O1", File: pkgTCP + "endpoint.go", Func: "Endpoint.closePendingAcceptableConnectionsLocked", Kind: Before,
		Match: "e.acceptQueue.endpoints.Init()", Code: "e.sfAccept.reset += uint64(e.acceptQueue.endpoints.Len())"},
	{ID: "O1", File: pkgTCP + "connect.go", Func: "handshake.synRcvdState", Kind: Replace, Imports: hookImports[:1],
		Match: "if listenEP := h.listenEP; listenEP != nil && listenEP.acceptQueueIsFull() {...",
		Code:  "if !sockfuzzhook.Fault(" + strconv.Itoa(FaultSkipFullCheck) + ") {\n$0\nh.ep.sfAdmitted = true\n}"},

	// refs' live object map under a standard mutex: with leak checking on, every packet buffer,
	// segment and chunk registers, and liveObjectsMu, a pkg/sync mutex, would be a scheduling
	// point each time. The sections hold no scheduling point, so a lock of its own, invisible to
	// the substrate, keeps them exclusive in both modes. (SockfuzzTakeLive, the live file's
	// drain, still takes liveObjectsMu: the adapter drains with SockfuzzTakeLeaks.)
	{ID: "O2", File: pkgRefsMap, Func: "Register", Kind: Replace, Match: "liveObjectsMu.Lock()", Code: "sfLiveMu.Lock()"},
	{ID: "O2", File: pkgRefsMap, Func: "Register", Kind: Replace, Match: "liveObjectsMu.Unlock()", Code: "sfLiveMu.Unlock()"},
	{ID: "O2", File: pkgRefsMap, Func: "Unregister", Kind: Replace, Match: "liveObjectsMu.Lock()", Code: "sfLiveMu.Lock()"},
	{ID: "O2", File: pkgRefsMap, Func: "Unregister", Kind: Replace, Match: "defer liveObjectsMu.Unlock()", Code: "defer sfLiveMu.Unlock()"},
	{ID: "O2", File: pkgRefsMap, Func: "doLeakCheck", Kind: Replace, Match: "liveObjectsMu.Lock()", Code: "sfLiveMu.Lock()"},
	{ID: "O2", File: pkgRefsMap, Func: "doLeakCheck", Kind: Replace, Match: "defer liveObjectsMu.Unlock()", Code: "defer sfLiveMu.Unlock()"},
}

var oracleAdded = map[string]string{
	pkgTCP + "sockfuzz_oracle.go": tcpOracleFile,
	"pkg/refs/sockfuzz_leaks.go":  refsLeaksFile,
}

// tcpOracleFile is the introspection of package tcp for the adapter's oracles: a listener's
// accept accounting and a closed endpoint's queues.
const tcpOracleFile = `// Code added by sockfuzz's gvpatch. DO NOT EDIT.

package tcp

import (
	stdsync "sync"
	stdatomic "sync/atomic"

	"gvisor.dev/gvisor/pkg/sockfuzzhook"
	"gvisor.dev/gvisor/pkg/waiter"
)

// sfAcceptCounters are a listener's accept accounting, under acceptMu.
type sfAcceptCounters struct {
	completed  uint64 // handshakes delivered to the listener
	accepted   uint64 // taken off the queue by Accept
	reset      uint64 // refused at delivery, or aborted off the queue when the listener closed
	unadmitted uint64 // queued beyond capacity without having passed the full check
	synOver    uint64 // handshakes started with the SYN queue over the backlog
}

// SockfuzzAccept is a listener's accept queue and its accounting.
type SockfuzzAccept struct {
	Completed, Accepted, Reset, Unadmitted, SynOver uint64
	// Queued, Capacity and Pending are the accept queue's length and capacity and the number
	// of handshakes in progress; Processors is the number of TCP processors, each of which
	// may deliver one admitted handshake to a full queue.
	Queued, Capacity, Pending, Processors int
	// DeadPending counts the members of the SYN queue whose handshake failed or closed.
	DeadPending int
}

// SockfuzzAccept returns e's accept queue and accounting, read in one acceptMu section.
func (e *Endpoint) SockfuzzAccept() SockfuzzAccept {
	e.acceptMu.Lock()
	defer e.acceptMu.Unlock()
	c := e.sfAccept
	return SockfuzzAccept{Completed: c.completed, Accepted: c.accepted, Reset: c.reset,
		Unadmitted: c.unadmitted, SynOver: c.synOver, Queued: e.acceptQueue.endpoints.Len(),
		Capacity: e.acceptQueue.capacity, Pending: len(e.acceptQueue.pendingEndpoints),
		Processors: len(e.protocol.dispatcher.processors), DeadPending: e.sfDeadPending()}
}

// sfDeadPending counts the members of e's SYN queue whose handshake is over, failed or
// closed: a failed handshake leaves the queue in the section that fails it.
// +checklocks:e.acceptMu
func (e *Endpoint) sfDeadPending() int {
	n := 0
	for p := range e.acceptQueue.pendingEndpoints {
		if st := EndpointState(p.state.Load()); st == StateError || st == StateClose {
			n++
		}
	}
	return n
}

// sfDeliver counts a handshake deliverAccepted hands e, and its reset when e no longer takes
// connections. +checklocks:e.acceptMu
func (e *Endpoint) sfDeliver() {
	e.sfAccept.completed++
	if e.acceptQueue.capacity == 0 {
		e.sfAccept.reset++
	}
}

// sfPushed checks n's push onto e's accept queue: beyond the capacity only for a handshake
// whose final ACK passed the full check while the queue had room (gVisor queues racing ACKs on
// purpose, dispatcher.go:134-144); never when the check was made in this very section
// (checked, the SYN-cookie path). +checklocks:e.acceptMu
func (e *Endpoint) sfPushed(n *Endpoint, checked bool) {
	if e.acceptQueue.endpoints.Len() > e.acceptQueue.capacity && (checked || !n.sfAdmitted) {
		e.sfAccept.unadmitted++
	}
}

// sfSynAdded checks a handshake just added to e's SYN queue: the queue holds at most
// capacity-1 of them (accept.go:489), counting those on their way to the accept queue.
// +checklocks:e.acceptMu
func (e *Endpoint) sfSynAdded() {
	if len(e.acceptQueue.pendingEndpoints)+e.sfTransit > e.acceptQueue.capacity-1 {
		e.sfAccept.synOver++
	}
}

// sfDeliverAsync is fault cookie-async-deliver's delivery: n goes to e's accept queue from a
// thread of its own, outside the section that checked the queue, as gVisor delivered before
// c633a7f9d. +checklocks:e.acceptMu
func (e *Endpoint) sfDeliverAsync(n *Endpoint) {
	sockfuzzhook.Go("tcp.deliverAsync", func() {
		e.acceptMu.Lock()
		e.acceptQueue.endpoints.PushBack(n)
		e.sfPushed(n, true)
		e.acceptMu.Unlock()
		e.waiterQueue.Notify(waiter.ReadableEvents)
	})
}

// sfEndpoints is every endpoint made while tracking is on (sockfuzz's execution), in creation
// order.
var sfEndpoints struct {
	mu  stdsync.Mutex
	on  bool
	all []*Endpoint
}

// sfRegister records e while tracking is on.
func sfRegister(e *Endpoint) {
	sfEndpoints.mu.Lock()
	if sfEndpoints.on {
		sfEndpoints.all = append(sfEndpoints.all, e)
	}
	sfEndpoints.mu.Unlock()
}

// SockfuzzTrack starts (on) or stops the record of every endpoint made; either way it
// forgets the endpoints recorded so far.
func SockfuzzTrack(on bool) {
	sfEndpoints.mu.Lock()
	sfEndpoints.on = on
	clear(sfEndpoints.all)
	sfEndpoints.all = sfEndpoints.all[:0]
	sfEndpoints.mu.Unlock()
}

// SockfuzzEndpoints returns the endpoints recorded, in creation order.
func SockfuzzEndpoints() []*Endpoint {
	sfEndpoints.mu.Lock()
	defer sfEndpoints.mu.Unlock()
	return append([]*Endpoint(nil), sfEndpoints.all...)
}

// SockfuzzState is an endpoint's state name, read without the scheduling point of
// EndpointState's edit.
func (e *Endpoint) SockfuzzState() string { return EndpointState(e.state.Load()).String() }

// SockfuzzLostDirections returns the direction bits once added to e's connection direction
// state that it no longer holds: the state only grows, by atomic ORs.
func (e *Endpoint) SockfuzzLostDirections() uint32 {
	return e.sfDirSeen.Load() &^ e.connectionDirectionState.Load()
}

// SockfuzzOrphan reports whether e, a handshake, went on in SYN-RCVD after its listener had
// aborted its handshakes.
func (e *Endpoint) SockfuzzOrphan() bool { return e.sfOrphan.b.Load() }

// sfFlag is a flag the checks read from any thread (sockfuzz).
type sfFlag struct{ b stdatomic.Bool }

// SockfuzzICMPAbort reports whether an ICMP error aborted e after its handshake completed.
func (e *Endpoint) SockfuzzICMPAbort() bool { return e.sfICMPAbort.b.Load() }

// SockfuzzUnestablished reports whether a Connect of e succeeded with no connection
// established.
func (e *Endpoint) SockfuzzUnestablished() bool { return e.sfUnestablished.b.Load() }

// SockfuzzHeld is what an endpoint still holds: its state, the segments waiting for its
// processor, its receive queue and the bytes counted in it.
type SockfuzzHeld struct {
	State                          string
	SegQueue, RcvQueue, RcvBufUsed int
}

// SockfuzzHeld returns what e still holds, under its segment queue's lock, e.mu and
// rcvQueueMu. The state is read without the scheduling point EndpointState's edit adds.
func (e *Endpoint) SockfuzzHeld() SockfuzzHeld {
	h := SockfuzzHeld{State: EndpointState(e.state.Load()).String()}
	e.segmentQueue.mu.Lock()
	for s := e.segmentQueue.list.Front(); s != nil; s = s.Next() {
		h.SegQueue++
	}
	e.segmentQueue.mu.Unlock()
	e.mu.Lock()
	for s := e.rcvQueue.Front(); s != nil; s = s.Next() {
		h.RcvQueue++
	}
	e.rcvQueueMu.Lock()
	h.RcvBufUsed = e.RcvBufUsed
	e.rcvQueueMu.Unlock()
	e.mu.Unlock()
	return h
}
`

// refsLeaksFile gives refs' live object map a lock the substrate does not see (rows O2) and
// the adapter's drain of it.
const refsLeaksFile = `// Code added by sockfuzz's gvpatch. DO NOT EDIT.

package refs

import (
	"sort"
	stdsync "sync"
)

// sfLiveMu protects liveObjects in place of liveObjectsMu (sockfuzz): a standard mutex, no
// scheduling point.
var sfLiveMu stdsync.Mutex

// SockfuzzTakeLeaks returns the types of the objects in the live object map, one entry per
// object, sorted, and empties the map. Objects whose leak checking is disabled are dropped
// without an entry, as the leak check skips them.
func SockfuzzTakeLeaks() []string {
	sfLiveMu.Lock()
	defer sfLiveMu.Unlock()
	var live []string
	for obj := range liveObjects {
		if o, ok := obj.(leakCheckDisabled); ok && o.LeakCheckDisabled() {
			continue
		}
		live = append(live, obj.RefType())
	}
	clear(liveObjects)
	sort.Strings(live)
	return live
}
`
