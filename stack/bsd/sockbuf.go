package bsd

import (
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// record is one datagram queued in a UDP receive buffer, with its sender.
type record struct {
	data []byte
	from Addr
}

// Sockbuf is struct signalsockbuf: a socket's send or receive buffer.
type Sockbuf struct {
	so    *Socket
	name  string
	sites *sbSites    // the ssb_cc update sites, without a concatenation per update
	cc    sched.Word  // ssb_cc: bytes queued
	flags sched.Word  // ssb_flags (SSB_WAIT, SSB_WAKEUP, SSB_MEVENT, ...)
	token sched.Mutex // ssb_token: guards the data and the notify list
	lock  sched.Mutex // ssb_lock: serializes sosend or soreceive callers
	hiwat int
	lowat int

	data    []byte   // stream data (TCP), guarded by token
	records []record // datagrams (UDP), guarded by token

	wq     sched.WaitQueue // the sleep channel (&ssb_cc)
	notify []*notifyMsg    // queued predicate messages (SSB_MEVENT)
	// everNotify is set, before its predicate first runs, when a predicate message targets
	// this sockbuf. sowakeup skips the token when it is clear: a message being queued
	// meanwhile runs its predicate after the caller's state change (both are sequentially
	// consistent), so it cannot miss it. Most sockbufs never see one.
	everNotify atomic.Bool
}

// mclbytes is MCLBYTES, the default low water mark of a send buffer.
const mclbytes = 2048

// init names the buffer and sets its low water mark; soreserve sets its size when the protocol
// attaches.
func (sb *Sockbuf) init(so *Socket, name string, lowat int) {
	e := so.st.e
	sb.so, sb.name, sb.lowat = so, name, lowat
	ccName, flagsName, nm := "so_rcv.ssb_cc", "so_rcv.ssb_flags", &so.names.rcv
	sb.sites = &rcvSites
	if name == "so_snd" {
		ccName, flagsName, nm = "so_snd.ssb_cc", "so_snd.ssb_flags", &so.names.snd
		sb.sites = &sndSites
	}
	e.InitMutex(&sb.token, nm.token)
	e.InitMutex(&sb.lock, nm.lock)
	e.InitWord(&sb.cc, ccName, &sb.token)
	e.InitWord(&sb.flags, flagsName, nil)
	e.InitWaitQueue(&sb.wq, nm.wq)
}

// soreserve sets the buffers' high water marks (DragonFly soreserve, from the protocol's attach;
// the low water marks were set by soalloc), before the socket is in a table or on a queue.
func (so *Socket) soreserve(sndcc, rcvcc int) {
	so.snd.hiwat, so.rcv.hiwat = sndcc, rcvcc
}

// space returns the free space (ssb_space), from cc read under the token or racy without.
func (sb *Sockbuf) space(t *sched.Thread, site string) int {
	return sb.hiwat - int(int64(sb.cc.AtomicLoad(t, site)))
}

// appendStream appends stream data (ssb_appendstream); the token is held.
func (sb *Sockbuf) appendStream(t *sched.Thread, b []byte) {
	sb.data = append(sb.data, b...)
	sb.cc.AtomicAdd(t, sb.sites.append, int64(len(b)))
}

// appendRecord appends a datagram (ssb_appendaddr); the token is held.
func (sb *Sockbuf) appendRecord(t *sched.Thread, b []byte, from Addr) {
	sb.records = append(sb.records, record{data: append([]byte(nil), b...), from: from})
	sb.cc.AtomicAdd(t, sb.sites.appendaddr, int64(len(b)))
}

// drop removes n bytes from the front of the stream (sbdrop); the token is held.
func (sb *Sockbuf) drop(t *sched.Thread, n int) {
	if n > len(sb.data) {
		n = len(sb.data)
	}
	if n == 0 {
		return
	}
	// Move the rest to the front rather than reslicing: the buffer keeps its whole capacity
	// for the appends to come (and, pooled, for the next socket).
	sb.data = sb.data[:copy(sb.data, sb.data[n:])]
	sb.cc.AtomicAdd(t, sb.sites.drop, -int64(n))
}

// dropRecord removes the first datagram; the token is held.
func (sb *Sockbuf) dropRecord(t *sched.Thread) {
	if len(sb.records) == 0 {
		return
	}
	n := len(sb.records[0].data)
	sb.records = sb.records[1:]
	sb.cc.AtomicAdd(t, sb.sites.droprecord, -int64(n))
}

// release empties the buffer (ssb_release, from sofree).
func (sb *Sockbuf) release(t *sched.Thread) {
	sb.token.Lock(t)
	sb.data, sb.records = sb.data[:0], nil
	sb.cc.AtomicStore(t, sb.sites.release, 0)
	sb.token.Unlock(t)
}

// tokenUnlock releases the token unless the caller runs without it (a fault).
func (sb *Sockbuf) tokenUnlock(t *sched.Thread, unlocked bool) {
	if !unlocked {
		sb.token.Unlock(t)
	}
}

// removeNotify takes a predicate message off the sockbuf's list (token held).
func (sb *Sockbuf) removeNotify(nm *notifyMsg) {
	for i, x := range sb.notify {
		if x == nm {
			sb.notify = append(sb.notify[:i:i], sb.notify[i+1:]...)
			return
		}
	}
}

// ssbWait sleeps until a sowakeup of sb (DragonFly ssb_wait, 2010): the SSB_WAKEUP bit is the
// interlock, so that a wakeup between the caller's test and the sleep is not lost. pred is the
// condition the caller waits for, reported at quiescence.
//
// The caller holds sb's token, and ssbWait releases it when it sleeps or returns, as an LWKT
// token is released when its thread blocks. WAIT/WAKEUP "only works for one client at a time"
// (DragonFly's comment): the token keeps a second waiter from reading ssb_flags between the
// first's load and compare-and-swap, where a WAKEUP consumed by one makes the other's stale
// swap from the same value succeed and sleep through the only wakeup (FaultSSBWaitABA).
func (st *Stack) ssbWait(t *sched.Thread, sb *Sockbuf, pred func() bool) Errno {
	held := true
	release := func() {
		if held {
			held = false
			sb.token.Unlock(t)
		}
	}
	if st.faults.Has(FaultSSBWaitNoInterlock) {
		release()
		// Before 14343ad3b8: SSB_WAIT is set after the caller's test, and nothing tells the
		// sleeper that a sowakeup came in between.
		sb.flags.AtomicOr(t, "ssb_wait:set-wait", SSB_WAIT)
		st.observe(t, ObsEvent{Kind: ObsSleep, Sock: sb.so.id, Head: -1, Proc: -1, Site: sb.name})
		if sb.wq.Sleep(t, pred, sched.Interruptible) != nil {
			return EINTR
		}
		return OK
	}
	if st.faults.Has(FaultSSBWaitABA) {
		release()
	}
	for {
		flags := sb.flags.AtomicLoad(t, "ssb_wait")
		if flags&SSB_WAKEUP != 0 {
			if sb.flags.CAS(t, "ssb_wait:wakeup", flags, flags&^SSB_WAKEUP) {
				release()
				return OK
			}
			continue
		}
		sb.wq.Interlock(t)
		if !sb.flags.CAS(t, "ssb_wait:set-wait", flags, flags|SSB_WAIT) {
			continue
		}
		release() // tsleep releases the thread's tokens; the interlock keeps a wakeup from here
		st.observe(t, ObsEvent{Kind: ObsSleep, Sock: sb.so.id, Head: -1, Proc: -1, Site: sb.name})
		switch sb.wq.Sleep(t, pred, sched.Interruptible|sched.Interlocked) {
		case nil:
			return OK
		case sched.ErrInterrupted:
			return EINTR
		default:
			return EINTR
		}
	}
}

// sowakeup wakes what waits on sb (DragonFly sowakeup, 2010): sleepers through the WAKEUP/WAIT
// interlock, the owner with SIGIO when SS_ASYNC is set, and the queued predicate messages.
func (st *Stack) sowakeup(t *sched.Thread, so *Socket, sb *Sockbuf, ready bool) {
	so.touch(t, "sowakeup")
	woke := 0
	for ready {
		flags := sb.flags.AtomicLoad(t, "sowakeup")
		nf := (flags | SSB_WAKEUP) &^ SSB_WAIT
		if sb.flags.CAS(t, "sowakeup", flags, nf) {
			if flags&SSB_WAIT != 0 {
				woke = sb.wq.WakeAll(t)
			}
			break
		}
	}
	st.observe(t, ObsEvent{Kind: ObsWakeup, Sock: so.id, Head: -1, Arg: woke, Proc: -1, Site: sb.name})
	if so.sel.Sleepers() > 0 {
		so.sel.WakeAll(t) // selwakeup
	}
	state := so.getstate(t, "sowakeup:async")
	var owner uint64
	if state&SS_ASYNC != 0 {
		owner = so.sigio.AtomicLoad(t, "sowakeup:so_sigio")
	}
	if ready {
		// The event carries what this sowakeup read: so_state, and the owner it will signal.
		st.observe(t, ObsEvent{Kind: ObsReady, Sock: so.id, Head: -1, New: state, Arg: int(owner) - 1, Proc: -1, Site: sb.name})
	}
	if owner != 0 {
		st.pgsigio(t, so, int(owner)-1)
	}
	// The predicate messages are checked under the token: a check of SSB_MEVENT outside it
	// could miss a message being queued right now (ccae972d65, da633f87cf).
	if !sb.everNotify.Load() {
		return
	}
	sb.token.Lock(t)
	if sb.flags.AtomicLoad(t, "sowakeup:mevent")&SSB_MEVENT != 0 {
		kept := sb.notify[:0]
		for _, nm := range sb.notify {
			if !nm.abort && nm.pred(t, nm) {
				st.completeNotify(t, nm)
			} else if !nm.abort {
				kept = append(kept, nm)
			}
		}
		for i := len(kept); i < len(sb.notify); i++ {
			sb.notify[i] = nil
		}
		sb.notify = kept
		if len(kept) == 0 {
			sb.flags.AtomicAndNot(t, "sowakeup:mevent", SSB_MEVENT)
		}
	}
	sb.token.Unlock(t)
}

// sorwakeup is sowakeup of so_rcv; ready when data reaches the low water mark, or no more can
// come, or an error or a completed connection is pending.
func (st *Stack) sorwakeup(t *sched.Thread, so *Socket) {
	st.sowakeup(t, so, &so.rcv, st.rcvReady(so))
}

// sowwakeup is sowakeup of so_snd.
func (st *Stack) sowwakeup(t *sched.Thread, so *Socket) {
	st.sowakeup(t, so, &so.snd, st.sndReady(so))
}

// rcvReady is the receive wake condition (soreadable), read without scheduling points.
func (st *Stack) rcvReady(so *Socket) bool {
	s := so.state.Peek()
	return int64(so.rcv.cc.Peek()) >= int64(so.rcv.lowat) || s&SS_CANTRCVMORE != 0 ||
		so.error.Peek() != 0 || so.qlen.Peek() > 0 || so.oobmark.Peek() > 0 && s&SS_RCVATMARK != 0
}

// sndReady is the send wake condition (sowriteable), read without scheduling points: room
// above the low water mark, on a connected socket unless the protocol needs no connection.
func (st *Stack) sndReady(so *Socket) bool {
	s := so.state.Peek()
	space := so.snd.hiwat - int(int64(so.snd.cc.Peek()))
	return space >= so.snd.lowat && (s&SS_ISCONNECTED != 0 || so.proto.pr_flags&PR_CONNREQUIRED == 0) || s&SS_CANTSENDMORE != 0 || so.error.Peek() != 0
}
