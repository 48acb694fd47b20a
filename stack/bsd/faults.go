package bsd

import (
	"fmt"
	"strings"
)

// Faults is a set of faults of the catalog; each switches off one protection of the stack.
// The zero value is the correct stack.
type Faults uint64

// Has reports whether f is on.
func (fs Faults) Has(f Faults) bool { return fs&f != 0 }

// The fault catalog: each constant removes exactly one protection and re-creates a historical
// bug. Catalog describes them, in the constants' order (that of the fault table of the
// project's design notes, shared/DESIGN.md, which live outside this repository).
const (
	// FaultConnectEINTR: an interrupted blocking connect clears SS_ISCONNECTING while the SYN
	// is still outstanding (DragonFly 8765eadc4c; FreeBSD uipc_syscalls.c 1.154).
	FaultConnectEINTR Faults = 1 << iota
	// FaultAbortTwice: soabort and soclose race so the socket is aborted twice (4402d8a2a5).
	FaultAbortTwice
	// FaultSoStateRMW: so_state is set and cleared with plain read-modify-writes (6cef7136f0).
	FaultSoStateRMW
	// FaultDisconnectedAfterFree: soisdisconnected runs on a freed socket (6cef7136f0).
	FaultDisconnectedAfterFree
	// FaultSSBWaitNoInterlock: SSB_WAIT is set after the condition check with no WAKEUP
	// interlock (14343ad3b8).
	FaultSSBWaitNoInterlock
	// FaultSonewconnPortLate: sonewconn sets so_port after attaching the socket (0ce0603ec4).
	FaultSonewconnPortLate
	// FaultSoreceiveUnlocked: soreceive runs without the sockbuf token (20156c7a50).
	FaultSoreceiveUnlocked
	// FaultAcceptRefLate: accept clears so_head before taking its reference (c19fdb0e33).
	FaultAcceptRefLate
	// FaultAbortLostSofree: the sofree after an abort is lost (c3d495a1d6).
	FaultAbortLostSofree
	// FaultClosePendingSend: close frees a socket with async sends still queued (939c81e437).
	FaultClosePendingSend
	// FaultPredicateWakeupRace: a wait predicate is tested and queued non-atomically with
	// sowakeup (ccae972d65).
	FaultPredicateWakeupRace
	// FaultListenCloseDrain: connections arriving while the listener closes stay on its queues
	// (19be7d321e).
	FaultListenCloseDrain
	// FaultAcceptQueueUnlocked: soisconnected moves the socket between queues without the queue
	// lock (the 2008 mail).
	FaultAcceptQueueUnlocked
	// FaultCantrcvmoreUnlocked: tcp_input tests SS_CANTRCVMORE without the socket lock (the 2008
	// mail).
	FaultCantrcvmoreUnlocked
	// FaultSocloseKeepsFD: the descriptor still points at the socket after soclose (the 2008
	// mail's soo_close note).
	FaultSocloseKeepsFD
	// FaultFIOASYNCRMW: ioctl FIOASYNC sets SS_ASYNC with a plain read-modify-write.
	FaultFIOASYNCRMW
	// FaultWakeupBeforeAppend: sorwakeup is called before the data is appended to so_rcv.
	FaultWakeupBeforeAppend
	// FaultSSBWaitABA: ssb_wait runs without the sockbuf token, so two waiters of one sockbuf
	// race on ssb_flags: one consumes the WAKEUP the other's stale compare-and-swap then
	// overwrites with WAIT (DragonFly's sosend to this day; docs/findings/ssb-wait-aba.md).
	FaultSSBWaitABA

	faultEnd
)

// AllFaults is every fault of the catalog.
const AllFaults = faultEnd - 1

// FaultInfo describes one fault of the catalog.
type FaultInfo struct {
	// Fault is the fault's bit.
	Fault Faults
	// Name is its stable name, as programs and SOCKFUZZ_FAULTS spell it.
	Name string
	// Recreates is the historical bug it re-creates, with its source.
	Recreates string
	// Oracle is the oracle expected to catch it (a Report's Oracle field).
	Oracle string
}

// Catalog lists every fault, in bit order.
var Catalog = []FaultInfo{
	{FaultConnectEINTR, "connect-eintr-clears-connecting",
		"an interrupted connect clears SS_ISCONNECTING while the SYN is outstanding (DragonFly 8765eadc4c; FreeBSD uipc_syscalls.c 1.154)",
		"state"},
	{FaultAbortTwice, "abort-twice",
		"close/abort race: the socket is aborted twice or freed while an abort is in flight (DragonFly 4402d8a2a5)",
		"use-after-soclose"},
	{FaultSoStateRMW, "so-state-rmw",
		"non-atomic so_state read-modify-write by process and protocol thread loses bits (DragonFly 6cef7136f0)",
		"data-race"},
	{FaultDisconnectedAfterFree, "disconnected-after-free",
		"soisdisconnected runs on a freed socket (DragonFly 6cef7136f0)",
		"use-after-soclose"},
	{FaultSSBWaitNoInterlock, "ssb-wait-no-interlock",
		"SSB_WAIT set after the condition check with no WAKEUP interlock (DragonFly 14343ad3b8)",
		"lost-wakeup"},
	{FaultSonewconnPortLate, "sonewconn-port-late",
		"so_port set after attach, so close goes to the wrong protocol thread (DragonFly 0ce0603ec4)",
		"panic"},
	{FaultSoreceiveUnlocked, "soreceive-unlocked",
		"soreceive without the sockbuf token against the protocol thread's append (DragonFly 20156c7a50)",
		"data-race"},
	{FaultAcceptRefLate, "accept-ref-late",
		"accept clears so_head before taking a reference; a RST frees the socket between (DragonFly c19fdb0e33, 5217bcbc2e, 3735a88518)",
		"use-after-soclose"},
	{FaultAbortLostSofree, "abort-lost-sofree",
		"the sofree after an abort is lost: the socket leaks (DragonFly c3d495a1d6)",
		"socket-leak"},
	{FaultClosePendingSend, "close-pending-send",
		"close frees a socket with async send messages still queued (DragonFly 939c81e437)",
		"use-after-soclose"},
	{FaultPredicateWakeupRace, "predicate-wakeup-race",
		"a wait predicate is tested and queued non-atomically with sowakeup (DragonFly ccae972d65)",
		"lost-wakeup"},
	{FaultListenCloseDrain, "listen-close-drain",
		"connections arriving while the listener closes are left on its queues (DragonFly 19be7d321e)",
		"accept-queue"},
	{FaultAcceptQueueUnlocked, "accept-queue-unlocked",
		"soisconnected from process context moves the socket between queues without the queue lock (the 2008 mail)",
		"accept-queue"},
	{FaultCantrcvmoreUnlocked, "cantrcvmore-unlocked",
		"tcp_input tests SS_CANTRCVMORE without the socket lock (the 2008 mail)",
		"data-race"},
	{FaultSocloseKeepsFD, "soclose-keeps-fd",
		"the descriptor still points at the socket after soclose (the 2008 mail's soo_close note)",
		"use-after-soclose"},
	{FaultFIOASYNCRMW, "fioasync-rmw",
		"ioctl FIOASYNC sets SS_ASYNC with a plain read-modify-write racing the protocol thread",
		"data-race"},
	{FaultWakeupBeforeAppend, "wakeup-before-append",
		"sorwakeup called before the data is appended to so_rcv",
		"lost-wakeup"},
	{FaultSSBWaitABA, "ssb-wait-aba",
		"ssb_wait without the sockbuf token: two waiters' WAIT/WAKEUP compare-and-swaps meet an ABA and one sleeps through the only wakeup (DragonFly sosend, uipc_socket.c to this day; docs/findings/ssb-wait-aba.md)",
		"lost-wakeup"},
}

// FaultByName returns the fault called name.
func FaultByName(name string) (FaultInfo, bool) {
	for _, fi := range Catalog {
		if fi.Name == name {
			return fi, true
		}
	}
	return FaultInfo{}, false
}

// ParseFaults resolves a list of fault names; an unknown name is an error listing the catalog.
func ParseFaults(names []string) (Faults, error) {
	var fs Faults
	for _, n := range names {
		fi, ok := FaultByName(n)
		if !ok {
			return 0, fmt.Errorf("unknown fault %q (known: %s)", n, strings.Join(FaultNames(), ", "))
		}
		fs |= fi.Fault
	}
	return fs, nil
}

// FaultNames returns the catalog's names in order.
func FaultNames() []string {
	names := make([]string, len(Catalog))
	for i, fi := range Catalog {
		names[i] = fi.Name
	}
	return names
}
