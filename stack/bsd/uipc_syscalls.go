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

// Socket is socket(2) (kern_socket): socreate, then a descriptor.
func (p *Proc) Socket(t *sched.Thread, proto Proto) (int, Errno) {
	st := p.st
	so, err := st.socreate(t, proto)
	if err != OK {
		return -1, err
	}
	fd, err := st.install(t, &file{so: so})
	if err != OK {
		st.soclose(t, so)
		return -1, err
	}
	return fd, OK
}

// Bind is bind(2) on the stack's address (kern_bind: sobind).
func (p *Proc) Bind(t *sched.Thread, fd int, port uint16) Errno {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer st.fdrop(t, f)
	return st.sobind(t, so, port)
}

// Listen is listen(2) (kern_listen: solisten).
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
	if so.getstate(t, "kern_connect")&SS_ISCONNECTING != 0 {
		return EALREADY
	}
	if err := st.soconnect(t, so, addr); err != OK {
		return err
	}
	if so.proto.pr_flags&PR_CONNREQUIRED == 0 {
		// A connectionless protocol's pru_connect completed the connection (soisconnected):
		// there is nothing to wait for.
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

// Shutdown is shutdown(2) (kern_shutdown: soshutdown).
func (p *Proc) Shutdown(t *sched.Thread, fd, how int) Errno {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer st.fdrop(t, f)
	return st.soshutdown(t, so, how)
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
		head.qlock.Lock(t)
		if len(head.comp) > 0 {
			so := head.comp[0]
			head.qremove(t, so, QComp)
			so.soclrstate(t, "soaccept_predicate", SS_COMP)
			if !st.faults.Has(FaultAcceptRefLate) {
				so.soreference(t, "soaccept_predicate")
			}
			so.head.AtomicStore(t, "soaccept_predicate", 0)
			head.qlock.Unlock(t)
			nm.val, nm.result = so, OK
			return true
		}
		head.qlock.Unlock(t)
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
