package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// tcpInput is tcp_input: one segment, on the protocol thread that owns its connection.
func (st *Stack) tcpInput(t *sched.Thread, n *netisr, seg *Segment) {
	st.tables.Lock(t)
	so := st.conns[fourTuple{seg.Dst, seg.Src}]
	if so == nil {
		so = st.listeners[seg.Dst.Port]
	}
	st.tables.Unlock(t)
	if so == nil || so.tp == nil || so.tp.closed.Load() {
		st.dropWithReset(t, seg)
		return
	}
	so.touch(t, "tcp_input")
	tp := so.tp
	if seg.RelAck {
		c := *seg
		c.Ack += tp.iss
		c.RelAck = false
		seg = &c
	}
	if tp.state == TCPS_LISTEN {
		st.tcpInputListen(t, n, so, seg)
		return
	}
	if tp.state == TCPS_SYN_SENT {
		st.tcpInputSynSent(t, tp, seg)
		return
	}
	st.tcpInputSynced(t, tp, seg)
}

// dropWithReset answers a segment for no connection with a RST (RFC 793 "CLOSED").
func (st *Stack) dropWithReset(t *sched.Thread, seg *Segment) {
	if seg.Flags&TH_RST != 0 {
		return
	}
	if seg.Flags&TH_ACK != 0 {
		st.tcpRespond(t, seg.Dst, seg.Src, seg.Ack, 0, TH_RST)
	} else {
		st.tcpRespond(t, seg.Dst, seg.Src, 0, seg.Seq+seqLen(seg), TH_RST|TH_ACK)
	}
}

// tcpInputListen handles a segment for a listener: a SYN makes an embryonic connection with
// sonewconn.
func (st *Stack) tcpInputListen(t *sched.Thread, n *netisr, lso *Socket, seg *Segment) {
	switch {
	case seg.Flags&TH_RST != 0:
		return
	case seg.Flags&TH_ACK != 0:
		st.dropWithReset(t, seg)
		return
	case seg.Flags&TH_SYN == 0:
		return
	}
	so := st.sonewconn(t, lso, n, false)
	if so == nil {
		return // the listen queue overflowed: drop the SYN, the peer retransmits
	}
	tp := so.tp
	tp.local, tp.remote = seg.Dst, seg.Src
	tp.passive = true
	st.tables.Lock(t)
	if st.conns[fourTuple{tp.local, tp.remote}] != nil {
		st.tables.Unlock(t)
		st.tcpDrop(t, tp, OK)
		return
	}
	st.conns[fourTuple{tp.local, tp.remote}] = so
	st.bound[tp.local.Port]++
	st.tables.Unlock(t)
	tp.irs = seg.Seq
	tp.rcvNxt = seg.Seq + 1
	tp.iss = st.iss()
	tp.sndUna, tp.sndNxt, tp.sndMax = tp.iss, tp.iss, tp.iss
	tp.sndBufSeq = tp.iss + 1
	tp.sndWnd = uint32(seg.Win)
	tp.state = TCPS_SYN_RECEIVED
	tp.ackNow = true
	_ = tp.keep.Reset(t, tcpKeepInit)
	st.tcpOutput(t, tp)
}

// tcpInputSynSent handles a segment in SYN_SENT: the answer to our SYN.
func (st *Stack) tcpInputSynSent(t *sched.Thread, tp *tcpcb, seg *Segment) {
	so := tp.so
	ackOK := false
	if seg.Flags&TH_ACK != 0 {
		if seqLEQ(seg.Ack, tp.iss) || seqGT(seg.Ack, tp.sndMax) {
			st.dropWithReset(t, seg)
			return
		}
		ackOK = true
	}
	if seg.Flags&TH_RST != 0 {
		if ackOK {
			st.tcpDrop(t, tp, ECONNREFUSED)
		}
		return
	}
	if seg.Flags&TH_SYN == 0 {
		return
	}
	tp.irs = seg.Seq
	tp.rcvNxt = seg.Seq + 1
	tp.sndWnd = uint32(seg.Win)
	tp.ackNow = true
	if ackOK {
		tp.sndUna = seg.Ack
		tp.keep.Stop(t)
		tp.rexmt.Stop(t)
		tp.rxtShift = 0
		tp.state = TCPS_ESTABLISHED
		st.soisconnected(t, so)
		if tp.finWanted {
			tp.state = TCPS_FIN_WAIT_1
		}
	} else {
		// Simultaneous open: SYN_RECEIVED, our SYN again with an ACK.
		tp.state = TCPS_SYN_RECEIVED
		tp.sndNxt = tp.iss
	}
	st.tcpOutput(t, tp)
}

// tcpInputSynced handles a segment in SYN_RECEIVED or a synchronized state (RFC 793's
// "otherwise" case, in tcp_input's order).
func (st *Stack) tcpInputSynced(t *sched.Thread, tp *tcpcb, seg *Segment) {
	so := tp.so
	if seg.Flags&TH_SYN != 0 && seqLT(seg.Seq, tp.rcvNxt) {
		// A SYN we already have (simultaneous open's SYN-ACK, a retransmission): trim it
		// off and keep the rest of the segment, as tcp_input's todrop does.
		c := *seg
		c.Flags &^= TH_SYN
		c.Seq++
		seg = &c
	}
	slen := seqLen(seg)
	wnd := uint32(st.tcpRcvWnd(t, tp))
	// Acceptability (RFC 793 p. 69).
	acceptable := false
	switch {
	case slen == 0 && wnd == 0:
		acceptable = seg.Seq == tp.rcvNxt
	case slen == 0:
		acceptable = seqLEQ(tp.rcvNxt, seg.Seq) && seqLT(seg.Seq, tp.rcvNxt+wnd)
	case wnd == 0:
		acceptable = false
	default:
		end := seg.Seq + slen - 1
		acceptable = seqLEQ(tp.rcvNxt, seg.Seq) && seqLT(seg.Seq, tp.rcvNxt+wnd) ||
			seqLEQ(tp.rcvNxt, end) && seqLT(end, tp.rcvNxt+wnd)
	}
	if !acceptable && !(slen == 0 && seg.Seq == tp.rcvNxt) {
		// RFC 793 answers an unacceptable segment with an ACK. A bare ACK is not answered:
		// two ends that disagree on the sequence (a socket connected to itself that sent
		// into a zero window) would otherwise exchange ACKs forever; modern stacks throttle
		// these (RFC 5961 section 5), the model does not send them.
		if seg.Flags&TH_RST == 0 && slen > 0 {
			tp.ackNow = true
			st.tcpOutput(t, tp)
		}
		return
	}
	if seg.Flags&TH_RST != 0 {
		switch tp.state {
		case TCPS_SYN_RECEIVED:
			if !tp.passive {
				so.error.AtomicStore(t, "tcp_input:rst", uint64(ECONNREFUSED))
			}
			st.tcpClose(t, tp)
		case TCPS_ESTABLISHED, TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2, TCPS_CLOSE_WAIT:
			so.error.AtomicStore(t, "tcp_input:rst", uint64(ECONNRESET))
			st.tcpClose(t, tp)
		default:
			st.tcpClose(t, tp)
		}
		return
	}
	if seg.Flags&TH_SYN != 0 && seqGEQ(seg.Seq, tp.rcvNxt) {
		st.tcpDrop(t, tp, ECONNRESET)
		return
	}
	if seg.Flags&TH_ACK == 0 {
		return
	}
	if tp.state == TCPS_SYN_RECEIVED {
		if seqLEQ(seg.Ack, tp.sndUna) || seqGT(seg.Ack, tp.sndMax) {
			st.dropWithReset(t, seg)
			return
		}
		tp.keep.Stop(t)
		tp.state = TCPS_ESTABLISHED
		if tp.finWanted {
			tp.state = TCPS_FIN_WAIT_1
		}
		if tp.passive && st.faults.Has(FaultSonewconnPortLate) {
			so.port.AtomicStore(t, "tcp_input:so_port", uint64(tp.n.idx))
		}
		st.soisconnected(t, so)
	}
	// ACK processing.
	if seqGT(seg.Ack, tp.sndMax) {
		tp.ackNow = true
		st.tcpOutput(t, tp)
		return
	}
	ourFinAcked := false
	if seqGT(seg.Ack, tp.sndUna) {
		so.snd.token.Lock(t)
		finSeq := tp.sndBufSeq + uint32(len(so.snd.data))
		acked := seg.Ack - tp.sndBufSeq
		if seqLT(seg.Ack, tp.sndBufSeq) {
			acked = 0
		}
		if int(acked) > len(so.snd.data) {
			acked = uint32(len(so.snd.data))
		}
		so.snd.drop(t, int(acked))
		tp.sndBufSeq += acked
		so.snd.token.Unlock(t)
		ourFinAcked = tp.finWanted && seg.Ack == finSeq+1
		tp.sndUna = seg.Ack
		if seqLT(tp.sndNxt, tp.sndUna) {
			tp.sndNxt = tp.sndUna
		}
		tp.rxtShift = 0
		if tp.sndUna == tp.sndMax {
			tp.rexmt.Stop(t)
		} else {
			_ = tp.rexmt.Reset(t, tcpRexmtMin)
		}
		st.sowwakeup(t, so)
	}
	tp.sndWnd = uint32(seg.Win)
	switch tp.state {
	case TCPS_FIN_WAIT_1:
		if ourFinAcked {
			tp.state = TCPS_FIN_WAIT_2
			// The 2008 mail's second SS_CANTRCVMORE test: with nothing more to read, do not
			// wait forever for the peer's FIN.
			if so.getstate(t, "tcp_input:fin_wait_1")&SS_CANTRCVMORE != 0 {
				st.soisdisconnected(t, so)
				_ = tp.msl.Reset(t, tcpMaxIdle)
			}
		}
	case TCPS_CLOSING:
		if ourFinAcked {
			tp.state = TCPS_TIME_WAIT
			tp.rexmt.Stop(t)
			_ = tp.msl.Reset(t, 2*tcpMSL)
			st.soisdisconnected(t, so)
		}
	case TCPS_LAST_ACK:
		if ourFinAcked {
			st.tcpClose(t, tp)
			return
		}
	case TCPS_TIME_WAIT:
		_ = tp.msl.Reset(t, 2*tcpMSL)
	}
	// Urgent data (tcp_pulloutofband): the byte before the urgent pointer leaves the stream.
	if seg.Flags&TH_URG != 0 && seg.Urp > 0 && int(seg.Urp) <= len(seg.Data) && seg.Seq == tp.rcvNxt &&
		!tp.state.haveRcvdFIN() {
		so.rcv.token.Lock(t)
		mark := int64(so.rcv.cc.AtomicLoad(t, "tcp_input:oobmark")) + int64(seg.Urp) - 1
		so.rcv.token.Unlock(t)
		so.oobmark.AtomicStore(t, "sohasoutofband", uint64(mark))
		if mark == 0 {
			so.sosetstate(t, "sohasoutofband", SS_RCVATMARK)
		}
		tp.iobc = seg.Data[seg.Urp-1]
		tp.oobHave, tp.oobHad = true, false
		// sohasoutofband wakes the reader now: the data processing below may close the
		// connection and free the socket (found by FuzzSockets: a wakeup after it touched a
		// freed socket).
		st.sorwakeup(t, so)
		data := append(append([]byte(nil), seg.Data[:seg.Urp-1]...), seg.Data[seg.Urp:]...)
		c := *seg
		c.Data = data
		st.tcpInputData(t, tp, &c, 1)
	} else {
		st.tcpInputData(t, tp, seg, 0)
	}
}

// appendData appends in-order data to so_rcv (sbappendstream). The token is held, unless a
// fault left it out.
func (st *Stack) appendData(t *sched.Thread, so *Socket, data []byte) {
	if st.faults.Has(FaultCantrcvmoreUnlocked) {
		so.rcv.token.Lock(t)
		defer func() { so.rcv.token.Unlock(t) }()
	}
	so.rcv.appendStream(t, data)
}

// tcpInputData appends in-order data and processes a FIN; extra is sequence space taken out
// of the data (the out-of-band byte).
func (st *Stack) tcpInputData(t *sched.Thread, tp *tcpcb, seg *Segment, extra uint32) {
	so := tp.so
	data := seg.Data
	seq := seg.Seq
	if seqLT(seq, tp.rcvNxt) { // trim what we already have
		d := tp.rcvNxt - seq
		if int(d) >= len(data)+int(extra) {
			data, extra = nil, 0
		} else if int(d) > len(data) {
			extra -= d - uint32(len(data))
			data = nil
		} else {
			data = data[d:]
		}
		seq = tp.rcvNxt
	}
	if seq != tp.rcvNxt {
		// Out of order: dropped, the peer retransmits. Only a segment that carries something
		// is acknowledged (BSD's reassembly path sets TF_ACKNOW for data or a FIN): answering
		// a bare ACK with an ACK lets two ends that disagree on the sequence (a socket
		// connected to itself with a zero window) ping-pong forever.
		if len(data) > 0 || extra > 0 || seg.Flags&TH_FIN != 0 {
			tp.ackNow = true
		}
		st.tcpOutput(t, tp)
		return
	}
	if len(data) > 0 || extra > 0 {
		if so.getstate(t, "tcp_input:nofdref")&SS_NOFDREF != 0 && tp.state > TCPS_CLOSE_WAIT {
			// "If new data is received on a connection after the user processes are gone,
			// then RST the other end."
			st.tcpDrop(t, tp, OK)
			st.dropWithReset(t, seg)
			return
		}
		switch tp.state {
		case TCPS_ESTABLISHED, TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2:
			// The 2008 mail's first SS_CANTRCVMORE test: data after shutdown is dropped. The
			// test is made under the sockbuf token, which shutdown's sorflush takes after
			// setting the bit: tested outside it, data can land after the flush.
			if st.faults.Has(FaultWakeupBeforeAppend) {
				// sorwakeup before the data is in so_rcv: a reader woken now finds nothing
				// and sleeps again, and nobody wakes it when the data lands.
				st.sowakeup(t, so, &so.rcv, true)
			}
			if st.faults.Has(FaultCantrcvmoreUnlocked) {
				if so.state.Load(t, "tcp_input:cantrcvmore")&SS_CANTRCVMORE == 0 {
					st.appendData(t, so, data)
				}
			} else {
				so.rcv.token.Lock(t)
				if so.getstate(t, "tcp_input:cantrcvmore")&SS_CANTRCVMORE == 0 {
					st.appendData(t, so, data)
				}
				so.rcv.token.Unlock(t)
			}
			tp.rcvNxt += uint32(len(data)) + extra
			tp.ackNow = true
			if !st.faults.Has(FaultWakeupBeforeAppend) {
				st.sorwakeup(t, so)
			}
		}
	}
	if seg.Flags&TH_FIN != 0 && seq+uint32(len(data))+extra == tp.rcvNxt && !tp.state.haveRcvdFIN() {
		tp.rcvNxt++
		tp.ackNow = true
		st.socantrcvmore(t, so)
		switch tp.state {
		case TCPS_SYN_RECEIVED, TCPS_ESTABLISHED:
			tp.state = TCPS_CLOSE_WAIT
		case TCPS_FIN_WAIT_1:
			tp.state = TCPS_CLOSING
		case TCPS_FIN_WAIT_2:
			tp.state = TCPS_TIME_WAIT
			tp.rexmt.Stop(t)
			_ = tp.msl.Reset(t, 2*tcpMSL)
			st.soisdisconnected(t, so)
		}
	} else if seg.Flags&TH_FIN != 0 && tp.state == TCPS_TIME_WAIT {
		tp.ackNow = true
		_ = tp.msl.Reset(t, 2*tcpMSL)
	}
	st.tcpOutput(t, tp)
}
