package sanitizer

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
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

// threadEvent judges what the thread's previous events left pending: an expected SIGIO, and
// SS_ASYNC clears awaiting their ObsAsyncSet(0).
func (c *Checker) threadEvent(ti *threadInfo, ev bsd.ObsEvent) {
	if ti.hasExpect {
		ti.hasExpect = false
		if ev.Kind != bsd.ObsSigio || ev.Sock != ti.expect.Sock {
			c.unmetSigio(ti.expect)
		}
	}
	if len(ti.losses) == 0 {
		return
	}
	for _, l := range ti.losses {
		if ev.Kind == bsd.ObsAsyncSet && ev.Arg == 0 && ev.Sock == l.ev.Sock {
			continue // FIOASYNC's own clear
		}
		c.confirmLoss(l)
	}
	ti.losses = ti.losses[:0]
}

// unmetSigio reports a readiness with SS_ASYNC that delivered no SIGIO.
func (c *Checker) unmetSigio(ready bsd.ObsEvent) {
	c.reportEv(oracle.LostWakeup, titleReadyNoSigio,
		fmt.Sprintf("so%d ready (%s) with %s and FIOASYNC set, no SIGIO delivered", ready.Sock, ready.Site,
			bsd.StateString(ready.New)), ready)
}

// confirmLoss reports an SS_ASYNC loss and the readiness events it cost.
func (c *Checker) confirmLoss(l asyncLoss) {
	c.reportEv(oracle.LostWakeup, titleAsyncLost,
		fmt.Sprintf("so%d: so_state %s -> %s at %s while FIOASYNC was set", l.ev.Sock,
			bsd.StateString(l.ev.Old), bsd.StateString(l.ev.New), l.ev.Site), l.ev)
	if len(l.readies) > 0 {
		r := l.readies[0]
		c.reportEv(oracle.LostWakeup, titleReadyNoAsync,
			fmt.Sprintf("so%d ready (%s) after SS_ASYNC was lost: no SIGIO", r.Sock, r.Site), r)
	}
}

// asyncState notes an ObsState that drops SS_ASYNC while the intent is on.
func (c *Checker) asyncState(ev bsd.ObsEvent, so *sockInfo) {
	if !so.asyncOn || ev.New&bsd.SS_ASYNC != 0 {
		return
	}
	if ti := c.thread(ev.Thread); ti != nil {
		ti.losses = append(ti.losses, asyncLoss{ev: ev})
		return
	}
	c.confirmLoss(asyncLoss{ev: ev})
}

// onReady checks a readiness event against the socket's SS_ASYNC intent.
//
// In Free mode the events of two threads reach the checker in an order that need not be the
// order of their memory accesses: a sowakeup may read so_state, then an ioctl on another CPU
// set SS_ASYNC and announce it, and only then the readiness be observed. So free is set there
// and readiness without SS_ASYNC is judged only when FIOASYNC was already on when the
// sowakeup started (its ObsWakeup, observed before it read so_state).
func (c *Checker) onReady(ev bsd.ObsEvent, so *sockInfo, free bool) {
	if !so.asyncOn {
		return
	}
	if ti := c.thread(ev.Thread); free && (ti == nil || ti.wakeSock != ev.Sock || !ti.wakeAsync) {
		return
	}
	if ev.New&bsd.SS_ASYNC == 0 {
		for i := range c.threads {
			for j := range c.threads[i].losses {
				if l := &c.threads[i].losses[j]; l.ev.Sock == ev.Sock {
					l.readies = append(l.readies, ev)
					return
				}
			}
		}
		c.reportEv(oracle.LostWakeup, titleReadyNoAsync,
			fmt.Sprintf("so%d ready (%s) with FIOASYNC set but so_state %s: no SIGIO", ev.Sock, ev.Site,
				bsd.StateString(ev.New)), ev)
		return
	}
	if ev.Arg < 0 {
		return // no owner read: sowakeup rightly sends nothing
	}
	if ti := c.thread(ev.Thread); ti != nil {
		ti.expect, ti.hasExpect = ev, true
	}
}

// finishAsync judges what is still pending at the end of a settled run.
func (c *Checker) finishAsync() {
	for i := range c.threads {
		ti := &c.threads[i]
		if ti.hasExpect {
			ti.hasExpect = false
			c.unmetSigio(ti.expect)
		}
		for _, l := range ti.losses {
			c.confirmLoss(l)
		}
		ti.losses = nil
	}
}
