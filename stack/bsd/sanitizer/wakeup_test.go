package sanitizer

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
)

func TestLostSigio(t *testing.T) {
	const A = bsd.SS_ASYNC
	const proc, netisr = 2, 0
	on := evs(
		E(bsd.ObsSockCreated, proc, 0),
		E(bsd.ObsState, proc, 0, state(0, A), site("soo_ioctl:FIOASYNC")),
		E(bsd.ObsAsyncSet, proc, 0, arg(1)),
	)
	off := evs(
		E(bsd.ObsState, proc, 0, state(A, 0), site("soo_ioctl:FIOASYNC")),
		E(bsd.ObsAsyncSet, proc, 0, arg(0)),
	)
	// ready is sowakeup's event: the so_state it read and the SIGIO owner it read (-1: none).
	ready := func(s uint64, owner int) bsd.ObsEvent {
		return E(bsd.ObsReady, netisr, 0, state(0, s), site("so_rcv"), arg(owner))
	}
	sigio := E(bsd.ObsSigio, netisr, 0, arg(0))
	other := E(bsd.ObsWakeup, netisr, 0, site("so_snd"))
	tests := []struct {
		name string
		evs  []bsd.ObsEvent
		want []string
	}{
		{"set, ready, sigio, cleared", cat(on, evs(ready(A, 0), sigio, ready(A, 0), sigio), off), nil},
		{"ready with no owner yet", cat(on, evs(ready(A, -1), other)), nil},
		{"readiness between FIOASYNC's clear and its event", cat(on, evs(off[0], ready(0, -1), off[1], ready(0, -1))), nil},
		{"ready after FIOASYNC off", cat(on, off, evs(ready(0, -1), other)), nil},
		{"protocol thread loses SS_ASYNC", cat(on, evs(
			E(bsd.ObsState, netisr, 0, state(A|bsd.SS_ISCONNECTED, bsd.SS_ISCONNECTED|bsd.SS_CANTRCVMORE), site("so-state-rmw")),
			ready(bsd.SS_CANTRCVMORE, -1))),
			[]string{titleAsyncLost, titleReadyNoAsync}},
		{"SS_ASYNC lost with no state event", cat(on, evs(ready(0, -1))), []string{titleReadyNoAsync}},
		{"no SIGIO to the owner read", cat(on, evs(ready(A, 0), sigio, ready(A, 0), other)), []string{titleReadyNoSigio}},
		{"no SIGIO at the end of the run", cat(on, evs(ready(A, 0), sigio, ready(A, 0))), []string{titleReadyNoSigio}},
		{"owner gone with the last descriptor", cat(on, evs(
			E(bsd.ObsFdInstall, proc, 0, arg(3)), ready(A, 0), sigio,
			E(bsd.ObsFdClose, proc, 0, arg(3)), ready(A, -1), other)), nil},
	}
	for _, tc := range tests {
		expect(t, tc.name, feed(tc.evs...), tc.want...)
	}
}
