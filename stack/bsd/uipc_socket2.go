package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// sonewconn is DragonFly sonewconn, on the protocol thread n that received a SYN for the
// listener head: a new socket with SS_NOFDREF, owned by n (so_port set before the attach), put
// on so_incomp (or so_comp when already connected) under the listener's queue lock, with BSD's
// overflow rules: refuse when qlen > 3*qlimit/2; drop the oldest embryonic connection when
// incqlen > qlimit.
func (st *Stack) sonewconn(t *sched.Thread, head *Socket, n *netisr, connected bool) *Socket {
	head.qlock.Lock(t)
	qlen := int64(head.qlen.AtomicLoad(t, "sonewconn:so_qlen"))
	full := qlen > int64(3*head.qlimit/2)
	head.qlock.Unlock(t)
	if full {
		return nil
	}
	so := st.soalloc(t, head.proto)
	if !st.faults.Has(FaultSonewconnPortLate) {
		so.port.Init(uint64(n.idx))
	} // else so_port stays 0 until the handshake completes (0ce0603ec4)
	so.head.Init(uint64(head.id + 1))
	so.state.Init(head.getstate(t, "sonewconn:head") | SS_NOFDREF)
	so.options.Init(head.options.AtomicLoad(t, "sonewconn:so_options") &^ SO_ACCEPTCONN)
	so.linger.Store(head.linger.Load())
	owner := head.sigio.AtomicLoad(t, "sonewconn:so_sigio")
	so.sigio.Init(owner)
	st.observe(t, ObsEvent{Kind: ObsSetOwn, Sock: so.id, Head: head.id, Arg: int(owner) - 1, Proc: -1, Site: "sonewconn"})
	so.proto.pr_usrreqs.pru_attach(st, t, so, n)
	assert(so.refs.AtomicLoad(t, "sonewconn") == 2, "sonewconn: so_refs != 2")
	st.sofree(t, so) // the base reference: the pcb's stays
	var victim *Socket
	head.qlock.Lock(t)
	if head.options.AtomicLoad(t, "sonewconn:acceptconn")&SO_ACCEPTCONN == 0 && !st.faults.Has(FaultListenCloseDrain) {
		// The listener is closing (19be7d321e): do not queue on a dead listener.
		head.qlock.Unlock(t)
		so.head.AtomicStore(t, "sonewconn:undo", 0)
		st.tcpClose(t, so.tp)
		return nil
	}
	if connected {
		head.qinsert(t, so, QComp)
		so.sosetstate(t, "sonewconn", SS_COMP)
	} else {
		if int64(head.incqlen.AtomicLoad(t, "sonewconn:so_incqlen")) > int64(head.qlimit) && len(head.incomp) > 0 {
			victim = head.incomp[0]
			head.qremove(t, victim, QIncomp)
			victim.soclrstate(t, "sonewconn:drop", SS_INCOMP)
			if !st.faults.Has(FaultAbortTwice) {
				victim.soreference(t, "sonewconn:drop")
			}
			victim.head.AtomicStore(t, "sonewconn:drop", 0)
		}
		head.qinsert(t, so, QIncomp)
		so.sosetstate(t, "sonewconn", SS_INCOMP)
	}
	head.qlock.Unlock(t)
	if victim != nil {
		st.soaborta(t, victim, head)
	}
	if connected {
		st.observe(t, ObsEvent{Kind: ObsCompleted, Sock: so.id, Head: head.id, Proc: -1, Site: "sonewconn"})
		st.sorwakeup(t, head)
		head.timeo.WakeAll(t)
	}
	return so
}

// soisconnecting is DragonFly soisconnecting.
func (so *Socket) soisconnecting(t *sched.Thread) {
	so.soclrstate(t, "soisconnecting", SS_ISCONNECTED|SS_ISDISCONNECTING)
	so.sosetstate(t, "soisconnecting", SS_ISCONNECTING)
}

// soisconnected is DragonFly soisconnected (2014 form, correct): with so_head revalidated under
// the listener's queue lock, an embryonic connection moves from so_incomp to so_comp and the
// listener is woken; otherwise the socket's own sleepers are.
func (st *Stack) soisconnected(t *sched.Thread, so *Socket) {
	so.soclrstate(t, "soisconnected", SS_ISCONNECTING|SS_ISDISCONNECTING|SS_ISCONFIRMING)
	so.sosetstate(t, "soisconnected", SS_ISCONNECTED)
	if head := st.sock(t, so.head.AtomicLoad(t, "soisconnected:so_head")); head != nil && st.faults.Has(FaultAcceptQueueUnlocked) {
		// The 2008 mail's case: soisconnected in process context moves the socket between
		// the queues with no queue lock and no second look at so_head.
		if so.getstate(t, "soisconnected")&SS_INCOMP != 0 {
			head.soqcomplete(t, so)
			st.observe(t, ObsEvent{Kind: ObsCompleted, Sock: so.id, Head: head.id, Proc: -1, Site: "soisconnected"})
			st.sorwakeup(t, head)
			head.timeo.WakeOne(t)
			return
		}
	} else if head != nil {
		head.qlock.Lock(t)
		if st.sock(t, so.head.AtomicLoad(t, "soisconnected:revalidate")) == head && so.getstate(t, "soisconnected")&SS_INCOMP != 0 {
			head.soqcomplete(t, so)
			// The listener cannot go while so is on its queue and the lock is held; the
			// wakeups come after the lock is dropped, so hold a reference for them (a
			// close of the listener on another CPU could free it meanwhile).
			head.soreference(t, "soisconnected:head")
			head.qlock.Unlock(t)
			st.observe(t, ObsEvent{Kind: ObsCompleted, Sock: so.id, Head: head.id, Proc: -1, Site: "soisconnected"})
			st.sorwakeup(t, head)
			head.timeo.WakeOne(t)
			st.sofree(t, head)
			return
		}
		head.qlock.Unlock(t)
	}
	so.timeo.WakeAll(t)
	st.sorwakeup(t, so)
	st.sowwakeup(t, so)
}

// soqcomplete moves so from head's so_incomp to its so_comp with its flags (soisconnected's
// queue change; head's qlock is held unless a fault left it out).
func (head *Socket) soqcomplete(t *sched.Thread, so *Socket) {
	head.qremove(t, so, QIncomp)
	head.qinsert(t, so, QComp)
	so.sosetstate(t, "soisconnected", SS_COMP)
	so.soclrstate(t, "soisconnected", SS_INCOMP)
}

// soisdisconnecting is DragonFly soisdisconnecting.
func (st *Stack) soisdisconnecting(t *sched.Thread, so *Socket) {
	so.soclrstate(t, "soisdisconnecting", SS_ISCONNECTING)
	so.sosetstate(t, "soisdisconnecting", SS_ISDISCONNECTING|SS_CANTRCVMORE|SS_CANTSENDMORE)
	so.timeo.WakeAll(t)
	st.sowwakeup(t, so)
	st.sorwakeup(t, so)
}

// soisdisconnected is DragonFly soisdisconnected.
func (st *Stack) soisdisconnected(t *sched.Thread, so *Socket) {
	so.soclrstate(t, "soisdisconnected", SS_ISCONNECTING|SS_ISCONNECTED|SS_ISDISCONNECTING)
	so.sosetstate(t, "soisdisconnected", SS_CANTRCVMORE|SS_CANTSENDMORE|SS_ISDISCONNECTED)
	so.timeo.WakeAll(t)
	so.snd.token.Lock(t)
	so.snd.drop(t, len(so.snd.data))
	so.snd.token.Unlock(t)
	st.sowwakeup(t, so)
	st.sorwakeup(t, so)
}

// socantsendmore is DragonFly socantsendmore.
func (st *Stack) socantsendmore(t *sched.Thread, so *Socket) {
	so.sosetstate(t, "socantsendmore", SS_CANTSENDMORE)
	st.sowwakeup(t, so)
}

// socantrcvmore is DragonFly socantrcvmore.
func (st *Stack) socantrcvmore(t *sched.Thread, so *Socket) {
	so.sosetstate(t, "socantrcvmore", SS_CANTRCVMORE)
	st.sorwakeup(t, so)
}
