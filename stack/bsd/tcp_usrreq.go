package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// tcp_usrreqs are TCP's user requests (tcp_usrreqs). accept(2) makes no pru_accept: the
// ECONNABORTED of tcp_usr_accept is kern_accept's test of SS_ISDISCONNECTED.
var tcp_usrreqs = pr_usrreqs{
	pru_abort:      (*Stack).tcpUsrAbort,
	pru_attach:     (*Stack).tcpUsrAttach,
	pru_bind:       (*Stack).tcpBind,
	pru_connect:    (*Stack).tcpUsrConnect,
	pru_detach:     (*Stack).tcpUsrDetach,
	pru_disconnect: (*Stack).tcpUsrDisconnect,
	pru_listen:     (*Stack).tcpListen,
	pru_rcvd:       (*Stack).tcpUsrRcvd,
	pru_rcvoob:     (*Stack).tcpUsrRcvoob,
	pru_send:       (*Stack).tcpSend,
	pru_shutdown:   (*Stack).tcpUsrShutdown,
}

// tcpUsrAttach is tcp_usr_attach: tcp_attach on protocol thread n.
func (st *Stack) tcpUsrAttach(t *sched.Thread, so *Socket, n *netisr) Errno {
	st.tcpAttach(t, so, n)
	return OK
}

// tcpAttach is tcp_attach: the buffers reserved (unless sonewconn did), a control block, and
// the pcb's reference on the socket.
func (st *Stack) tcpAttach(t *sched.Thread, so *Socket, n *netisr) {
	if so.snd.hiwat == 0 || so.rcv.hiwat == 0 {
		so.soreserve(tcpSendSpace, tcpRecvSpace)
	}
	tp := &tcpcb{so: so, n: n, state: TCPS_CLOSED}
	e := st.e
	tp.rexmt = e.NewTimer(so.names.rexmt, func(c *sched.Thread) { st.tcpTimer(c, tp, "tcp_timer_rexmt", st.tcpTimerRexmt) })
	tp.keep = e.NewTimer(so.names.keep, func(c *sched.Thread) { st.tcpTimer(c, tp, "tcp_timer_keep", st.tcpTimerKeep) })
	tp.msl = e.NewTimer(so.names.msl, func(c *sched.Thread) { st.tcpTimer(c, tp, "tcp_timer_2msl", st.tcpTimer2MSL) })
	so.tp = tp
	so.pcb.AtomicStore(t, "tcp_attach", 1)
	so.soreference(t, "in_pcballoc")
}

// tcpBind is tcp_usr_bind (so_pcb was checked by sobind) and tcp's in_pcbbind: port 0 picks
// an ephemeral one.
func (st *Stack) tcpBind(t *sched.Thread, so *Socket, port uint16) Errno {
	tp := so.tp
	if tp == nil {
		return EINVAL
	}
	if tp.local.Port != 0 {
		return EINVAL
	}
	st.tables.Lock(t)
	p, err := st.bindPort(port)
	st.tables.Unlock(t)
	if err != OK {
		return err
	}
	tp.local = Addr{IP: LocalIP, Port: p}
	return OK
}

// tcpListen is tcp_usr_listen.
func (st *Stack) tcpListen(t *sched.Thread, so *Socket) Errno {
	tp := so.tp
	if tp == nil || tp.state != TCPS_CLOSED && tp.state != TCPS_LISTEN || tp.remote.Port != 0 {
		// A connect that won the race with this listen (solisten's check of the so_state
		// bits ran before it): the pcb is no longer CLOSED, or its connect has chosen a
		// remote address and moved it to another protocol thread. Found by FuzzSockets.
		return EINVAL
	}
	if tp.local.Port == 0 {
		if err := st.tcpBind(t, so, 0); err != OK {
			return err
		}
	}
	// t_state is set before the pcb is published in the listen table (as tcp_usr_listen sets
	// TCPS_LISTEN before in_pcbinswildcardhash): tcp_input on another protocol thread finds the
	// listener through the table and reads t_state, so a write after the unlock raced with it
	// (seen by go test -race in Free mode with several CPUs). A repeated listen(2) leaves the
	// published value alone.
	if tp.state != TCPS_LISTEN {
		tp.state = TCPS_LISTEN
	}
	st.tables.Lock(t)
	st.listeners[tp.local.Port] = so
	st.tables.Unlock(t)
	return OK
}

// tcpUsrConnect is tcp_usr_connect, on protocol thread 0: tcp_connect, whose second half
// (tcp_connect_oncpu) is forwarded to the connection's protocol thread.
func (st *Stack) tcpUsrConnect(t *sched.Thread, so *Socket, nam Addr) (Errno, *netmsg) {
	if so.pcb.AtomicLoad(t, "pru_connect") == 0 {
		return EINVAL, nil
	}
	if err := st.tcpConnect(t, so, nam); err != OK {
		return err, nil
	}
	return OK, &netmsg{name: "tcp_connect", fn: func(t *sched.Thread) Errno { return st.tcpConnectOncpu(t, so) }}
}

// tcpConnect is the first half of tcp_connect, on protocol thread 0: bind if needed, reserve
// the connection's addresses and choose its protocol thread (so_port).
func (st *Stack) tcpConnect(t *sched.Thread, so *Socket, faddr Addr) Errno {
	tp := so.tp
	if tp == nil {
		return EINVAL
	}
	if tp.state == TCPS_LISTEN {
		return EOPNOTSUPP
	}
	if tp.state != TCPS_CLOSED || tp.remote.Port != 0 {
		return EISCONN
	}
	if tp.local.Port == 0 {
		if err := st.tcpBind(t, so, 0); err != OK {
			return err
		}
	}
	k := fourTuple{tp.local, faddr}
	i := st.hashPort(tp.local, faddr)
	st.tables.Lock(t)
	if st.conns[k] != nil {
		st.tables.Unlock(t)
		return EADDRINUSE
	}
	// The pcb moves to its connection's protocol thread before it is published: from then
	// on tcp_input may find it there (as in_pcbconnect runs on the target CPU). Set after
	// the insert, tp.n raced with tcp_input's tcp_output on that thread in free mode.
	tp.remote = faddr
	tp.n = st.netisrs[i]
	st.conns[k] = so
	st.tables.Unlock(t)
	so.port.AtomicStore(t, "tcp_connect:so_port", uint64(i))
	return OK
}

// tcpConnectOncpu is tcp_connect_oncpu, the second half of tcp_connect, on the connection's
// protocol thread: send the SYN.
func (st *Stack) tcpConnectOncpu(t *sched.Thread, so *Socket) Errno {
	tp := so.tp
	if tp == nil || tp.closed.Load() {
		return EINVAL
	}
	if tp.state != TCPS_CLOSED {
		return EOPNOTSUPP // a listen won the race between the two halves of connect
	}
	so.soisconnecting(t)
	tp.iss = st.iss()
	tp.sndUna, tp.sndNxt, tp.sndMax = tp.iss, tp.iss, tp.iss
	tp.sndBufSeq = tp.iss + 1
	tp.sndWnd = tcpMaxWin
	tp.state = TCPS_SYN_SENT
	_ = tp.keep.Reset(t, tcpKeepInit)
	st.tcpOutput(t, tp)
	return OK
}

// tcpSend is tcp_usr_send (and tcp_usr_sendoob with oob): append to so_snd, output. nam
// would be an implied connect's address, which the model does not make.
func (st *Stack) tcpSend(t *sched.Thread, so *Socket, data []byte, _ Addr, oob bool) Errno {
	so.touch(t, "tcp_usr_send")
	tp := so.tp
	if tp == nil || tp.closed.Load() || so.pcb.AtomicLoad(t, "pru_send") == 0 {
		return ECONNRESET
	}
	so.snd.token.Lock(t)
	so.snd.appendStream(t, data)
	end := tp.sndBufSeq + uint32(len(so.snd.data))
	so.snd.token.Unlock(t)
	if oob {
		tp.sndUp = end
	}
	st.tcpOutput(t, tp)
	return OK
}

// tcpUsrRcvd is tcp_usr_rcvd: tell the peer about the room made.
func (st *Stack) tcpUsrRcvd(t *sched.Thread, so *Socket) Errno {
	if tp := so.tp; tp != nil && !tp.closed.Load() && tp.state >= TCPS_ESTABLISHED {
		tp.ackNow = true
		st.tcpOutput(t, tp)
	}
	return OK
}

// tcpUsrRcvoob is tcp_usr_rcvoob: the out-of-band byte, EINVAL if there is none to come (or
// it was read), EWOULDBLOCK if it has not arrived yet.
func (st *Stack) tcpUsrRcvoob(t *sched.Thread, so *Socket, flags int) (byte, Errno) {
	tp := so.tp
	if tp == nil || tp.closed.Load() {
		return 0, EINVAL
	}
	if so.oobmark.AtomicLoad(t, "tcp_usr_rcvoob") == 0 && so.getstate(t, "tcp_usr_rcvoob")&SS_RCVATMARK == 0 || tp.oobHad {
		return 0, EINVAL
	}
	if !tp.oobHave {
		return 0, EWOULDBLOCK
	}
	if flags&MSG_PEEK == 0 {
		tp.oobHave, tp.oobHad = false, true
	}
	return tp.iobc, OK
}

// tcpUsrShutdown is tcp_usr_shutdown: no more sends; the FIN follows the data.
func (st *Stack) tcpUsrShutdown(t *sched.Thread, so *Socket) Errno {
	st.socantsendmore(t, so)
	if tp := so.tp; tp != nil && !tp.closed.Load() {
		if tp = st.tcpUsrClosed(t, tp); tp != nil {
			st.tcpOutput(t, tp)
		}
	}
	return OK
}

// tcpUsrDisconnect is tcp_usr_disconnect: tcp_disconnect, unless the pcb is gone already.
func (st *Stack) tcpUsrDisconnect(t *sched.Thread, so *Socket) Errno {
	if tp := so.tp; tp != nil && !tp.closed.Load() {
		st.tcpDisconnect(t, tp)
	}
	return OK
}

// tcpUsrDetach is tcp_usr_detach: as tcp_usr_disconnect; the pcb goes when the connection
// is closed (tcp_close).
func (st *Stack) tcpUsrDetach(t *sched.Thread, so *Socket) Errno {
	if tp := so.tp; tp != nil && !tp.closed.Load() {
		st.tcpDisconnect(t, tp)
	}
	return OK
}

// tcpUsrAbort is tcp_usr_abort: tcp_drop with ECONNABORTED.
func (st *Stack) tcpUsrAbort(t *sched.Thread, so *Socket) Errno {
	if tp := so.tp; tp != nil && so.pcb.AtomicLoad(t, "pru_abort") != 0 {
		st.tcpDrop(t, tp, ECONNABORTED)
	}
	return OK
}

// tcpUsrClosed is tcp_usrclosed: the user will send no more.
func (st *Stack) tcpUsrClosed(t *sched.Thread, tp *tcpcb) *tcpcb {
	switch tp.state {
	case TCPS_CLOSED, TCPS_LISTEN, TCPS_SYN_SENT:
		st.tcpClose(t, tp)
		return nil
	case TCPS_SYN_RECEIVED, TCPS_ESTABLISHED:
		tp.state = TCPS_FIN_WAIT_1
		tp.finWanted = true
	case TCPS_CLOSE_WAIT:
		tp.state = TCPS_LAST_ACK
		tp.finWanted = true
	}
	if tp.state >= TCPS_FIN_WAIT_2 {
		st.soisdisconnected(t, tp.so)
		if tp.state == TCPS_FIN_WAIT_2 {
			_ = tp.msl.Reset(t, tcpMaxIdle)
		}
	}
	return tp
}

// tcpDisconnect is tcp_disconnect.
func (st *Stack) tcpDisconnect(t *sched.Thread, tp *tcpcb) {
	so := tp.so
	switch {
	case tp.state < TCPS_ESTABLISHED:
		st.tcpClose(t, tp)
	case so.options.AtomicLoad(t, "tcp_disconnect:so_options")&SO_LINGER != 0 && so.linger.Load() == 0:
		st.tcpDrop(t, tp, OK)
	default:
		st.soisdisconnecting(t, so)
		so.rcv.token.Lock(t)
		so.rcv.drop(t, len(so.rcv.data))
		so.rcv.token.Unlock(t)
		if tp = st.tcpUsrClosed(t, tp); tp != nil {
			st.tcpOutput(t, tp)
		}
	}
}
