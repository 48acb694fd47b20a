package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// sockfile returns the socket behind fd.
func (st *Stack) sockfile(t *sched.Thread, fd int) (*file, *Socket, Errno) {
	f, err := st.getfile(t, fd)
	if err != OK {
		return nil, nil, err
	}
	return f, f.so, OK
}

// Socket is socket(2): socreate, then a descriptor.
func (p *Proc) Socket(t *sched.Thread, proto Proto) (int, Errno) {
	st := p.st
	if proto != TCP && proto != UDP {
		return -1, EPROTOTYPE
	}
	so := st.socreate(t, proto)
	fd, err := st.install(t, &file{so: so})
	if err != OK {
		st.soclose(t, so)
		return -1, err
	}
	return fd, OK
}

// socreate is DragonFly socreate: soalloc, pru_attach on protocol thread 0, then the base
// reference belongs to the descriptor (SS_NOFDREF cleared).
func (st *Stack) socreate(t *sched.Thread, proto Proto) *Socket {
	so := st.soalloc(t, proto)
	n := st.netisrs[0]
	so.port.Init(0)
	st.domsg(t, n, "pru_attach", func(t *sched.Thread) Errno {
		if proto == TCP {
			st.tcpAttach(t, so, n)
		} else {
			st.udpAttach(t, so)
		}
		return OK
	})
	so.soclrstate(t, "socreate", SS_NOFDREF)
	return so
}

// Bind is bind(2) on the stack's address.
func (p *Proc) Bind(t *sched.Thread, fd int, port uint16) Errno {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer st.fdrop(t, f)
	return st.pcbmsgTo(t, so, st.owner(so), "pru_bind", func(t *sched.Thread) Errno {
		if so.pcb.AtomicLoad(t, "pru_bind") == 0 {
			return EINVAL
		}
		if so.proto == UDP {
			return st.udpBind(t, so, port)
		}
		return st.tcpBind(t, so, port)
	})
}

// Listen is listen(2).
func (p *Proc) Listen(t *sched.Thread, fd, backlog int) Errno {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer p.st.fdrop(t, f)
	return p.st.solisten(t, so, backlog)
}

// Connect is connect(2) to addr (kern_connect).
func (p *Proc) Connect(t *sched.Thread, fd int, addr Addr) Errno {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer st.fdrop(t, f)
	defer t.ClearSignal()
	return st.kernConnect(t, f, so, addr)
}

// kernConnect is kern_connect: EALREADY while connecting; soconnect; EINPROGRESS for a
// non-blocking socket; otherwise a predicate wait until the connection completes or fails.
// An interrupted wait leaves SS_ISCONNECTING set (8765eadc4c): the retry gets EALREADY.
func (st *Stack) kernConnect(t *sched.Thread, f *file, so *Socket, addr Addr) Errno {
	if so.getstate(t, "kern_connect")&SS_ISCONNECTING != 0 && so.proto == TCP {
		return EALREADY
	}
	if err := st.soconnect(t, so, addr); err != OK {
		return err
	}
	if so.proto == UDP {
		return OK
	}
	if f.nonblock.Load() && so.getstate(t, "kern_connect:nbio")&SS_ISCONNECTING != 0 {
		return EINPROGRESS
	}
	interrupted := false
	nm := &notifyMsg{name: so.names.connect, so: so, sb: &so.snd,
		pred: func(t *sched.Thread, nm *notifyMsg) bool {
			return so.getstate(t, "soconnect_predicate")&SS_ISCONNECTING == 0 || so.error.AtomicLoad(t, "soconnect_predicate") != 0
		},
		ready: func() bool { return so.state.Peek()&SS_ISCONNECTING == 0 || so.error.Peek() != 0 }}
	res := st.waitNotify(t, st.soport(t, so), nm)
	if res == EINTR {
		interrupted = true
	}
	var errno Errno
	if res != OK {
		errno = res
	} else if e := so.error.AtomicLoad(t, "kern_connect:so_error"); e != 0 {
		errno = Errno(e)
		so.error.AtomicStore(t, "kern_connect:so_error", 0)
	}
	if !interrupted || st.faults.Has(FaultConnectEINTR) {
		so.soclrstate(t, "kern_connect:bad", SS_ISCONNECTING)
	}
	return errno
}

// soconnect is DragonFly soconnect: not on a listener, not twice (TCP), pru_connect.
func (st *Stack) soconnect(t *sched.Thread, so *Socket, addr Addr) Errno {
	if so.options.AtomicLoad(t, "soconnect")&SO_ACCEPTCONN != 0 {
		return EOPNOTSUPP
	}
	state := so.getstate(t, "soconnect")
	if so.proto == TCP && state&(SS_ISCONNECTED|SS_ISCONNECTING) != 0 {
		return EISCONN
	}
	so.error.AtomicStore(t, "soconnect:so_error", 0)
	if so.proto == UDP {
		return st.pcbmsgTo(t, so, st.owner(so), "pru_connect", func(t *sched.Thread) Errno { return st.udpConnect(t, so, addr) })
	}
	if err := st.pcbmsgTo(t, so, st.owner(so), "pru_connect", func(t *sched.Thread) Errno {
		if so.pcb.AtomicLoad(t, "pru_connect") == 0 {
			return EINVAL
		}
		return st.tcpConnectPrepare(t, so, addr)
	}); err != OK {
		return err
	}
	return st.pcbmsg(t, so, "tcp_connect", func(t *sched.Thread) Errno { return st.tcpConnect(t, so) })
}

// Accept is accept(2) (kern_accept).
func (p *Proc) Accept(t *sched.Thread, fd int) (int, Errno) {
	st := p.st
	f, head, err := st.sockfile(t, fd)
	if err != OK {
		return -1, err
	}
	defer st.fdrop(t, f)
	defer t.ClearSignal()
	if head.options.AtomicLoad(t, "kern_accept")&SO_ACCEPTCONN == 0 {
		return -1, EINVAL
	}
	nm := &notifyMsg{name: head.names.accept, so: head, sb: &head.rcv, pred: st.soacceptPredicate(f.nonblock.Load()),
		ready: func() bool {
			return head.qlen.Peek() > 0 || head.error.Peek() != 0 || head.state.Peek()&SS_CANTRCVMORE != 0
		}}
	if res := st.waitNotify(t, st.soport(t, head), nm); res != OK {
		return -1, res
	}
	so := nm.val
	if st.faults.Has(FaultAcceptRefLate) {
		// The 2010 order (c19fdb0e33): the reference comes after so_head was cleared and the
		// queue lock dropped; a RST meanwhile freed the socket.
		so.soreference(t, "soaccept")
	}
	st.observe(t, ObsEvent{Kind: ObsAccepted, Sock: so.id, Head: head.id, Proc: p.pid, Site: "kern_accept"})
	// Inherit the owner and the FIONBIO/FIOASYNC flags of the listener.
	owner := head.sigio.AtomicLoad(t, "kern_accept:head_sigio")
	so.sigio.AtomicStore(t, "kern_accept:so_sigio", owner)
	st.observe(t, ObsEvent{Kind: ObsSetOwn, Sock: so.id, Head: head.id, Arg: int(owner) - 1, Proc: p.pid, Site: "kern_accept"})
	nf := &file{so: so}
	nf.nonblock.Store(f.nonblock.Load())
	nf.async.Store(f.async.Load())
	st.soaccept(t, so)
	if so.getstate(t, "tcp_usr_accept")&SS_ISDISCONNECTED != 0 {
		// tcp_usr_accept: the connection was reset while it waited on so_comp.
		st.soclose(t, so)
		return -1, ECONNABORTED
	}
	nfd, e := st.install(t, nf)
	if e != OK {
		st.soclose(t, so)
		return -1, e
	}
	return nfd, OK
}

// Send is send(2).
func (p *Proc) Send(t *sched.Thread, fd int, data []byte, flags int) (int, Errno) {
	return p.SendTo(t, fd, data, nil, flags)
}

// SendTo is sendto(2); to is nil for none.
func (p *Proc) SendTo(t *sched.Thread, fd int, data []byte, to *Addr, flags int) (int, Errno) {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return -1, err
	}
	defer st.fdrop(t, f)
	defer t.ClearSignal()
	return st.sosend(t, so, data, to, flags, f.nonblock.Load() || flags&MSG_DONTWAIT != 0)
}

// sosend is DragonFly sosend.
func (st *Stack) sosend(t *sched.Thread, so *Socket, data []byte, to *Addr, flags int, nonblock bool) (int, Errno) {
	sb := &so.snd
	if so.proto == UDP && len(data) > sb.hiwat {
		return -1, EMSGSIZE
	}
	_ = sb.lock.Lock(t)
	defer func() { _ = sb.lock.Unlock(t) }()
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
			if so.proto == TCP {
				return st.partial(sent, ENOTCONN)
			} else if to == nil {
				return -1, EDESTADDRREQ
			}
		} else if so.proto == UDP && to != nil {
			return -1, EISCONN
		}
		space := sb.space(t, "sosend:space")
		need := len(data) - sent
		if so.proto == UDP && space < need || so.proto == TCP && space <= 0 && need > 0 {
			if nonblock {
				return st.partial(sent, EWOULDBLOCK)
			}
			// ssb_wait under the token: two senders blocked on one so_snd must not race on
			// its flags (DragonFly's sosend takes no token here: FaultSSBWaitABA).
			_ = sb.token.Lock(t)
			_ = sb.lock.Unlock(t)
			e := st.ssbWait(t, sb, func() bool { return st.sndReady(so) })
			_ = sb.lock.Lock(t)
			if e != OK {
				return st.partial(sent, e)
			}
			continue
		}
		n := min(need, max(space, 0))
		chunk := data[sent : sent+n]
		var e Errno
		if so.proto == UDP {
			dst := Addr{}
			if to != nil {
				dst = *to
			} else if so.up != nil {
				dst = so.up.peer()
			}
			e = st.pcbmsg(t, so, "pru_send", func(t *sched.Thread) Errno { return st.udpSend(t, so, chunk, dst) })
		} else {
			oob := flags&MSG_OOB != 0 && sent+n == len(data)
			send := func(t *sched.Thread) Errno { return st.tcpSend(t, so, chunk, oob) }
			if st.faults.Has(FaultClosePendingSend) {
				// An asynchronous pru_send holding no reference (939c81e437): a close can
				// free the socket while the message is still queued.
				st.pcbsendmsg(t, so, "pru_send", send)
			} else {
				e = st.pcbmsg(t, so, "pru_send", send)
			}
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

// partial returns a short count if some data went, else the error.
func (st *Stack) partial(sent int, e Errno) (int, Errno) {
	if sent > 0 {
		return sent, OK
	}
	return -1, e
}

// tcpSend is tcp_usr_send (and tcp_usr_sendoob with oob): append to so_snd, output.
func (st *Stack) tcpSend(t *sched.Thread, so *Socket, data []byte, oob bool) Errno {
	so.touch(t, "tcp_usr_send")
	tp := so.tp
	if tp == nil || tp.closed.Load() || so.pcb.AtomicLoad(t, "pru_send") == 0 {
		return ECONNRESET
	}
	_ = so.snd.token.Lock(t)
	so.snd.appendStream(t, data)
	end := tp.sndBufSeq + uint32(len(so.snd.data))
	_ = so.snd.token.Unlock(t)
	if oob {
		tp.sndUp = end
	}
	st.tcpOutput(t, tp)
	return OK
}

// Recv is recv(2); it returns the data.
func (p *Proc) Recv(t *sched.Thread, fd, n, flags int) ([]byte, Errno) {
	b, _, err := p.RecvFrom(t, fd, n, flags)
	return b, err
}

// RecvFrom is recvfrom(2); it returns the data and the sender.
func (p *Proc) RecvFrom(t *sched.Thread, fd, n, flags int) ([]byte, Addr, Errno) {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return nil, Addr{}, err
	}
	defer st.fdrop(t, f)
	if n < 0 {
		return nil, Addr{}, EINVAL
	}
	defer t.ClearSignal()
	return st.soreceive(t, so, n, flags, f.nonblock.Load() || flags&MSG_DONTWAIT != 0)
}

// soreceive is DragonFly soreceive.
func (st *Stack) soreceive(t *sched.Thread, so *Socket, n, flags int, nonblock bool) ([]byte, Addr, Errno) {
	if flags&MSG_OOB != 0 {
		if so.proto != TCP {
			return nil, Addr{}, EOPNOTSUPP
		}
		var b byte
		e := st.pcbmsg(t, so, "pru_rcvoob", func(t *sched.Thread) Errno {
			tp := so.tp
			if tp == nil || tp.closed.Load() {
				return EINVAL
			}
			if so.oobmark.AtomicLoad(t, "tcp_usr_rcvoob") == 0 && so.getstate(t, "tcp_usr_rcvoob")&SS_RCVATMARK == 0 || tp.oobHad {
				return EINVAL
			}
			if !tp.oobHave {
				return EWOULDBLOCK
			}
			b = tp.iobc
			if flags&MSG_PEEK == 0 {
				tp.oobHave, tp.oobHad = false, true
			}
			return OK
		})
		if e != OK {
			return nil, Addr{}, e
		}
		return []byte{b}, Addr{}, OK
	}
	sb := &so.rcv
	_ = sb.lock.Lock(t)
	defer func() { _ = sb.lock.Unlock(t) }()
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
			_ = sb.token.Lock(t)
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
			case so.proto == TCP && state&(SS_ISCONNECTED|SS_ISCONNECTING) == 0:
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
				_ = sb.token.Lock(t)
			}
			_ = sb.lock.Unlock(t)
			werr := st.ssbWait(t, sb, func() bool { return st.rcvReady(so) })
			_ = sb.lock.Lock(t)
			if werr != OK {
				if len(out) > 0 {
					return st.received(t, so, out, from, flags)
				}
				return nil, from, werr
			}
			continue
		}
		if so.proto == UDP {
			r := sb.records[0]
			out = append(out, r.data[:min(n, len(r.data))]...)
			from = r.from
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
		if take > 0 {
			st.pruRcvd(t, so)
		}
	}
}

// received finishes soreceive: a window update for TCP (pru_rcvd).
func (st *Stack) received(t *sched.Thread, so *Socket, out []byte, from Addr, flags int) ([]byte, Addr, Errno) {
	if so.proto == TCP && len(out) > 0 && flags&MSG_PEEK == 0 {
		st.pruRcvd(t, so)
	}
	if out == nil {
		out = []byte{}
	}
	return out, from, OK
}

// pruRcvd is pru_rcvd (tcp_usr_rcvd): tell the peer about the room made.
func (st *Stack) pruRcvd(t *sched.Thread, so *Socket) {
	st.pcbmsg(t, so, "pru_rcvd", func(t *sched.Thread) Errno {
		if tp := so.tp; tp != nil && !tp.closed.Load() && tp.state >= TCPS_ESTABLISHED {
			tp.ackNow = true
			st.tcpOutput(t, tp)
		}
		return OK
	})
}

// Shutdown is shutdown(2) (soshutdown).
func (p *Proc) Shutdown(t *sched.Thread, fd, how int) Errno {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer st.fdrop(t, f)
	if how < SHUT_RD || how > SHUT_RDWR {
		return EINVAL
	}
	if how != SHUT_WR { // sorflush
		st.socantrcvmore(t, so)
		_ = so.rcv.token.Lock(t)
		so.rcv.drop(t, len(so.rcv.data))
		for len(so.rcv.records) > 0 {
			so.rcv.dropRecord(t)
		}
		_ = so.rcv.token.Unlock(t)
	}
	if how != SHUT_RD {
		return st.pcbmsg(t, so, "pru_shutdown", func(t *sched.Thread) Errno {
			st.socantsendmore(t, so)
			if tp := so.tp; tp != nil && !tp.closed.Load() {
				if tp = st.tcpUsrClosed(t, tp); tp != nil {
					st.tcpOutput(t, tp)
				}
			}
			return OK
		})
	}
	return OK
}

// Close is close(2): the descriptor goes; the last one closes the socket.
func (p *Proc) Close(t *sched.Thread, fd int) Errno {
	st := p.st
	f, last, err := st.remove(t, fd)
	if err != OK {
		return err
	}
	defer t.ClearSignal()
	if last {
		st.soclose(t, f.so)
	}
	return OK
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
		if state&SS_ISCONNECTED != 0 && state&SS_ISDISCONNECTING == 0 && so.proto == TCP {
			st.pcbmsg(t, so, "pru_disconnect", func(t *sched.Thread) Errno {
				if tp := so.tp; tp != nil && !tp.closed.Load() {
					st.tcpDisconnect(t, tp)
				}
				return OK
			})
			if so.options.AtomicLoad(t, "soclose:linger")&SO_LINGER != 0 && so.linger.Load() > 0 {
				for so.getstate(t, "soclose:linger")&SS_ISCONNECTED != 0 {
					if err := so.timeo.SleepTimeout(t, func() bool { return so.state.Peek()&SS_ISCONNECTED == 0 },
						sched.Interruptible, sched.Duration(so.linger.Load())*1000); err != nil {
						break
					}
				}
			}
		}
		st.pcbmsg(t, so, "pru_detach", func(t *sched.Thread) Errno {
			if so.proto == UDP {
				st.udpDetach(t, so)
			} else if tp := so.tp; tp != nil && !tp.closed.Load() {
				st.tcpDisconnect(t, tp)
			}
			return OK
		})
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
	_ = so.qlock.Lock(t)
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
	_ = so.qlock.Unlock(t)
	for _, sp := range aborted {
		st.soaborta(t, sp, so)
	}
}

// Dup is dup(2).
func (p *Proc) Dup(t *sched.Thread, fd int) (int, Errno) {
	f, err := p.st.getfile(t, fd)
	if err != OK {
		return -1, err
	}
	defer p.st.fdrop(t, f)
	return p.st.install(t, f)
}

// SetNonblock is ioctl FIONBIO.
func (p *Proc) SetNonblock(t *sched.Thread, fd int, on bool) Errno {
	f, err := p.st.getfile(t, fd)
	if err != OK {
		return err
	}
	defer p.st.fdrop(t, f)
	f.nonblock.Store(on)
	return OK
}

// SetAsync is ioctl FIOASYNC (soo_ioctl): SS_ASYNC set or cleared atomically.
func (p *Proc) SetAsync(t *sched.Thread, fd int, on bool) Errno {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer p.st.fdrop(t, f)
	_ = so.asyncLock.Lock(t)
	defer func() { _ = so.asyncLock.Unlock(t) }()
	f.async.Store(on)
	arg := 0
	if !on {
		// The owner's intent changes before the bit does: an observer must not see SS_ASYNC
		// clear while FIOASYNC still counts as set (and, turning it on, the bit is set first).
		p.st.observe(t, ObsEvent{Kind: ObsAsyncSet, Sock: so.id, Head: -1, Arg: 0, Proc: p.pid, Site: "soo_ioctl"})
	}
	if st := p.st; st.faults.Has(FaultFIOASYNCRMW) {
		// A plain read-modify-write of so_state, racing the protocol thread's atomic ones.
		old := so.state.Load(t, "soo_ioctl:FIOASYNC")
		nw := old &^ SS_ASYNC
		if on {
			nw = old | SS_ASYNC
		}
		so.state.Store(t, "soo_ioctl:FIOASYNC", nw)
		st.observe(t, ObsEvent{Kind: ObsState, Sock: so.id, Head: -1, Old: old, New: nw, Proc: -1, Site: "soo_ioctl:FIOASYNC"})
	}
	if on {
		arg = 1
		if !p.st.faults.Has(FaultFIOASYNCRMW) {
			so.sosetstate(t, "soo_ioctl:FIOASYNC", SS_ASYNC)
		}
		so.rcv.flags.AtomicOr(t, "soo_ioctl:FIOASYNC", SSB_ASYNC)
		so.snd.flags.AtomicOr(t, "soo_ioctl:FIOASYNC", SSB_ASYNC)
	} else {
		if !p.st.faults.Has(FaultFIOASYNCRMW) {
			so.soclrstate(t, "soo_ioctl:FIOASYNC", SS_ASYNC)
		}
		so.rcv.flags.AtomicAndNot(t, "soo_ioctl:FIOASYNC", SSB_ASYNC)
		so.snd.flags.AtomicAndNot(t, "soo_ioctl:FIOASYNC", SSB_ASYNC)
	}
	if on {
		p.st.observe(t, ObsEvent{Kind: ObsAsyncSet, Sock: so.id, Head: -1, Arg: arg, Proc: p.pid, Site: "soo_ioctl"})
	}
	return OK
}

// SetOwn is fcntl F_SETOWN: the process that gets SIGIO (fsetown); -1 for none.
func (p *Proc) SetOwn(t *sched.Thread, fd, pid int) Errno {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer p.st.fdrop(t, f)
	if pid < -1 || pid >= len(p.st.procs) {
		return EINVAL
	}
	so.sigio.AtomicStore(t, "fsetown", uint64(pid+1))
	p.st.observe(t, ObsEvent{Kind: ObsSetOwn, Sock: so.id, Head: -1, Arg: pid, Proc: p.pid, Site: "fsetown"})
	return OK
}

// SetLinger is setsockopt SO_LINGER.
func (p *Proc) SetLinger(t *sched.Thread, fd int, on bool, secs int) Errno {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer p.st.fdrop(t, f)
	if secs < 0 || secs > 3600 {
		return EINVAL
	}
	so.linger.Store(int64(secs))
	if on {
		so.options.AtomicOr(t, "sosetopt:SO_LINGER", SO_LINGER)
	} else {
		so.options.AtomicAndNot(t, "sosetopt:SO_LINGER", SO_LINGER)
	}
	return OK
}

// AtMark is ioctl SIOCATMARK.
func (p *Proc) AtMark(t *sched.Thread, fd int) (bool, Errno) {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return false, err
	}
	defer p.st.fdrop(t, f)
	return so.getstate(t, "SIOCATMARK")&SS_RCVATMARK != 0, OK
}

// SockError is getsockopt SO_ERROR: the pending error, cleared.
func (p *Proc) SockError(t *sched.Thread, fd int) (Errno, Errno) {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return 0, err
	}
	defer p.st.fdrop(t, f)
	e := so.error.AtomicLoad(t, "SO_ERROR")
	so.error.AtomicStore(t, "SO_ERROR", 0)
	return Errno(e), OK
}

// Poll is poll(2) on one descriptor (sopoll); with wait it blocks until an event.
func (p *Proc) Poll(t *sched.Thread, fd, events int, wait bool) (int, Errno) {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return POLLNVAL, OK
	}
	defer st.fdrop(t, f)
	defer t.ClearSignal()
	for {
		if r := st.sopoll(so, events); r != 0 || !wait {
			return r, OK
		}
		so.sel.Interlock(t)
		if r := st.sopoll(so, events); r != 0 {
			return r, OK
		}
		if e := so.sel.Sleep(t, func() bool { return st.sopoll(so, events) != 0 }, sched.Interruptible|sched.Interlocked); e != nil {
			return 0, EINTR
		}
	}
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

// Interrupt signals process target: its blocking system call returns EINTR.
func (p *Proc) Interrupt(t *sched.Thread, target *Proc) Errno {
	if target == nil || target.t == nil {
		return EINVAL
	}
	if err := p.st.e.Interrupt(t, target.t); err != nil {
		return EINVAL
	}
	return OK
}
