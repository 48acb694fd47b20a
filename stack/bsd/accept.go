package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// solisten is DragonFly solisten: pru_listen, then the backlog (clamped to somaxconn as BSD
// does) and SO_ACCEPTCONN under the listener's queue lock.
func (st *Stack) solisten(t *sched.Thread, so *Socket, backlog int) Errno {
	if so.proto != TCP {
		return EOPNOTSUPP
	}
	if so.getstate(t, "solisten")&(SS_ISCONNECTED|SS_ISCONNECTING|SS_ISDISCONNECTING) != 0 {
		return EINVAL
	}
	if err := st.pcbmsgTo(t, so, st.owner(so), "pru_listen", func(t *sched.Thread) Errno { return st.tcpListen(t, so) }); err != OK {
		return err
	}
	if backlog < 0 || backlog > somaxconn {
		backlog = somaxconn
	}
	_ = so.qlock.Lock(t)
	so.qlimit = backlog
	so.options.AtomicOr(t, "solisten", SO_ACCEPTCONN)
	_ = so.qlock.Unlock(t)
	return OK
}

// sonewconn is DragonFly sonewconn, on the protocol thread n that received a SYN for the
// listener head: a new socket with SS_NOFDREF, owned by n (so_port set before the attach), put
// on so_incomp (or so_comp when already connected) under the listener's queue lock, with BSD's
// overflow rules: refuse when qlen > 3*qlimit/2; drop the oldest embryonic connection when
// incqlen > qlimit.
func (st *Stack) sonewconn(t *sched.Thread, head *Socket, n *netisr, connected bool) *Socket {
	_ = head.qlock.Lock(t)
	qlen := int64(head.qlen.AtomicLoad(t, "sonewconn:so_qlen"))
	full := qlen > int64(3*head.qlimit/2)
	_ = head.qlock.Unlock(t)
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
	st.tcpAttach(t, so, n)
	assert(so.refs.AtomicLoad(t, "sonewconn") == 2, "sonewconn: so_refs != 2")
	st.sofree(t, so) // the base reference: the pcb's stays
	var victim *Socket
	_ = head.qlock.Lock(t)
	if head.options.AtomicLoad(t, "sonewconn:acceptconn")&SO_ACCEPTCONN == 0 && !st.faults.Has(FaultListenCloseDrain) {
		// The listener is closing (19be7d321e): do not queue on a dead listener.
		_ = head.qlock.Unlock(t)
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
	_ = head.qlock.Unlock(t)
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

// soacceptPredicate is kern_accept's predicate (soaccept_predicate), run on a protocol
// thread or by sowakeup: a pending error, else the first completed connection, taken off
// so_comp with its reference under the listener's lock (DragonFly 2014's fix of c19fdb0e33),
// else ECONNABORTED once the listener can receive no more, else EWOULDBLOCK if non-blocking.
func (st *Stack) soacceptPredicate(nonblock bool) func(*sched.Thread, *notifyMsg) bool {
	return func(t *sched.Thread, nm *notifyMsg) bool {
		head := nm.so
		head.touch(t, "soaccept_predicate")
		if e := head.error.AtomicLoad(t, "soaccept_predicate:so_error"); e != 0 {
			head.error.AtomicStore(t, "soaccept_predicate:so_error", 0)
			nm.result = Errno(e)
			return true
		}
		_ = head.qlock.Lock(t)
		if len(head.comp) > 0 {
			so := head.comp[0]
			head.qremove(t, so, QComp)
			so.soclrstate(t, "soaccept_predicate", SS_COMP)
			if !st.faults.Has(FaultAcceptRefLate) {
				so.soreference(t, "soaccept_predicate")
			}
			so.head.AtomicStore(t, "soaccept_predicate", 0)
			_ = head.qlock.Unlock(t)
			nm.val, nm.result = so, OK
			return true
		}
		_ = head.qlock.Unlock(t)
		if head.getstate(t, "soaccept_predicate")&SS_CANTRCVMORE != 0 {
			nm.result = ECONNABORTED
			return true
		}
		if nonblock {
			nm.result = EWOULDBLOCK
			return true
		}
		return false
	}
}
