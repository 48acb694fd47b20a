package gvpatch

import (
	"fmt"
	"strings"
)

// Fault is one fault of the netstack target's catalog (docs/netstack-design.md §5): a named
// switch that brings a fixed gVisor concurrency bug back into the pinned code, by edits of
// this project guarded by sockfuzzhook.Fault(bit). Bit i is Faults[i]: the catalog's order is
// the bit order of stack.FaultSet. Programs name faults, never bits, so the order may change.
type Fault struct {
	// Name is the fault's stable name, as programs spell it.
	Name string
	// Recreates is the historical bug: its commit, issue and what it did; and how faithful
	// the re-creation is where today's code has moved.
	Recreates string
	// Oracle is the oracle expected to catch it.
	Oracle string
	// edits returns the fault's rows; in their Code, FAULT stands for the fault's guard,
	// sockfuzzhook.Fault(bit).
	edits []Edit
}

// Faults is the catalog, in bit order.
var Faults = []Fault{
	{Name: "listener-close-drops-ack",
		Recreates: "a closing listener drops the handshake's final ACK without a RST, leaving a half-open connection " +
			"(gVisor 326394b79, 2021-04). Today the protection sits in closePendingAcceptableConnectionsLocked, which aborts " +
			"every SYN-RCVD child; the fault skips that abort, so the child's final ACK meets the closed listener's zero-capacity " +
			"queue, looks full and is dropped (connect.go synRcvdState), as in 2021",
		Oracle: "accept-queue",
		edits: []Edit{{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.closePendingAcceptableConnectionsLocked", Kind: After,
			Match: "pendingEndpoints := e.acceptQueue.pendingEndpoints",
			Code:  "if FAULT {\npendingEndpoints = nil\n}"}},
	},
	{Name: "pending-accept-gap",
		Recreates: "a handshake leaves the SYN queue before it reaches the accept queue, so a listener answers more SYNs than " +
			"its backlog allows (gVisor 5eede4e75, 2021-03, issue 5637: synRcvdCount decremented before the delivery). The " +
			"fault opens the same gap in deliverAccepted: delete from pendingEndpoints, release acceptMu, a scheduling point, " +
			"take it again, queue",
		Oracle: "accept-queue",
		edits: []Edit{{ID: "F", File: pkgTCP + "dispatcher.go", Func: "deliverAccepted", Kind: After,
			Match: "delete(lEP.acceptQueue.pendingEndpoints, ep)",
			Code: "if FAULT {\nlEP.sfTransit++\nlEP.acceptMu.Unlock()\nsockfuzzhook.Point(\"tcp.deliverAccepted\")\n" +
				"lEP.acceptMu.Lock()\nlEP.sfTransit--\n}"}},
	},
	{Name: "cookie-async-deliver",
		Recreates: "asynchronous delivery to the accept queue lets it overfill (gVisor c633a7f9d, 2021-09, issue 6545). The " +
			"fault makes the SYN-cookie path's delivery asynchronous again: the full check in one acceptMu section, the push " +
			"in a thread of its own that does not check again",
		Oracle: "accept-queue",
		edits: []Edit{{ID: "F", File: pkgTCP + "accept.go", Func: "Endpoint.handleListenSegment", Kind: Replace,
			Match: "e.acceptQueue.endpoints.PushBack(n)",
			Code:  "if FAULT {\ne.sfDeliverAsync(n)\n} else {\n$0\n}"}},
	},
	{Name: "connect-consumed-error",
		Recreates: "an ICMP error during the handshake races SO_ERROR's clearing of the error, and the handshake takes the " +
			"cleared error for success (gVisor 61615f3f1, 2021-05, issue 5922: the protocol goroutine then ran an " +
			"established loop with no sender and panicked). That goroutine is gone (74a1820ce, 2022-04) and onICMPError no " +
			"longer hands the handshake a value SO_ERROR can consume, so the panic cannot return. The fault brings back the " +
			"same mistake where it survives today: connect on an errored endpoint returns the hard error it reads and " +
			"clears, without 61615f3f1's fallback to ECONNABORTED, so after getsockopt(SO_ERROR) consumed the ICMP's error " +
			"a second connect succeeds on a connection that was never established",
		Oracle: "tcp-state",
		edits: []Edit{{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.connect", Kind: Replace,
			Match: "return &tcpip.ErrConnectionAborted{}", Code: "if FAULT {\nreturn nil\n}\n$0"}},
	},
	{Name: "listen-bound-window",
		Recreates: "a segment that reaches a listener still in StateBound during Listen panics the processor (gVisor " +
			"3b917921d, 2022-04, issue 7428). Two edits bring it back: Listen registers the endpoint before it sets " +
			"StateListen, and the dispatcher queues an endpoint to its processor even while a user holds it, as the 2022 " +
			"dispatcher did; without the second, Listen's LockUser hides the window",
		Oracle: "tcp-state",
		edits: []Edit{
			{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.listen", Kind: Replace,
				Match: "e.setEndpointState(StateListen)", Code: "if !FAULT {\n$0\n}"},
			{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.listen", Kind: After,
				Match: "e.isRegistered = true", Code: "if FAULT {\nsockfuzzhook.Point(\"tcp.Endpoint.listen\")\ne.setEndpointState(StateListen)\n}"},
			{ID: "F", File: pkgTCP + "dispatcher.go", Func: "dispatcher.queuePacket", Kind: Replace,
				Match: "if !ep.isOwnedByUser() {...", Code: "if FAULT {\nd.selectProcessor(id).queueEndpoint(ep)\n} else {\n$0\n}"},
		},
	},
	{Name: "pending-endpoint-leak",
		Recreates: "failed passive handshakes stay on the listener's pendingEndpoints, so every later SYN gets a cookie " +
			"(gVisor 874ffd6a2, 2022-05). The fault skips the removal of a failed handshake from the SYN queue in " +
			"handleConnecting and in cleanupLocked",
		Oracle: "accept-queue",
		edits: []Edit{
			{ID: "F", File: pkgTCP + "dispatcher.go", Func: "handleConnecting", Kind: Replace,
				Match: "delete(lEP.acceptQueue.pendingEndpoints, ep)", Code: "if !FAULT {\n$0\n}"},
			{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.cleanupLocked", Kind: Replace,
				Match: "delete(lEP.acceptQueue.pendingEndpoints, e)", Code: "if !FAULT {\n$0\n}"},
		},
	},
	{Name: "read-unlocked-purge",
		Recreates: "Read walks the receive queue without the endpoint's lock while Close (here the stack's close, which " +
			"aborts every endpoint) purges it (gVisor c24bef7b8, 2022-05): the fault makes Read give up the user lock once " +
			"its checks pass and walk the queue unlocked, with a scheduling point after it takes the first segment, as the " +
			"startRead/commitRead split did; a purge in between frees the segment under the reader",
		Oracle: "panic",
		edits: []Edit{
			{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.Read", Kind: Before,
				Match: "var err error", Code: "if FAULT {\ne.UnlockUser()\ndefer e.LockUser()\n}"},
			{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.Read", Kind: After,
				Match: "s := e.rcvQueue.Front()", Code: "if FAULT {\nsockfuzzhook.Point(\"tcp.Endpoint.Read\")\n}"},
		},
	},
	{Name: "shutdown-no-writer-wakeup",
		Recreates: "writers blocked on a full send buffer are not woken by shutdown(SHUT_WR) (gVisor e5fe488b2, 2021-06): " +
			"the fault skips shutdownLocked's Notify(WritableEvents)",
		Oracle: "lost-wakeup",
		edits: []Edit{{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.shutdownLocked", Kind: Replace,
			Match: "e.waiterQueue.Notify(waiter.WritableEvents)", Code: "if !FAULT {\n$0\n}"}},
	},
	{Name: "abort-no-wakeup",
		Recreates: "Stack.Close aborts the connections but never wakes their blocked readers (gVisor 45e8e4162, 2023-04, " +
			"PR 8801, issue 8748): the fault skips the Notify of Abort's connected branch",
		Oracle: "lost-wakeup",
		edits: []Edit{{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.Abort", Kind: Replace,
			Match: "e.waiterQueue.Notify(waiter.EventHUp | waiter.EventErr | waiter.ReadableEvents | waiter.WritableEvents)",
			Code:  "if !FAULT {\n$0\n}"}},
	},
	{Name: "direction-bits-rmw",
		Recreates: "Readiness and Shutdown update the connection's direction bits with a load then a swap and can lose one " +
			"another's update (gVisor PR 14366, 2026-08, issues 14349 and 14336); the fault brings back the load, a " +
			"scheduling point, and the store of the old value with the new bit",
		Oracle: "tcp-state",
		edits: []Edit{{ID: "F", File: pkgTCP + "endpoint.go", Func: "Endpoint.updateConnDirectionState", Kind: Replace,
			Match: "atomicbitops.OrUint32(&e.connectionDirectionState, uint32(state))",
			Code: "if FAULT {\nold := e.connectionDirectionState.Load()\n" +
				"sockfuzzhook.Atomic(\"tcp.Endpoint.connectionDirectionState\", unsafe.Pointer(&e.connectionDirectionState), true)\n" +
				"e.connectionDirectionState.Store(old | uint32(state))\n} else {\n$0\n}",
			Imports: []string{"unsafe"}}},
	},
}

// faultEdits returns the rows of every fault, with FAULT replaced by its guard and the hook
// package imported.
func faultEdits() []Edit {
	var rows []Edit
	for bit, f := range Faults {
		for _, e := range f.edits {
			e.ID = fmt.Sprintf("F%d", bit)
			e.Code = strings.ReplaceAll(e.Code, "FAULT", fmt.Sprintf("sockfuzzhook.Fault(%d)", bit))
			e.Imports = append([]string{HookImport}, e.Imports...)
			rows = append(rows, e)
		}
	}
	return rows
}

// FaultBit returns the bit of the fault called name, or -1.
func FaultBit(name string) int {
	for i, f := range Faults {
		if f.Name == name {
			return i
		}
	}
	return -1
}
