package bsd

import (
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TCP timing, in virtual milliseconds (netinet/tcp_timer.h).
const (
	tcpMSS         = 512
	tcpRexmtMin    = 1000      // TCPTV_MIN
	tcpRexmtMax    = 64000     // TCPTV_REXMTMAX
	tcpMaxRxtShift = 12        // TCP_MAXRXTSHIFT
	tcpKeepInit    = 75000     // TCPTV_KEEP_INIT: connection establishment
	tcpMSL         = 30000     // TCPTV_MSL
	tcpMaxIdle     = 8 * 75000 // tcp_maxidle: the FIN_WAIT_2 timer
	tcpMaxWin      = 65535
)

// TwoMSL is twice TCP's maximum segment lifetime, the length of TIME_WAIT, in virtual ms.
const TwoMSL = 2 * tcpMSL

// tcpcb is the TCP control block, owned by one protocol thread.
type tcpcb struct {
	so     *Socket
	n      *netisr
	state  TCPState
	local  Addr
	remote Addr
	// closed is set by tcp_close; atomic, because tcp_input on another protocol thread may test
	// it on a listener it found in the tables just before the close took it out.
	closed atomic.Bool

	iss, irs  uint32
	sndUna    uint32
	sndNxt    uint32
	sndMax    uint32
	sndWnd    uint32
	sndBufSeq uint32 // sequence number of so_snd's first byte
	sndUp     uint32 // urgent pointer; urgent data pending while sndUp > sndUna
	finWanted bool   // the user closed: a FIN follows the data
	rcvNxt    uint32
	ackNow    bool
	passive   bool // created by sonewconn

	rxtShift int
	rexmt    *sched.Timer
	keep     *sched.Timer // connection establishment
	msl      *sched.Timer // 2MSL and the FIN_WAIT_2 idle timer

	iobc    byte // the out-of-band byte (t_iobc)
	oobHave bool // TCPOOB_HAVEDATA
	oobHad  bool // TCPOOB_HADDATA
}

// seq comparisons (SEQ_LT and friends).
func seqLT(a, b uint32) bool  { return int32(a-b) < 0 }
func seqLEQ(a, b uint32) bool { return int32(a-b) <= 0 }
func seqGT(a, b uint32) bool  { return int32(a-b) > 0 }
func seqGEQ(a, b uint32) bool { return int32(a-b) >= 0 }

// owned asserts that t is the protocol thread owning tp: a pcb is touched only by its own
// thread (DragonFly asserts the current port is so_port), so that it needs no lock.
func (tp *tcpcb) owned(t *sched.Thread, site string) {
	if t != tp.n.t { // not assert: its message would be built on every call
		panic(site + ": pcb not owned by this protocol thread")
	}
}

// tcpTimer runs a timer's handler on the connection's protocol thread, as DragonFly's TCP
// timers send a message to the owning CPU.
func (st *Stack) tcpTimer(c *sched.Thread, tp *tcpcb, name string, fn func(*sched.Thread, *tcpcb)) {
	st.sendmsg(c, tp.n, name, func(t *sched.Thread) Errno {
		if !tp.closed.Load() {
			fn(t, tp)
		}
		return OK
	})
}

// bindPort reserves a local port (in_pcbbind); 0 picks an ephemeral one. tables is held.
func (st *Stack) bindPort(port uint16) (uint16, Errno) {
	if port == 0 {
		for i := 0; i < 16384; i++ {
			p := st.nextPort
			st.nextPort++
			if st.nextPort < 49152 {
				st.nextPort = 49152
			}
			if st.bound[p] == 0 {
				port = p
				break
			}
		}
		if port == 0 {
			return 0, EADDRINUSE
		}
	} else if st.bound[port] > 0 {
		return 0, EADDRINUSE
	}
	st.bound[port]++
	return port, OK
}

// tcpDrop is tcp_drop: send a RST if the peer knows the connection, record the error, close.
func (st *Stack) tcpDrop(t *sched.Thread, tp *tcpcb, errno Errno) {
	if tp.state.haveRcvdSYN() {
		tp.state = TCPS_CLOSED
		st.tcpRespond(t, tp.local, tp.remote, tp.sndNxt, tp.rcvNxt, TH_RST|TH_ACK)
	}
	if errno != OK {
		tp.so.error.AtomicStore(t, "tcp_drop:so_error", uint64(errno))
	}
	st.tcpClose(t, tp)
}

// tcpClose is tcp_close: the timers stop, the pcb leaves the tables and detaches from the
// socket (in_pcbdetach: so_pcb = NULL, then sofree drops the pcb's reference).
func (st *Stack) tcpClose(t *sched.Thread, tp *tcpcb) {
	if tp.closed.Load() {
		return
	}
	tp.owned(t, "tcp_close")
	tp.closed.Store(true)
	so := tp.so
	tp.rexmt.Stop(t)
	tp.keep.Stop(t)
	tp.msl.Stop(t)
	st.tables.Lock(t)
	if tp.state == TCPS_LISTEN || st.listeners[tp.local.Port] == so {
		if st.listeners[tp.local.Port] == so {
			delete(st.listeners, tp.local.Port)
		}
	}
	if tp.remote.Port != 0 && st.conns[fourTuple{tp.local, tp.remote}] == so {
		delete(st.conns, fourTuple{tp.local, tp.remote})
	}
	if tp.local.Port != 0 && st.bound[tp.local.Port] > 0 {
		st.bound[tp.local.Port]--
	}
	st.tables.Unlock(t)
	if tp.state == TCPS_LISTEN {
		st.serviceSync(t)
	}
	tp.state = TCPS_CLOSED
	if st.faults.Has(FaultDisconnectedAfterFree) {
		so.pcb.AtomicStore(t, "in_pcbdetach", 0)
		st.sofree(t, so)
		st.soisdisconnected(t, so)
		return
	}
	st.soisdisconnected(t, so)
	so.pcb.AtomicStore(t, "in_pcbdetach", 0)
	st.sofree(t, so)
}

// tcpRespond sends a bare segment (tcp_respond).
func (st *Stack) tcpRespond(t *sched.Thread, local, remote Addr, seq, ack uint32, flags uint8) {
	st.wire.transmit(t, &Segment{Proto: TCP, Src: local, Dst: remote, Seq: seq, Ack: ack, Flags: flags})
}

// tcpRcvWnd is the window to advertise: the free space of so_rcv.
func (st *Stack) tcpRcvWnd(t *sched.Thread, tp *tcpcb) uint16 {
	w := tp.so.rcv.space(t, "tcp_output:rcv_wnd")
	if w < 0 {
		w = 0
	}
	if w > tcpMaxWin {
		w = tcpMaxWin
	}
	return uint16(w)
}

// tcpOutput is tcp_output: send what the state, the window and so_snd allow.
func (st *Stack) tcpOutput(t *sched.Thread, tp *tcpcb) {
	if tp.closed.Load() {
		return
	}
	tp.owned(t, "tcp_output")
	so := tp.so
	for {
		seg := &Segment{Proto: TCP, Src: tp.local, Dst: tp.remote, Seq: tp.sndNxt, Ack: tp.rcvNxt}
		if tp.state != TCPS_SYN_SENT {
			seg.Flags |= TH_ACK
		}
		var sent uint32
		switch {
		case (tp.state == TCPS_SYN_SENT || tp.state == TCPS_SYN_RECEIVED) && tp.sndNxt == tp.iss:
			seg.Flags |= TH_SYN
			sent = 1
		case tp.state >= TCPS_ESTABLISHED && tp.state != TCPS_TIME_WAIT:
			so.snd.token.Lock(t)
			off := int(tp.sndNxt - tp.sndBufSeq)
			avail := len(so.snd.data) - off
			win := int(tp.sndUna + tp.sndWnd - tp.sndNxt)
			if int32(tp.sndUna+tp.sndWnd-tp.sndNxt) < 0 {
				win = 0
			}
			n := min(avail, win, tcpMSS)
			if n > 0 {
				seg.Data = append([]byte(nil), so.snd.data[off:off+n]...)
				sent = uint32(n)
			}
			so.snd.token.Unlock(t)
			finSeq := tp.sndBufSeq + uint32(len(so.snd.data))
			if tp.finWanted && tp.sndNxt+sent == finSeq && sent == uint32(avail) && tp.state != TCPS_CLOSE_WAIT {
				seg.Flags |= TH_FIN
				sent++
			}
			if avail > 0 && win == 0 && tp.sndMax == tp.sndUna && !tp.rexmt.Armed() {
				_ = tp.rexmt.Reset(t, tcpRexmtMin) // the persist timer
			}
		}
		if seqGT(tp.sndUp, tp.sndNxt) && seg.Flags&TH_ACK != 0 {
			seg.Flags |= TH_URG
			seg.Urp = uint16(tp.sndUp - tp.sndNxt)
		}
		if sent == 0 && !tp.ackNow {
			return
		}
		seg.Win = st.tcpRcvWnd(t, tp)
		tp.ackNow = false
		tp.sndNxt += sent
		if seqGT(tp.sndNxt, tp.sndMax) {
			tp.sndMax = tp.sndNxt
		}
		if sent > 0 && !tp.rexmt.Armed() {
			_ = tp.rexmt.Reset(t, tcpRexmtMin<<min(tp.rxtShift, 6))
		}
		st.wire.transmit(t, seg)
		if sent == 0 {
			return
		}
	}
}

// tcpTimerRexmt is tcp_timer_rexmt (and the persist timer on a zero window).
func (st *Stack) tcpTimerRexmt(t *sched.Thread, tp *tcpcb) {
	if tp.sndMax == tp.sndUna {
		// Persist: probe a zero window with one byte.
		if tp.sndWnd == 0 {
			tp.sndWnd = 1
			st.tcpOutput(t, tp)
			tp.sndWnd = 0
		}
		return
	}
	tp.rxtShift++
	if tp.rxtShift > tcpMaxRxtShift {
		st.tcpDrop(t, tp, ETIMEDOUT)
		return
	}
	tp.sndNxt = tp.sndUna
	_ = tp.rexmt.Reset(t, sched.Duration(min(tcpRexmtMin<<min(tp.rxtShift, 6), tcpRexmtMax)))
	st.tcpOutput(t, tp)
}

// tcpTimerKeep is tcp_timer_keep during connection establishment.
func (st *Stack) tcpTimerKeep(t *sched.Thread, tp *tcpcb) {
	if tp.state < TCPS_ESTABLISHED {
		st.tcpDrop(t, tp, ETIMEDOUT)
	}
}

// tcpTimer2MSL is tcp_timer_2msl: the end of TIME_WAIT, or of an idle FIN_WAIT_2.
func (st *Stack) tcpTimer2MSL(t *sched.Thread, tp *tcpcb) {
	if tp.state == TCPS_TIME_WAIT || tp.state == TCPS_FIN_WAIT_2 {
		st.tcpClose(t, tp)
	}
}
