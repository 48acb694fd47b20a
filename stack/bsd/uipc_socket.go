package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// soalloc allocates a socket of protocol pr with SS_NOFDREF and one reference (DragonFly
// soalloc). Its buffers get their sizes when the protocol attaches (soreserve).
func (st *Stack) soalloc(t *sched.Thread, pr *protosw) *Socket {
	e := st.e
	st.socklist.Lock(t)
	id := len(st.socks)
	st.socks = append(st.socks, nil)
	st.socklist.Unlock(t)
	nm := namesFor(id)
	so := newSocket() // zero, or reset by Release: only the identity is left to set
	so.st, so.id, so.proto, so.name, so.names = st, id, pr, nm.so, nm
	e.InitMutex(&so.qlock, nm.qlock)
	e.InitMutex(&so.asyncLock, nm.fioasync)
	e.InitWord(&so.state, "so_state", nil)
	e.InitWord(&so.refs, "so_refs", nil)
	e.InitWord(&so.options, "so_options", nil)
	e.InitWord(&so.error, "so_error", nil)
	e.InitWord(&so.oobmark, "so_oobmark", nil)
	e.InitWord(&so.sigio, "so_sigio", nil)
	e.InitWord(&so.port, "so_port", nil)
	e.InitWord(&so.pcb, "so_pcb", nil)
	e.InitWord(&so.head, "so_head", &so.qlock)
	e.InitWord(&so.qlist, "so_comp/so_incomp", &so.qlock)
	e.InitWord(&so.qlen, "so_qlen", &so.qlock)
	e.InitWord(&so.incqlen, "so_incqlen", &so.qlock)
	e.InitWaitQueue(&so.timeo, nm.timeo)
	e.InitWaitQueue(&so.sel, nm.sel)
	so.rcv.init(so, "so_rcv", 1)
	so.snd.init(so, "so_snd", mclbytes)
	so.state.Init(SS_NOFDREF)
	so.refs.Init(1)
	st.socklist.Lock(t)
	st.socks[id] = so
	st.socklist.Unlock(t)
	st.nlive.AtomicAdd(t, "soalloc", 1)
	st.observe(t, ObsEvent{Kind: ObsSockCreated, Sock: id, Head: -1, Arg: int(pr.pr_type), New: SS_NOFDREF, Proc: -1, Site: "soalloc"})
	return so
}

// socreate is DragonFly socreate: the protocol's protosw (EPROTOTYPE for none), soalloc,
// pru_attach on protocol thread 0, then the base reference belongs to the descriptor
// (SS_NOFDREF cleared).
func (st *Stack) socreate(t *sched.Thread, proto Proto) (*Socket, Errno) {
	pr := pffindproto(proto)
	if pr == nil {
		return nil, EPROTOTYPE
	}
	so := st.soalloc(t, pr)
	n := st.netisrs[0]
	so.port.Init(0)
	st.domsg(t, n, "pru_attach", func(t *sched.Thread) Errno { return pr.pr_usrreqs.pru_attach(st, t, so, n) })
	so.soclrstate(t, "socreate", SS_NOFDREF)
	return so, OK
}

// sobind is DragonFly sobind: pru_bind on the socket's protocol thread, once it has a pcb
// (the so_pcb check of tcp_usr_bind's COMMON_START and of udp_bind, made for both here).
func (st *Stack) sobind(t *sched.Thread, so *Socket, port uint16) Errno {
	return st.pcbmsgTo(t, so, st.owner(so), "pru_bind", func(t *sched.Thread) Errno {
		if so.pcb.AtomicLoad(t, "pru_bind") == 0 {
			return EINVAL
		}
		return so.proto.pr_usrreqs.pru_bind(st, t, so, port)
	})
}

// solisten is DragonFly solisten: pru_listen, then the backlog (clamped to somaxconn as BSD
// does) and SO_ACCEPTCONN under the listener's queue lock.
//
// A protocol that cannot listen (pr_generic_notsupp) is answered before the state checks.
func (st *Stack) solisten(t *sched.Thread, so *Socket, backlog int) Errno {
	listen := so.proto.pr_usrreqs.pru_listen
	if listen == nil {
		return EOPNOTSUPP
	}
	if so.getstate(t, "solisten")&(SS_ISCONNECTED|SS_ISCONNECTING|SS_ISDISCONNECTING) != 0 {
		return EINVAL
	}
	if err := st.pcbmsgTo(t, so, st.owner(so), "pru_listen", func(t *sched.Thread) Errno { return listen(st, t, so) }); err != OK {
		return err
	}
	if backlog < 0 || backlog > somaxconn {
		backlog = somaxconn
	}
	so.qlock.Lock(t)
	so.qlimit = backlog
	so.options.AtomicOr(t, "solisten", SO_ACCEPTCONN)
	so.qlock.Unlock(t)
	return OK
}

// sofree drops a reference; on the last one, with no pcb and SS_NOFDREF, it frees the socket
// (DragonFly sofree, as it ended). A socket on so_comp is not freed: accept(2) will take it.
//
// The listener's queue lock is taken, with so_head revalidated under it, before the reference
// goes: an accept or a drain takes its reference and clears so_head under that lock, so the
// last free and the re-reference are ordered. Dropped first and so_head looked at after (the
// 2010 order), an accept could re-reference the socket in between, then its close free it,
// and this sofree free it again.
func (st *Stack) sofree(t *sched.Thread, so *Socket) {
	so.touch(t, "sofree")
	var head *Socket
	for {
		head = st.sock(t, so.head.AtomicLoad(t, "sofree:so_head"))
		if head == nil {
			break
		}
		head.qlock.Lock(t)
		if st.sock(t, so.head.AtomicLoad(t, "sofree:revalidate")) == head {
			break
		}
		head.qlock.Unlock(t)
	}
	refs := so.refs.AtomicAdd(t, "sofree", -1)
	st.observe(t, ObsEvent{Kind: ObsRefs, Sock: so.id, Head: -1, Arg: int(int64(refs)), Proc: -1, Site: "sofree"})
	assert(int64(refs) >= 0, "sofree: so_refs <= 0")
	if refs > 0 {
		if head != nil {
			head.qlock.Unlock(t)
		}
		return
	}
	assert(so.pcb.AtomicLoad(t, "sofree:so_pcb") == 0, "sofree: so_pcb != NULL")
	assert(so.state.AtomicLoad(t, "sofree:so_state")&SS_NOFDREF != 0, "sofree: !SS_NOFDREF")
	if head != nil {
		state := so.getstate(t, "sofree")
		switch {
		case state&SS_INCOMP != 0:
			head.qremove(t, so, QIncomp)
		case state&SS_COMP != 0:
			// "must not decommission a socket on the accept(2) queue"
			head.qlock.Unlock(t)
			return
		default:
			head.qlock.Unlock(t)
			panic("sofree: not queued")
		}
		so.soclrstate(t, "sofree", SS_INCOMP)
		so.head.AtomicStore(t, "sofree", 0)
		head.qlock.Unlock(t)
	}
	so.rcv.release(t)
	so.snd.release(t)
	so.freed.Store(true)
	st.nlive.AtomicAdd(t, "sofree", -1)
	st.observe(t, ObsEvent{Kind: ObsSockFreed, Sock: so.id, Head: -1, Proc: -1, Site: "sofree"})
	st.freedQ.WakeAll(t)
}

// soclose is DragonFly soclose (2010): disconnect, linger, pru_detach; a listener's queues are
// drained under its lock with SO_ACCEPTCONN cleared first (so that no connection is queued
// meanwhile); then SS_NOFDREF and the descriptor's reference goes.
func (st *Stack) soclose(t *sched.Thread, so *Socket) {
	so.sigio.AtomicStore(t, "funsetown", 0)
	st.observe(t, ObsEvent{Kind: ObsSetOwn, Sock: so.id, Head: -1, Arg: -1, Proc: -1, Site: "funsetown"})
	if st.faults.Has(FaultListenCloseDrain) {
		// Before 19be7d321e: the queues are drained while the listener is still in the
		// tables, so a connection arriving between the drain and the detach stays queued.
		st.sodrain(t, so)
	}
	if so.pcb.AtomicLoad(t, "soclose:so_pcb") != 0 {
		state := so.getstate(t, "soclose")
		// BSD goes past the linger ("goto drop") when sodisconnect fails; here only a protocol
		// without pru_disconnect fails it (UDP), before any message.
		if state&SS_ISCONNECTED != 0 && state&SS_ISDISCONNECTING == 0 && st.sodisconnect(t, so) != EOPNOTSUPP {
			if so.options.AtomicLoad(t, "soclose:linger")&SO_LINGER != 0 && so.linger.Load() > 0 {
				for so.getstate(t, "soclose:linger")&SS_ISCONNECTED != 0 {
					if err := so.timeo.SleepTimeout(t, func() bool { return so.state.Peek()&SS_ISCONNECTED == 0 },
						sched.Interruptible, sched.Duration(so.linger.Load())*1000); err != nil {
						break
					}
				}
			}
		}
		st.pcbmsg(t, so, "pru_detach", func(t *sched.Thread) Errno { return so.proto.pr_usrreqs.pru_detach(st, t, so) })
	}
	if !st.faults.Has(FaultListenCloseDrain) {
		st.sodrain(t, so)
	}
	if so.getstate(t, "soclose:nofdref")&SS_NOFDREF != 0 {
		panic("soclose: NOFDREF")
	}
	so.sosetstate(t, "soclose", SS_NOFDREF)
	st.sofree(t, so)
}

// sodrain is soclose's drain of a listener's queues: under the queue lock, SO_ACCEPTCONN is
// cleared first (so that sonewconn queues nothing more) and each queued connection is taken
// off with a reference for its abort.
func (st *Stack) sodrain(t *sched.Thread, so *Socket) {
	so.qlock.Lock(t)
	so.options.AtomicAndNot(t, "soclose:acceptconn", SO_ACCEPTCONN)
	var aborted []*Socket
	for len(so.incomp) > 0 || len(so.comp) > 0 {
		var sp *Socket
		if len(so.incomp) > 0 {
			sp = so.incomp[0]
			so.qremove(t, sp, QIncomp)
			sp.soclrstate(t, "soclose:drain", SS_INCOMP)
		} else {
			sp = so.comp[0]
			so.qremove(t, sp, QComp)
			sp.soclrstate(t, "soclose:drain", SS_COMP)
		}
		if !st.faults.Has(FaultAbortTwice) {
			sp.soreference(t, "soclose:drain")
		}
		sp.head.AtomicStore(t, "soclose:drain", 0)
		aborted = append(aborted, sp)
	}
	so.qlock.Unlock(t)
	for _, sp := range aborted {
		st.soaborta(t, sp, so)
	}
}

// soaborta aborts a connection asynchronously (DragonFly soaborta): pru_abort on the owning
// protocol thread, then the reference for the message in flight is dropped. The caller took
// that reference while the socket was still on head's queue, under the queue lock: taken
// later, a RST could free the socket in between. FaultAbortTwice takes it when the message
// runs (4402d8a2a5): a RST queued ahead of the abort frees the socket while the abort is in
// flight.
func (st *Stack) soaborta(t *sched.Thread, so *Socket, head *Socket) {
	hid := -1
	if head != nil {
		hid = head.id
	}
	st.observe(t, ObsEvent{Kind: ObsAborted, Sock: so.id, Head: hid, Proc: -1, Site: "soaborta"})
	st.pcbsendmsg(t, so, "pru_abort", func(t *sched.Thread) Errno {
		if st.faults.Has(FaultAbortTwice) {
			so.soreference(t, "pru_abort")
		}
		so.proto.pr_usrreqs.pru_abort(st, t, so)
		if !st.faults.Has(FaultAbortLostSofree) {
			st.sofree(t, so)
		}
		return OK
	})
}

// soaccept turns a connection taken off so_comp into one with a descriptor (DragonFly
// soaccept): it must still have SS_NOFDREF. The reference the descriptor will hold was taken by
// kern_accept's predicate under the listener's lock (the 2014 form; in 2010 soaccept took it
// here, too late: c19fdb0e33).
func (st *Stack) soaccept(t *sched.Thread, so *Socket) {
	if so.getstate(t, "soaccept")&SS_NOFDREF == 0 {
		panic("soaccept: !NOFDREF")
	}
	so.soclrstate(t, "soaccept", SS_NOFDREF)
}

// soconnect is DragonFly soconnect: not on a listener, not twice on a connection protocol
// (PR_CONNREQUIRED), pru_connect; the rest of a request that moved the socket follows it to
// its new protocol thread. A connected datagram socket is connected again without BSD's
// sodisconnect first.
func (st *Stack) soconnect(t *sched.Thread, so *Socket, addr Addr) Errno {
	if so.options.AtomicLoad(t, "soconnect")&SO_ACCEPTCONN != 0 {
		return EOPNOTSUPP
	}
	pr := so.proto
	state := so.getstate(t, "soconnect")
	if state&(SS_ISCONNECTED|SS_ISCONNECTING) != 0 && pr.pr_flags&PR_CONNREQUIRED != 0 {
		return EISCONN
	}
	so.error.AtomicStore(t, "soconnect:so_error", 0)
	var fwd *netmsg
	if err := st.pcbmsgTo(t, so, st.owner(so), "pru_connect", func(t *sched.Thread) Errno {
		var e Errno
		e, fwd = pr.pr_usrreqs.pru_connect(st, t, so, addr)
		return e
	}); err != OK || fwd == nil {
		return err
	}
	return st.pcbmsg(t, so, fwd.name, fwd.fn)
}

// sodisconnect is DragonFly sodisconnect: pru_disconnect on the socket's protocol thread,
// EOPNOTSUPP without a message for a protocol that has none.
func (st *Stack) sodisconnect(t *sched.Thread, so *Socket) Errno {
	disconnect := so.proto.pr_usrreqs.pru_disconnect
	if disconnect == nil {
		return EOPNOTSUPP
	}
	return st.pcbmsg(t, so, "pru_disconnect", func(t *sched.Thread) Errno { return disconnect(st, t, so) })
}

// sosend is DragonFly sosend. An atomic protocol (PR_ATOMIC) sends the data whole or not at
// all; a stream protocol sends what fits and waits for room for the rest.
func (st *Stack) sosend(t *sched.Thread, so *Socket, data []byte, to *Addr, flags int, nonblock bool) (int, Errno) {
	sb := &so.snd
	pr := so.proto
	atomic := pr.pr_flags&PR_ATOMIC != 0 // sosendallatonce
	if atomic && len(data) > sb.hiwat {
		return -1, EMSGSIZE
	}
	sb.lock.Lock(t)
	defer func() { sb.lock.Unlock(t) }()
	sent := 0
	for {
		state := so.getstate(t, "sosend")
		if state&SS_CANTSENDMORE != 0 {
			return st.partial(sent, EPIPE)
		}
		if e := so.error.AtomicLoad(t, "sosend:so_error"); e != 0 {
			so.error.AtomicStore(t, "sosend:so_error", 0)
			return st.partial(sent, Errno(e))
		}
		if state&SS_ISCONNECTED == 0 {
			if pr.pr_flags&PR_CONNREQUIRED != 0 {
				return st.partial(sent, ENOTCONN)
			} else if to == nil {
				return -1, EDESTADDRREQ
			}
		} else if pr.pr_flags&PR_CONNREQUIRED == 0 && to != nil {
			// udp_output's EISCONN, made here before any wait.
			return -1, EISCONN
		}
		space := sb.space(t, "sosend:space")
		need := len(data) - sent
		if atomic && space < need || !atomic && space <= 0 && need > 0 {
			if nonblock {
				return st.partial(sent, EWOULDBLOCK)
			}
			// ssb_wait under the token: two senders blocked on one so_snd must not race on
			// its flags (DragonFly's sosend takes no token here: FaultSSBWaitABA).
			sb.token.Lock(t)
			sb.lock.Unlock(t)
			e := st.ssbWait(t, sb, func() bool { return st.sndReady(so) })
			sb.lock.Lock(t)
			if e != OK {
				return st.partial(sent, e)
			}
			continue
		}
		n := min(need, max(space, 0))
		chunk := data[sent : sent+n]
		var nam Addr
		if pr.pr_flags&PR_ADDR != 0 {
			// The message's address: the one given, else the connected peer's, read here in
			// process context.
			if to != nil {
				nam = *to
			} else {
				nam = pr.pr_usrreqs.pru_peeraddr(so)
			}
		}
		oob := flags&MSG_OOB != 0 && sent+n == len(data)
		send := func(t *sched.Thread) Errno { return pr.pr_usrreqs.pru_send(st, t, so, chunk, nam, oob) }
		var e Errno
		if pr.pr_flags&PR_ASYNC_SEND != 0 && st.faults.Has(FaultClosePendingSend) {
			// An asynchronous pru_send holding no reference (939c81e437): a close can free
			// the socket while the message is still queued.
			st.pcbsendmsg(t, so, "pru_send", send)
		} else {
			e = st.pcbmsg(t, so, "pru_send", send)
		}
		if e != OK {
			return st.partial(sent, e)
		}
		sent += n
		if sent == len(data) {
			return sent, OK
		}
	}
}

// soshutdown is DragonFly soshutdown: the receive side is flushed (sorflush), the send side
// shut by the protocol (pru_shutdown).
func (st *Stack) soshutdown(t *sched.Thread, so *Socket, how int) Errno {
	if how < SHUT_RD || how > SHUT_RDWR {
		return EINVAL
	}
	if how != SHUT_WR {
		st.sorflush(t, so)
	}
	if how != SHUT_RD {
		return st.pcbmsg(t, so, "pru_shutdown", func(t *sched.Thread) Errno { return so.proto.pr_usrreqs.pru_shutdown(st, t, so) })
	}
	return OK
}

// sorflush is DragonFly sorflush: no more can be received, and what was is dropped.
func (st *Stack) sorflush(t *sched.Thread, so *Socket) {
	st.socantrcvmore(t, so)
	so.rcv.token.Lock(t)
	so.rcv.drop(t, len(so.rcv.data))
	for len(so.rcv.records) > 0 {
		so.rcv.dropRecord(t)
	}
	so.rcv.token.Unlock(t)
}

// partial returns a short count if some data went, else the error.
func (st *Stack) partial(sent int, e Errno) (int, Errno) {
	if sent > 0 {
		return sent, OK
	}
	return -1, e
}

// soreceive is DragonFly soreceive. An atomic protocol (PR_ATOMIC) returns one record per
// call, with its sender's address (PR_ADDR); a stream protocol returns what is there, up to
// the out-of-band mark, and tells the protocol of the room made (PR_WANTRCVD).
func (st *Stack) soreceive(t *sched.Thread, so *Socket, n, flags int, nonblock bool) ([]byte, Addr, Errno) {
	pr := so.proto
	if flags&MSG_OOB != 0 {
		rcvoob := pr.pr_usrreqs.pru_rcvoob
		if rcvoob == nil {
			return nil, Addr{}, EOPNOTSUPP
		}
		var b byte
		e := st.pcbmsg(t, so, "pru_rcvoob", func(t *sched.Thread) Errno {
			var e Errno
			b, e = rcvoob(st, t, so, flags)
			return e
		})
		if e != OK {
			return nil, Addr{}, e
		}
		return []byte{b}, Addr{}, OK
	}
	sb := &so.rcv
	sb.lock.Lock(t)
	defer func() { sb.lock.Unlock(t) }()
	unlocked := st.faults.Has(FaultSoreceiveUnlocked)
	var out []byte
	var from Addr
	for {
		var cc int64
		if unlocked {
			// Before 20156c7a50: the buffer is read with no token against the protocol
			// thread's append.
			cc = int64(sb.cc.Load(t, "soreceive:ssb_cc"))
		} else {
			sb.token.Lock(t)
			cc = int64(sb.cc.AtomicLoad(t, "soreceive:ssb_cc"))
		}
		if cc == 0 {
			state := so.getstate(t, "soreceive")
			var e Errno = -2 // -2: block
			switch {
			case so.error.AtomicLoad(t, "soreceive:so_error") != 0:
				if len(out) > 0 {
					e = OK
					break
				}
				e = Errno(so.error.AtomicLoad(t, "soreceive:so_error"))
				if flags&MSG_PEEK == 0 {
					so.error.AtomicStore(t, "soreceive:so_error", 0)
				}
			case state&SS_CANTRCVMORE != 0:
				e = OK
			case len(out) > 0 && flags&MSG_WAITALL == 0:
				e = OK
			case pr.pr_flags&PR_CONNREQUIRED != 0 && state&(SS_ISCONNECTED|SS_ISCONNECTING) == 0:
				e = ENOTCONN // the 2008 mail's soreceive check
			case nonblock:
				e = EWOULDBLOCK
			}
			if e != OK && e != -2 && len(out) > 0 {
				e = OK
			}
			if e != -2 {
				sb.tokenUnlock(t, unlocked)
				if e != OK {
					return nil, from, e
				}
				return st.received(t, so, out, from, flags)
			}
			// DragonFly's soreceive keeps the token across ssb_wait, which releases it.
			if unlocked {
				sb.token.Lock(t)
			}
			sb.lock.Unlock(t)
			werr := st.ssbWait(t, sb, func() bool { return st.rcvReady(so) })
			sb.lock.Lock(t)
			if werr != OK {
				if len(out) > 0 {
					return st.received(t, so, out, from, flags)
				}
				return nil, from, werr
			}
			continue
		}
		if pr.pr_flags&PR_ATOMIC != 0 {
			// One record, whole or truncated (MSG_TRUNC: the rest is dropped with it).
			r := sb.records[0]
			out = append(out, r.data[:min(n, len(r.data))]...)
			if pr.pr_flags&PR_ADDR != 0 {
				from = r.from
			}
			if flags&MSG_PEEK == 0 {
				sb.dropRecord(t)
			}
			sb.tokenUnlock(t, unlocked)
			return st.received(t, so, out, from, flags)
		}
		want := n - len(out)
		if mark := int64(so.oobmark.AtomicLoad(t, "soreceive:so_oobmark")); mark > 0 && int64(want) > mark {
			want = int(mark)
		}
		take := min(want, len(sb.data))
		out = append(out, sb.data[:take]...)
		if flags&MSG_PEEK == 0 && take > 0 {
			sb.drop(t, take)
			so.soclrstate(t, "soreceive", SS_RCVATMARK)
			if mark := int64(so.oobmark.AtomicLoad(t, "soreceive:so_oobmark")); mark > 0 {
				mark -= int64(take)
				so.oobmark.AtomicStore(t, "soreceive:so_oobmark", uint64(mark))
				if mark == 0 {
					so.sosetstate(t, "soreceive", SS_RCVATMARK)
				}
			}
		}
		sb.tokenUnlock(t, unlocked)
		atMark := so.oobmark.Peek() == 0 && so.state.Peek()&SS_RCVATMARK != 0
		if flags&MSG_WAITALL == 0 || len(out) >= n || flags&MSG_PEEK != 0 || atMark {
			return st.received(t, so, out, from, flags)
		}
		if take > 0 && pr.pr_flags&PR_WANTRCVD != 0 {
			st.pruRcvd(t, so)
		}
	}
}

// received finishes soreceive: pru_rcvd for a protocol that wants it, once data was taken.
func (st *Stack) received(t *sched.Thread, so *Socket, out []byte, from Addr, flags int) ([]byte, Addr, Errno) {
	if so.proto.pr_flags&PR_WANTRCVD != 0 && len(out) > 0 && flags&MSG_PEEK == 0 {
		st.pruRcvd(t, so)
	}
	if out == nil {
		out = []byte{}
	}
	return out, from, OK
}

// pruRcvd is so_pru_rcvd: pru_rcvd on the socket's protocol thread, to tell the peer about the
// room made.
func (st *Stack) pruRcvd(t *sched.Thread, so *Socket) {
	st.pcbmsg(t, so, "pru_rcvd", func(t *sched.Thread) Errno { return so.proto.pr_usrreqs.pru_rcvd(st, t, so) })
}

// sopoll computes the ready events as DragonFly's kqueue-based poll reports them: IN when
// readable (filt_soread), OUT when writable and connected (filt_sowrite), HUP when the write
// side is at EOF or both sides are, ERR when an error comes with an EOF.
func (st *Stack) sopoll(so *Socket, events int) int {
	s := so.state.Peek()
	eof := s&(SS_CANTRCVMORE|SS_CANTSENDMORE) != 0
	r := 0
	if events&POLLIN != 0 && st.rcvReady(so) {
		r |= POLLIN
	}
	if events&POLLPRI != 0 && (so.oobmark.Peek() > 0 || s&SS_RCVATMARK != 0) {
		r |= POLLPRI
	}
	if events&POLLOUT != 0 {
		if s&SS_CANTSENDMORE != 0 {
			r |= POLLHUP
		} else if st.sndReady(so) {
			r |= POLLOUT
		}
	}
	if so.error.Peek() != 0 && eof {
		r |= POLLERR
	}
	if s&SS_CANTRCVMORE != 0 && s&SS_CANTSENDMORE != 0 {
		r |= POLLHUP
	}
	return r
}
