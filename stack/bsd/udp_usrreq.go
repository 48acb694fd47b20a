package bsd

import (
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// udpcb is the UDP protocol control block.
type udpcb struct {
	local Addr
	// remote is the connected peer (packed by packAddr), read by udp_input on any protocol
	// thread and by sosend in process context while udp_connect may set it: atomic.
	remote atomic.Uint64
}

func packAddr(a Addr) uint64   { return uint64(a.IP)<<16 | uint64(a.Port) }
func unpackAddr(v uint64) Addr { return Addr{IP: uint32(v >> 16), Port: uint16(v)} }

// peer returns the connected peer, the zero Addr when there is none.
func (up *udpcb) peer() Addr { return unpackAddr(up.remote.Load()) }

// udp_usrreqs are UDP's user requests (udp_usrreqs). Not supported: listen and out-of-band
// data (pr_generic_notsupp), and pru_rcvd, which UDP does not want (no PR_WANTRCVD). The model
// has no pru_disconnect for UDP: soclose leaves a connected socket's peer to udp_detach.
var udp_usrreqs = pr_usrreqs{
	pru_abort:    (*Stack).udpAbort,
	pru_attach:   (*Stack).udpAttach,
	pru_bind:     (*Stack).udpBind,
	pru_connect:  (*Stack).udpConnect,
	pru_detach:   (*Stack).udpDetach,
	pru_peeraddr: udpPeeraddr,
	pru_send:     (*Stack).udpSend,
	pru_shutdown: (*Stack).udpShutdown,
}

// udpAttach is udp_attach: the buffers reserved, a control block and the pcb's reference. A
// UDP socket stays on protocol thread 0, where socreate runs it.
func (st *Stack) udpAttach(t *sched.Thread, so *Socket, _ *netisr) Errno {
	so.soreserve(udpSendSpace, udpRecvSpace)
	so.up = &udpcb{}
	so.pcb.AtomicStore(t, "udp_attach", 1)
	so.soreference(t, "in_pcballoc")
	return OK
}

// udpBind is udp_bind (so_pcb was checked by sobind) and udp's in_pcbbind: port 0 picks an
// ephemeral one.
func (st *Stack) udpBind(t *sched.Thread, so *Socket, port uint16) Errno {
	up := so.up
	if up == nil || up.local.Port != 0 {
		return EINVAL
	}
	st.tables.Lock(t)
	defer func() { st.tables.Unlock(t) }()
	if port == 0 {
		for p := uint16(49152); p != 0; p++ {
			if st.udpPorts[p] == nil {
				port = p
				break
			}
		}
	} else if st.udpPorts[port] != nil {
		return EADDRINUSE
	}
	st.udpPorts[port] = so
	up.local = Addr{IP: LocalIP, Port: port}
	return OK
}

// udpConnect is udp_connect: fix the peer and mark the socket connected. The socket stays on
// its protocol thread: nothing to forward.
func (st *Stack) udpConnect(t *sched.Thread, so *Socket, faddr Addr) (Errno, *netmsg) {
	if so.up == nil {
		return EINVAL, nil
	}
	if so.up.local.Port == 0 {
		if err := st.udpBind(t, so, 0); err != OK {
			return err, nil
		}
	}
	so.up.remote.Store(packAddr(faddr))
	st.soisconnected(t, so)
	return OK, nil
}

// udpPeeraddr is udp's pru_peeraddr (in_setpeeraddr): the connected peer, the zero Addr when
// there is none. It needs no message: the peer is an atomic word.
func udpPeeraddr(so *Socket) Addr {
	if so.up == nil {
		return Addr{}
	}
	return so.up.peer()
}

// udpSend is udp_send and udp_output: one datagram to nam, sosend's choice (the address given,
// else the connected peer). UDP has no out-of-band data; oob is ignored.
func (st *Stack) udpSend(t *sched.Thread, so *Socket, data []byte, to Addr, _ bool) Errno {
	up := so.up
	if up == nil {
		return EINVAL
	}
	if up.local.Port == 0 {
		if err := st.udpBind(t, so, 0); err != OK {
			return err
		}
	}
	st.wire.transmit(t, &Segment{Proto: UDP, Src: up.local, Dst: to, Data: append([]byte(nil), data...)})
	return OK
}

// udpInput is udp_input: queue the datagram on the bound socket, or drop it. UDP's pcbs are
// found in one table from any protocol thread.
func (st *Stack) udpInput(t *sched.Thread, _ *netisr, seg *Segment) {
	st.tables.Lock(t)
	so := st.udpPorts[seg.Dst.Port]
	var sender *Socket
	if so == nil {
		sender = st.udpPorts[seg.Src.Port]
	}
	st.tables.Unlock(t)
	if so == nil {
		// ICMP port unreachable, as udp_ctlinput and in_pcbnotify deliver it: only a
		// connected socket hears of it, through so_error.
		if sender != nil && sender.up != nil && sender.up.peer() == seg.Dst {
			sender.error.AtomicStore(t, "udp_ctlinput", uint64(ECONNREFUSED))
			st.sorwakeup(t, sender)
			st.sowwakeup(t, sender)
		}
		return
	}
	if so.up == nil {
		return
	}
	if r := so.up.peer(); r.Port != 0 && r != seg.Src {
		return
	}
	so.touch(t, "udp_input")
	so.rcv.token.Lock(t)
	if so.rcv.space(t, "udp_input") < len(seg.Data) || so.getstate(t, "udp_input")&SS_CANTRCVMORE != 0 {
		so.rcv.token.Unlock(t)
		return
	}
	so.rcv.appendRecord(t, seg.Data, seg.Src)
	so.rcv.token.Unlock(t)
	st.sorwakeup(t, so)
}

// udpShutdown is udp_shutdown: no more sends.
func (st *Stack) udpShutdown(t *sched.Thread, so *Socket) Errno {
	st.socantsendmore(t, so)
	return OK
}

// udpAbort is udp_abort: the pcb goes, as at udp_detach.
func (st *Stack) udpAbort(t *sched.Thread, so *Socket) Errno {
	if so.pcb.AtomicLoad(t, "pru_abort") != 0 {
		st.udpDetach(t, so)
	}
	return OK
}

// udpDetach is udp_detach: the pcb leaves the table and the socket.
func (st *Stack) udpDetach(t *sched.Thread, so *Socket) Errno {
	up := so.up
	if up == nil || so.pcb.AtomicLoad(t, "udp_detach") == 0 {
		return OK
	}
	st.tables.Lock(t)
	if up.local.Port != 0 && st.udpPorts[up.local.Port] == so {
		delete(st.udpPorts, up.local.Port)
	}
	st.tables.Unlock(t)
	st.serviceSync(t)
	so.pcb.AtomicStore(t, "in_pcbdetach", 0)
	st.sofree(t, so)
	return OK
}
