package sanitizer

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The lost-wakeup oracle.
//
// Sleepers blocked at quiescence with their condition true are the generic oracle's
// (oracle.Blocked); this file judges the BSD-specific loss, SIGIO.
//
// SIGIO through SS_ASYNC. FIOASYNC sets SS_ASYNC and then reports ObsAsyncSet(1); clearing it
// clears the bit and then reports ObsAsyncSet(0), both on the calling process's thread. Between
// an ObsAsyncSet(1) and the next ObsAsyncSet(0) the socket's "intent" is on. sowakeup reports
// ObsReady with the so_state it read, then, with SS_ASYNC set and an owner, delivers SIGIO
// (ObsSigio) on the same thread before that thread reports anything else. So:
//
//   - an ObsState that drops SS_ASYNC while the intent is on is a loss, unless it is the
//     FIOASYNC clear itself: that thread's next event is then ObsAsyncSet(0) for the socket.
//     The loss is judged at the thread's next event (or at the end of a settled run);
//   - an ObsReady while the intent is on whose so_state lacks SS_ASYNC lost its SIGIO: judged
//     with the pending loss that explains it, or at once when there is none;
//   - an ObsReady whose so_state has SS_ASYNC, with the intent on before it, must be followed
//     by an ObsSigio for the socket as the same thread's next event when the event names the
//     owner sowakeup read (Arg >= 0): a close that clears the owner concurrently (funsetown)
//     is seen in that read, not guessed from the order of events.

// Titles of the lost-wakeup oracle.
const (
	titleAsyncLost    = "lost wakeup: SS_ASYNC cleared while FIOASYNC set"
	titleReadyNoAsync = "lost wakeup: readiness without SIGIO (SS_ASYNC lost)"
	titleReadyNoSigio = "lost wakeup: readiness with SS_ASYNC but no SIGIO to the owner"
)

// sigio is the SIGIO half of the lost-wakeup oracle.
type sigio struct {
	t       *tracker
	socks   []sigioSock
	threads []sigioThread
	scratch sigioSock
	tmp     sigioThread
}

// sigioSock is what the oracle keeps of one socket.
type sigioSock struct {
	asyncOn bool // FIOASYNC set by a process and not cleared since
}

// sigioThread is what the oracle keeps of one thread: its judgments pending until its next
// event, and its last sowakeup.
type sigioThread struct {
	// expect is a readiness with SS_ASYNC whose SIGIO must be the thread's next event.
	expect    bsd.ObsEvent
	hasExpect bool
	// losses are SS_ASYNC clears by this thread not yet judged.
	losses []asyncLoss
	// wakeSock and wakeAsync are the socket of the thread's last sowakeup start (ObsWakeup)
	// and whether FIOASYNC was on for it then (Free mode's readiness judgment, onReady).
	wakeSock  int
	wakeAsync bool
}

// asyncLoss is an ObsState that dropped SS_ASYNC while FIOASYNC was on, not yet judged: the
// clear that FIOASYNC itself makes is followed by that thread's ObsAsyncSet(0).
type asyncLoss struct {
	ev      bsd.ObsEvent
	readies []bsd.ObsEvent // readiness events of the socket without SS_ASYNC meanwhile
}

func (*sigio) kinds() []bsd.ObsKind {
	return []bsd.ObsKind{kindNext, bsd.ObsSockCreated, bsd.ObsSockFreed, bsd.ObsState, bsd.ObsWakeup,
		bsd.ObsReady, bsd.ObsAsyncSet}
}

// Observe implements eventOracle.
func (w *sigio) Observe(k bsd.ObsKind, st *bsd.Stack, ev *bsd.ObsEvent) {
	switch k {
	case kindNext:
		w.threadEvent(ev)
	case bsd.ObsSockCreated, bsd.ObsSockFreed:
		w.sock(ev.Sock).asyncOn = false
	case bsd.ObsState:
		w.asyncState(ev)
	case bsd.ObsWakeup:
		if ev.Thread >= 0 {
			ti := w.thread(ev.Thread)
			ti.wakeSock, ti.wakeAsync = ev.Sock, w.sock(ev.Sock).asyncOn
		}
	case bsd.ObsReady:
		w.onReady(ev, freeMode(st))
	case bsd.ObsAsyncSet:
		w.sock(ev.Sock).asyncOn = ev.Arg != 0
	}
}

// Quiescent implements bsdOracle: the oracle judges events only.
func (*sigio) Quiescent(*bsd.Snapshot, int) {}

// Finish implements bsdOracle: the judgments still pending at the end of a settled run.
func (w *sigio) Finish(end *oracle.End, _ *bsd.Snapshot) {
	if end.Settled() {
		w.finishAsync()
	}
}

func (w *sigio) reset() {
	for i := range w.threads {
		w.threads[i] = sigioThread{losses: w.threads[i].losses[:0]}
	}
	w.socks, w.threads = w.socks[:0], w.threads[:0]
}

// sock returns the oracle's info of socket id.
func (w *sigio) sock(id int) *sigioSock { return slot(&w.socks, id, &w.scratch) }

// thread returns the oracle's info of thread id.
func (w *sigio) thread(id sched.ID) *sigioThread { return slot(&w.threads, int(id), &w.tmp) }

// threadEvent judges, at a thread's next event ev, what its previous events left pending: an
// expected SIGIO, and SS_ASYNC clears awaiting their ObsAsyncSet(0).
func (w *sigio) threadEvent(ev *bsd.ObsEvent) {
	ti := w.thread(ev.Thread)
	if ti.hasExpect {
		ti.hasExpect = false
		if ev.Kind != bsd.ObsSigio || ev.Sock != ti.expect.Sock {
			w.unmetSigio(ti.expect)
		}
	}
	if len(ti.losses) == 0 {
		return
	}
	for _, l := range ti.losses {
		if ev.Kind == bsd.ObsAsyncSet && ev.Arg == 0 && ev.Sock == l.ev.Sock {
			continue // FIOASYNC's own clear
		}
		w.confirmLoss(l)
	}
	ti.losses = ti.losses[:0]
}

// unmetSigio reports a readiness with SS_ASYNC that delivered no SIGIO.
func (w *sigio) unmetSigio(ready bsd.ObsEvent) {
	w.t.reportEv(oracle.LostWakeup, titleReadyNoSigio,
		fmt.Sprintf("so%d ready (%s) with %s and FIOASYNC set, no SIGIO delivered", ready.Sock, ready.Site,
			bsd.StateString(ready.New)), ready)
}

// confirmLoss reports an SS_ASYNC loss and the readiness events it cost.
func (w *sigio) confirmLoss(l asyncLoss) {
	w.t.reportEv(oracle.LostWakeup, titleAsyncLost,
		fmt.Sprintf("so%d: so_state %s -> %s at %s while FIOASYNC was set", l.ev.Sock,
			bsd.StateString(l.ev.Old), bsd.StateString(l.ev.New), l.ev.Site), l.ev)
	if len(l.readies) > 0 {
		r := l.readies[0]
		w.t.reportEv(oracle.LostWakeup, titleReadyNoAsync,
			fmt.Sprintf("so%d ready (%s) after SS_ASYNC was lost: no SIGIO", r.Sock, r.Site), r)
	}
}

// asyncState notes an ObsState that drops SS_ASYNC while the intent is on.
func (w *sigio) asyncState(ev *bsd.ObsEvent) {
	if !w.sock(ev.Sock).asyncOn || ev.New&bsd.SS_ASYNC != 0 {
		return
	}
	if ev.Thread >= 0 {
		ti := w.thread(ev.Thread)
		ti.losses = append(ti.losses, asyncLoss{ev: *ev})
		w.t.await(ev.Thread)
		return
	}
	w.confirmLoss(asyncLoss{ev: *ev})
}

// onReady checks a readiness event against the socket's SS_ASYNC intent.
//
// In Free mode the events of two threads reach the checker in an order that need not be the
// order of their memory accesses: a sowakeup may read so_state, then an ioctl on another CPU
// set SS_ASYNC and announce it, and only then the readiness be observed. So free is set there
// and readiness without SS_ASYNC is judged only when FIOASYNC was already on when the
// sowakeup started (its ObsWakeup, observed before it read so_state).
func (w *sigio) onReady(ev *bsd.ObsEvent, free bool) {
	if !w.sock(ev.Sock).asyncOn {
		return
	}
	if free {
		if ev.Thread < 0 {
			return
		}
		if ti := w.thread(ev.Thread); ti.wakeSock != ev.Sock || !ti.wakeAsync {
			return
		}
	}
	if ev.New&bsd.SS_ASYNC == 0 {
		for i := range w.threads {
			for j := range w.threads[i].losses {
				if l := &w.threads[i].losses[j]; l.ev.Sock == ev.Sock {
					l.readies = append(l.readies, *ev)
					return
				}
			}
		}
		w.t.reportEv(oracle.LostWakeup, titleReadyNoAsync,
			fmt.Sprintf("so%d ready (%s) with FIOASYNC set but so_state %s: no SIGIO", ev.Sock, ev.Site,
				bsd.StateString(ev.New)), *ev)
		return
	}
	if ev.Arg < 0 {
		return // no owner read: sowakeup rightly sends nothing
	}
	if ev.Thread >= 0 {
		ti := w.thread(ev.Thread)
		ti.expect, ti.hasExpect = *ev, true
		w.t.await(ev.Thread)
	}
}

// finishAsync judges what is still pending at the end of a settled run.
func (w *sigio) finishAsync() {
	for i := range w.threads {
		ti := &w.threads[i]
		if ti.hasExpect {
			ti.hasExpect = false
			w.unmetSigio(ti.expect)
		}
		for _, l := range ti.losses {
			w.confirmLoss(l)
		}
		ti.losses = ti.losses[:0]
	}
}
