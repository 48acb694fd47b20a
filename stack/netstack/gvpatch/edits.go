package gvpatch

import "fmt"

// Kind is what an edit row does at its anchor (docs/netstack-design.md §2.3).
type Kind int

const (
	// Prologue inserts Code at the top of the function's body (P).
	Prologue Kind = iota
	// Guard replaces the one statement matching Match with
	// `if h := sockfuzzhook.Get(); h != nil { Code } else { the statement }` (S).
	Guard
	// After inserts Code after the one statement matching Match (A).
	After
	// Replace replaces the one statement matching Match with Code; $0 in Code is the
	// statement's original text.
	Replace
	// Wrap replaces the one expression matching Match with Code; $0 in Code is the original
	// expression's text.
	Wrap
	// SortedRange rewrites the one range over a map whose range expression matches Match to
	// iterate in the order of the comparison function Code (R).
	SortedRange
	// Field adds Code as the last field of the struct type named Func.
	Field
	// Before inserts Code on lines of its own before the statement matching Match (A), which
	// must begin its line; a //line directive keeps the statement on its original line.
	Before
)

// Edit is one row of the edit table. Its matcher must match exactly once in its function, so
// that a gVisor bump that moves an anchor fails, naming the row, instead of changing meaning.
type Edit struct {
	// ID names the row in errors and in the stamp (docs/netstack-design.md §1's numbering).
	ID string
	// File is the path of the file inside the gVisor module.
	File string
	// Func is "Recv.Name" (the receiver's base type) or "Name"; for Field, the struct type.
	Func string
	Kind Kind
	// Match is a Go statement or expression, compared after printing with white space
	// collapsed; a trailing "..." makes it a prefix.
	Match string
	// Count is the number of statements Match must match (0 means 1); the edit applies at
	// each. It is for an access repeated verbatim in one function, as LockUser's.
	Count int
	// Code is the inserted or replacing code: this project's own.
	Code string
	// Imports are the import paths Code needs beyond the file's own.
	Imports []string
}

const (
	pkgSync  = "pkg/sync/"
	pkgSleep = "pkg/sleep/sleep_unsafe.go"
	pkgTCP   = "pkg/tcpip/transport/tcp/"
	pkgUDP   = "pkg/tcpip/transport/udp/"
	pkgStack = "pkg/tcpip/stack/stack.go"
)

var hookImports = []string{HookImport, "unsafe"}

// prologue is the row of a lock operation hooked with a prologue (L1, L2): when hooks are
// installed the operation is the hook's, and the original body (including the writer mutex
// rw.w of the read-write mutex) is never reached.
func prologue(id, file, fn, recv, hook string, returns bool) Edit {
	call := "h." + hook + "(unsafe.Pointer(" + recv + "))"
	if returns {
		call = "return " + call
	} else {
		call += "\nreturn"
	}
	return Edit{ID: id, File: file, Func: fn, Kind: Prologue, Imports: hookImports,
		Code: "if h := sockfuzzhook.Get(); h != nil {\n" + call + "\n}"}
}

// chanKey is the key of a channel's hooks: the channel's runtime pointer, the same for the
// sender (a ChannelNotifier) and the receiver (a chan struct{}).
func chanKey(v string) string { return "*(*unsafe.Pointer)(unsafe.Pointer(&" + v + "))" }

// atomic is an A row (§1.7): a scheduling point and an atomic access of field of the tcp
// Endpoint e, before each of the count statements matching match in fn. The site is the
// field's name, which names its word for the detector.
func atomic(fn, match, field string, write bool, count int) Edit {
	return Edit{ID: "A", File: pkgTCP + "endpoint.go", Func: fn, Kind: Before, Count: count, Match: match,
		Imports: hookImports,
		Code:    fmt.Sprintf("sockfuzzhook.Atomic(%q, unsafe.Pointer(&e.%s), %t)", "tcp.Endpoint."+field, field, write)}
}

// idAccess is an A row of e.TransportEndpointInfo.ID, a plain struct read without e.mu: a
// plain access for the detector (no scheduling point), before the statement matching match.
func idAccess(fn, match string, write bool) Edit {
	return Edit{ID: "A", File: pkgTCP + "endpoint.go", Func: fn, Kind: Before, Match: match, Imports: hookImports,
		Code: fmt.Sprintf("sockfuzzhook.Access(%q, unsafe.Pointer(&e.TransportEndpointInfo.ID), %t)", "tcp.Endpoint.ID", write)}
}

// Edits is the edit table, in the order the rows are applied; oracle_edits.go appends the rows
// of the netstack oracles (§4.2).
var Edits = []Edit{
	prologue("L1", pkgSync+"mutex_unsafe.go", "CrossGoroutineMutex.Lock", "m", "Lock", false),
	prologue("L1", pkgSync+"mutex_unsafe.go", "CrossGoroutineMutex.Unlock", "m", "Unlock", false),
	prologue("L1", pkgSync+"mutex_unsafe.go", "CrossGoroutineMutex.TryLock", "m", "TryLock", true),

	prologue("L2", pkgSync+"rwmutex_unsafe.go", "CrossGoroutineRWMutex.TryRLock", "rw", "TryRLock", true),
	prologue("L2", pkgSync+"rwmutex_unsafe.go", "CrossGoroutineRWMutex.RLock", "rw", "RLock", false),
	prologue("L2", pkgSync+"rwmutex_unsafe.go", "CrossGoroutineRWMutex.RUnlock", "rw", "RUnlock", false),
	prologue("L2", pkgSync+"rwmutex_unsafe.go", "CrossGoroutineRWMutex.TryLock", "rw", "TryWLock", true),
	prologue("L2", pkgSync+"rwmutex_unsafe.go", "CrossGoroutineRWMutex.Lock", "rw", "WLock", false),
	prologue("L2", pkgSync+"rwmutex_unsafe.go", "CrossGoroutineRWMutex.Unlock", "rw", "WUnlock", false),
	prologue("L2", pkgSync+"rwmutex_unsafe.go", "CrossGoroutineRWMutex.DowngradeLock", "rw", "Downgrade", false),

	{ID: "P1", File: pkgSleep, Func: "Sleeper.nextWaker", Kind: Guard, Imports: hookImports,
		Match: "sync.Gopark(commitSleep, unsafe.Pointer(&s.waitingG), sync.WaitReasonSelect, sync.TraceBlockSelect, 0)",
		Code:  "h.Park(unsafe.Pointer(s), &s.waitingG, func() bool { return atomic.LoadPointer(&s.sharedList) != nil })"},
	{ID: "P2", File: pkgSleep, Func: "Sleeper.enqueueAssertedWaker", Kind: Guard, Imports: hookImports,
		Match: "sync.Goready(g, 0, wakep)",
		Code:  "h.Ready(unsafe.Pointer(s))"},

	{ID: "N1", File: pkgTCP + "protocol.go", Func: "newProtocol", Kind: Wrap, Imports: hookImports[:1],
		Match: "runtime.GOMAXPROCS(0)",
		Code:  "sockfuzzhook.Processors($0)"},

	// W2 and W3: a receive from a ChannelNotifier's channel would block the coroutine of a
	// controlled thread, and with it the process; the hook waits on the channel's key instead,
	// and the receive that follows cannot block.
	{ID: "W2", File: "pkg/waiter/waiter.go", Func: "ChannelNotifier.NotifyEvent", Kind: After, Imports: hookImports,
		Match: "select { case c <- struct{}{}: default: }",
		Code:  "if h := sockfuzzhook.Get(); h != nil {\nh.ChanReady(" + chanKey("c") + ")\n}"},
	{ID: "W3", File: pkgTCP + "endpoint.go", Func: "Endpoint.Wait", Kind: Guard, Imports: hookImports,
		Match: "<-notifyCh",
		Code:  "h.ChanWait(" + chanKey("notifyCh") + ", func() bool { return len(notifyCh) > 0 })\n<-notifyCh"},

	// §1.7: the atomic fields of tcp.Endpoint that the known races turn on, each access made a
	// scheduling point. These are all their accesses outside save/restore (endpoint_state.go,
	// unreachable): the dispatcher reads ownedByUser through isOwnedByUser (dispatcher.go:366,
	// 507) and the endpoint's other functions read state and connectionDirectionState through
	// EndpointState and connDirectionState. LockUser repeats its two accesses in its spinning
	// and its yielding loop, and stores ownedByUser on each of its five ways out.
	atomic("Endpoint.EndpointState", "return EndpointState(e.state.Load())", "state", false, 1),
	atomic("Endpoint.setEndpointState", "oldstate := EndpointState(e.state.Swap(uint32(state)))", "state", true, 1),
	atomic("Endpoint.isOwnedByUser", "return e.ownedByUser.Load() == 1", "ownedByUser", false, 1),
	atomic("Endpoint.LockUser", "if e.ownedByUser.Load() == 1 {...", "ownedByUser", false, 2),
	atomic("Endpoint.LockUser", "e.ownedByUser.Store(1)", "ownedByUser", true, 5),
	atomic("Endpoint.UnlockUser", "if e.ownedByUser.Swap(0) != 1 {...", "ownedByUser", true, 2),
	atomic("Endpoint.connDirectionState", "return connDirectionState(e.connectionDirectionState.Load())", "connectionDirectionState", false, 1),
	atomic("Endpoint.updateConnDirectionState", "atomicbitops.OrUint32(&e.connectionDirectionState, uint32(state))", "connectionDirectionState", true, 1),
	// The ID's write when an ephemeral port is published (bug 10's second half) and
	// onICMPError's unlocked reads, which all sit in the one QueueErr statement.
	idAccess("Endpoint.registerEndpoint", "e.TransportEndpointInfo.ID.LocalPort = p", true),
	idAccess("Endpoint.onICMPError", "e.SocketOptions().QueueErr(&tcpip.SockError{...", false),

	// §1.8: creation numbers for endpoints, and map ranges that order scheduling points made
	// to iterate in a sorted order. The other map ranges of stack, tcp, udp, waiter, ipv4 and
	// transport/internal/network are left alone because, with the adapter's configuration,
	// their maps hold at most one entry (one NIC, one address, ipv4 only: s.nics in FindRoute
	// and friends, nic.networkEndpoints, ipv4's p.eps, addressable_endpoint_state's endpoints,
	// the demuxer's per-NIC endpoints) or they are unreachable (bridge, neighbor cache, link
	// resolution, multicast memberships, save/restore, Pause/Resume). A second NIC would make
	// the s.nics ranges of FindRoute (stack.go:1442-1569) order scheduling points.
	{ID: "ID", File: pkgTCP + "endpoint.go", Func: "Endpoint", Kind: Field,
		Code: "\n// sfID is the endpoint's creation number (sockfuzz), for sorted iteration.\nsfID uint64"},
	{ID: "ID", File: pkgTCP + "endpoint.go", Func: "newEndpoint", Kind: After, Imports: hookImports[:1],
		Match: "e := &Endpoint{...", Code: "e.sfID = sockfuzzhook.NextID()"},
	{ID: "ID", File: pkgUDP + "endpoint.go", Func: "endpoint", Kind: Field,
		Code: "\n// sfID is the endpoint's creation number (sockfuzz), for sorted iteration.\nsfID uint64"},
	{ID: "ID", File: pkgUDP + "endpoint.go", Func: "newEndpoint", Kind: After, Imports: hookImports[:1],
		Match: "e := &endpoint{...", Code: "e.sfID = sockfuzzhook.NextID()"},

	{ID: "R1", File: pkgTCP + "endpoint.go", Func: "Endpoint.closePendingAcceptableConnectionsLocked", Kind: SortedRange,
		Imports: []string{HookImport, "cmp"}, Match: "pendingEndpoints", Code: "func(a, b *Endpoint) int { return cmp.Compare(a.sfID, b.sfID) }"},
	{ID: "R2", File: pkgStack, Func: "Stack.RegisteredEndpoints", Kind: Replace, Imports: hookImports[:1],
		Match: "return es", Code: "sockfuzzhook.SortByID(es)\n$0"},
	{ID: "R3", File: pkgStack, Func: "Stack.CleanupEndpoints", Kind: Replace, Imports: hookImports[:1],
		Match: "return es", Code: "sockfuzzhook.SortByID(es)\n$0"},
	{ID: "R4", File: pkgStack, Func: "Stack.Close", Kind: SortedRange, Imports: []string{HookImport, "cmp"},
		Match: "s.transportProtocols", Code: "cmp.Compare"},
	{ID: "R4", File: pkgStack, Func: "Stack.Close", Kind: SortedRange, Imports: []string{HookImport, "cmp"},
		Match: "s.networkProtocols", Code: "cmp.Compare"},
	{ID: "R4", File: pkgStack, Func: "Stack.Wait", Kind: SortedRange, Imports: []string{HookImport, "cmp"},
		Match: "s.transportProtocols", Code: "cmp.Compare"},
	{ID: "R4", File: pkgStack, Func: "Stack.Wait", Kind: SortedRange, Imports: []string{HookImport, "cmp"},
		Match: "s.networkProtocols", Code: "cmp.Compare"},
	{ID: "R5", File: pkgStack, Func: "Stack.Wait", Kind: SortedRange, Imports: []string{HookImport, "cmp"},
		Match: "s.nics", Code: "cmp.Compare"},
	// The demuxer's endpoints by protocol (tcp, udp) and by endpoint ID: RegisteredEndpoints
	// (Stack.Close, Stack.Wait, the leak oracle) takes their locks in the order it ranges them.
	{ID: "R7", File: pkgStack, Func: "Stack.RegisteredEndpoints", Kind: SortedRange, Imports: []string{HookImport, "cmp"},
		Match: "s.demux.protocol", Code: "func(a, b protocolIDs) int { return cmp.Or(cmp.Compare(a.network, b.network), cmp.Compare(a.transport, b.transport)) }"},
	{ID: "R8", File: "pkg/tcpip/stack/transport_demuxer.go", Func: "transportEndpoints.transportEndpoints", Kind: SortedRange,
		Imports: []string{HookImport}, Match: "eps.endpoints", Code: "sockfuzzhook.ByString[TransportEndpointID]"},
	{ID: "R8", File: "pkg/tcpip/stack/transport_demuxer.go", Func: "endpointsByNIC.transportEndpoints", Kind: SortedRange,
		Imports: []string{HookImport, "cmp"}, Match: "epsByNIC.endpoints", Code: "cmp.Compare"},
	// §1.6: gVisor's own pkg/rand, which ipv4.NewProtocol reads for its IP ID table and hash
	// seed (8 KiB through getrandom per stack), reads the execution's stream instead, so that
	// no outside randomness reaches an execution's packets.
	{ID: "RN", File: "pkg/rand/rand_linux.go", Func: "Read", Kind: Before, Imports: hookImports[:1],
		Match: "return io.ReadFull(Reader, b)",
		Code:  "if r := sockfuzzhook.Random(); r != nil {\nreturn io.ReadFull(r, b)\n}"},
	// The dangling endpoints come from a map; ReleaseDanglingEndpoints aborts them in the
	// returned order, and the leak oracle reports the first.
	{ID: "R6", File: "pkg/tcpip/tcpip.go", Func: "GetDanglingEndpoints", Kind: Replace, Imports: hookImports[:1],
		Match: "return es", Code: "sockfuzzhook.SortByID(es)\n$0"},
}

// Added are the files of our own added to gVisor packages (kind F), by path in the module.
var Added = map[string]string{
	pkgTCP + "sockfuzz_id.go":   idFile("tcp", "Endpoint"),
	pkgTCP + "sockfuzz_wake.go": tcpWakeFile,
	pkgUDP + "sockfuzz_id.go":   idFile("udp", "endpoint"),
	"pkg/refs/sockfuzz_live.go": liveFile,
}

// tcpWakeFile tells the adapter's lost-wakeup oracle when a writer blocked on a TCP endpoint
// is owed a wakeup. Readiness reports writable as soon as one byte of the send buffer is free,
// but updateSndBufferUsage notifies writers only once half of it is (endpoint.go:3115-3136,
// as Linux's sk_stream_write_space): in between, a blocked writer legitimately sleeps.
const tcpWakeFile = `// Code added by sockfuzz's gvpatch. DO NOT EDIT.

package tcp

// SockfuzzWriteWake reports whether a writer blocked on e should have been woken: e's send
// side is closed or e is no longer connected, or half of its send buffer is free.
func (e *Endpoint) SockfuzzWriteWake() bool {
	if st := e.EndpointState(); st != StateEstablished && st != StateCloseWait {
		return true
	}
	size := e.getSendBufferSize()
	e.sndQueueInfo.sndQueueMu.Lock()
	defer e.sndQueueInfo.sndQueueMu.Unlock()
	return e.sndQueueInfo.SndClosed || e.sndQueueInfo.SndBufUsed < size>>1
}
`

// liveFile drains refs' live object map (§1.8), which leak checking fills process-wide: the
// adapter reads one execution's leaks after Destroy, and the next execution starts empty.
const liveFile = `// Code added by sockfuzz's gvpatch. DO NOT EDIT.

package refs

import "sort"

// SockfuzzTakeLive returns the leak messages ("[type address] reference count of n instead
// of 0") of the objects in the live object map, sorted, and empties the map. Objects whose
// leak checking is disabled are dropped without a message, as the leak check skips them.
func SockfuzzTakeLive() []string {
	liveObjectsMu.Lock()
	defer liveObjectsMu.Unlock()
	var live []string
	for obj := range liveObjects {
		if o, ok := obj.(leakCheckDisabled); ok && o.LeakCheckDisabled() {
			continue
		}
		live = append(live, obj.LeakMessage())
	}
	clear(liveObjects)
	sort.Strings(live)
	return live
}
`

func idFile(pkg, typ string) string {
	return "// Code added by sockfuzz's gvpatch. DO NOT EDIT.\n\npackage " + pkg + "\n\n" +
		"// SockfuzzID returns the endpoint's creation number, by which sockfuzzhook.SortByID\n" +
		"// orders endpoints.\n" +
		"func (e *" + typ + ") SockfuzzID() uint64 { return e.sfID }\n"
}
