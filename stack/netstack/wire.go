package netstack

import (
	"slices"
	"sync"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	gstack "gvisor.dev/gvisor/pkg/tcpip/stack"
)

// wireThread is the name of the thread that delivers frames.
const wireThread = "wire"

// frame is an IPv4 packet in flight.
type frame struct {
	b      []byte
	relAck bool // an injected TCP segment whose ack is relative to netstack's ISN
	out    bool // netstack wrote it (the scripted peer's and the network's frames are not)
}

// tuple names a TCP connection from netstack's side.
type tuple struct {
	localIP, remoteIP     uint32
	localPort, remotePort uint16
}

// wire carries frames between netstack's NIC and itself or the scripted peer
// (docs/netstack-design.md §3.5). Frames leave netstack through the channel endpoint's
// notification, on whatever goroutine wrote them; the wire thread delivers them in order. Its
// mutex is a standard one with no scheduling point inside, since the notification runs on
// gVisor's goroutines (Free) or on threads that cannot name themselves (Controlled).
type wire struct {
	in *instance
	q  *sched.WaitQueue
	th *sched.Thread

	mu       sync.Mutex
	inflight []frame
	isn      map[tuple]uint32 // netstack's initial sequence numbers, learned from its SYNs
	toPeer   []stack.Segment  // what netstack sent the scripted peer
	stopped  bool
	// closed is set by the wire script's stackclose: from then on frames for netstack are
	// dropped on delivery (see instance.StackClose).
	closed bool
}

func newWire(in *instance) *wire {
	return &wire{in: in, q: in.e.NewWaitQueue("wire"), isn: map[tuple]uint32{}}
}

// WriteNotify implements channel.Notification: netstack wrote frames to the NIC.
func (w *wire) WriteNotify() {
	w.mu.Lock()
	n := 0
	for {
		pkt := w.in.link.Read()
		if pkt == nil {
			break
		}
		v := pkt.ToView()
		b := append([]byte(nil), v.AsSlice()...)
		v.Release()
		pkt.DecRef()
		w.learn(b)
		w.inflight = append(w.inflight, frame{b: b, out: true})
		n++
	}
	w.mu.Unlock()
	if n > 0 {
		w.q.WakeOneForeign()
	}
}

// learn records the ISN of a SYN or SYN-ACK netstack sends (a SYN cookie's too: its sequence
// number is the cookie); a later SYN on the tuple replaces it. mu held.
func (w *wire) learn(b []byte) {
	ip := header.IPv4(b)
	if len(b) < header.IPv4MinimumSize || ip.TransportProtocol() != header.TCPProtocolNumber {
		return
	}
	tc := header.TCP(ip.Payload())
	if len(tc) < header.TCPMinimumSize || tc.Flags()&header.TCPFlagSyn == 0 {
		return
	}
	w.isn[tuple{ipOf(ip.SourceAddress()), ipOf(ip.DestinationAddress()), tc.SourcePort(), tc.DestinationPort()}] = tc.SequenceNumber()
}

// inject queues a segment from the scripted peer.
func (w *wire) inject(t *sched.Thread, seg stack.Segment) {
	if seg.Proto == 0 {
		seg.Proto = stack.TCP
	}
	f := frame{b: buildFrame(&seg), relAck: seg.Proto == stack.TCP && seg.Flags&stack.TH_ACK != 0}
	w.mu.Lock()
	w.inflight = append(w.inflight, f)
	w.mu.Unlock()
	w.q.WakeOne(t)
}

// run is the wire thread: it delivers the oldest frame in flight, or sleeps.
func (w *wire) run(t *sched.Thread) {
	for {
		w.q.Interlock(t)
		w.mu.Lock()
		stopped := w.stopped
		var f frame
		ok := len(w.inflight) > 0 && !stopped
		if ok {
			f = w.inflight[0]
			w.inflight = w.inflight[1:]
		}
		w.mu.Unlock()
		if stopped {
			return
		}
		if !ok {
			if err := w.q.Sleep(t, w.ready, sched.Interlocked); err == sched.ErrAborted {
				return
			}
			continue
		}
		w.deliver(f)
	}
}

// ready is the wire thread's wake condition.
func (w *wire) ready() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.inflight) > 0 || w.stopped
}

// deliver hands a frame to netstack if it is for the program's host, and to the scripted peer
// otherwise.
func (w *wire) deliver(f frame) {
	ip := header.IPv4(f.b)
	if ipOf(ip.DestinationAddress()) != stack.LocalIP {
		w.mu.Lock()
		w.toPeer = append(w.toPeer, parseSegment(f.b))
		w.mu.Unlock()
		return
	}
	w.mu.Lock()
	closed := w.closed
	w.mu.Unlock()
	if closed {
		return
	}
	if f.relAck {
		// Resolved on arrival, as the model does: a SYN-ACK still in flight when the ACK was
		// queued is learned by now.
		tc := header.TCP(ip.Payload())
		w.mu.Lock()
		isn := w.isn[tuple{ipOf(ip.DestinationAddress()), ipOf(ip.SourceAddress()), tc.DestinationPort(), tc.SourcePort()}]
		w.mu.Unlock()
		tc.SetAckNumber(tc.AckNumber() + isn)
		setTCPChecksum(ip)
	}
	pkt := gstack.NewPacketBuffer(gstack.PacketBufferOptions{Payload: buffer.MakeWithData(f.b)})
	w.in.link.InjectInbound(ipv4.ProtocolNumber, pkt)
	pkt.DecRef()
}

// stop ends the wire thread and waits for it.
func (w *wire) stop(t *sched.Thread) {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.q.WakeAll(t)
	_ = t.Join(w.th)
}

func (w *wire) drop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.inflight) > 0 {
		w.inflight = w.inflight[1:]
	}
}

func (w *wire) dup() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.inflight) > 0 {
		f := w.inflight[0]
		f.b = append([]byte(nil), f.b...)
		w.inflight = append(w.inflight[:1], append([]frame{f}, w.inflight[1:]...)...)
	}
}

func (w *wire) reorder() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.inflight) > 1 {
		w.inflight[0], w.inflight[1] = w.inflight[1], w.inflight[0]
	}
}

// unreach is the wire script's `unreach`: the oldest in-flight frame netstack sent to the peer
// leaves the wire, as a router that cannot reach the peer drops it, and the router's ICMP
// destination unreachable for it joins the wire's tail, for netstack. Only the first fragment
// of a TCP or UDP packet qualifies: ICMP errors quote the transport header, and none is sent
// about an ICMP message (RFC 1122 3.2.2). With no such frame in flight it does nothing.
func (w *wire) unreach(t *sched.Thread) {
	w.mu.Lock()
	i := slices.IndexFunc(w.inflight, func(f frame) bool { return f.out && unreachable(f.b) })
	if i < 0 {
		w.mu.Unlock()
		return
	}
	f := w.inflight[i]
	w.inflight = append(w.inflight[:i:i], w.inflight[i+1:]...)
	w.inflight = append(w.inflight, frame{b: buildUnreach(f.b)})
	w.mu.Unlock()
	w.q.WakeOne(t)
}

// unreachable reports whether an ICMP error may answer frame b: a TCP or UDP packet to the
// peer, its first fragment.
func unreachable(b []byte) bool {
	ip := header.IPv4(b)
	if ipOf(ip.DestinationAddress()) == stack.LocalIP || ip.FragmentOffset() != 0 {
		return false
	}
	p := ip.TransportProtocol()
	return p == header.TCPProtocolNumber || p == header.UDPProtocolNumber
}

// unreachCode is the ICMP code `unreach` sends: host unreachable. gVisor's IPv4 turns it
// into a DestinationHostUnreachableTransportError (network/ipv4/icmp.go, handleICMP), which
// TCP's HandleError passes to onICMPError as ErrHostUnreachable
// (transport/tcp/endpoint.go, HandleError): during a handshake that is a hard error, the
// endpoint goes to StateError and connect fails with EHOSTUNREACH (errno.go); on an
// established connection only SO_ERROR records it, as Linux's soft errors.
const unreachCode = header.ICMPv4HostUnreachable

// buildUnreach encodes the ICMPv4 destination unreachable a router sends about frame b: from
// b's destination (the router answers for the host it cannot reach) to b's source, quoting
// b's IP header and the first 8 bytes of its transport header (RFC 792).
func buildUnreach(b []byte) []byte {
	orig := header.IPv4(b)
	quote := b[:min(len(b), int(orig.HeaderLength())+8)]
	total := header.IPv4MinimumSize + header.ICMPv4MinimumSize + len(quote)
	out := make([]byte, total)
	ip := header.IPv4(out)
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(total), TTL: 64, Protocol: uint8(header.ICMPv4ProtocolNumber),
		SrcAddr: orig.DestinationAddress(), DstAddr: orig.SourceAddress()})
	ip.SetChecksum(^ip.CalculateChecksum())
	icmp := header.ICMPv4(ip.Payload())
	icmp.SetType(header.ICMPv4DstUnreachable)
	icmp.SetCode(unreachCode)
	copy(icmp.Payload(), quote)
	icmp.SetChecksum(header.ICMPv4Checksum(icmp[:header.ICMPv4MinimumSize], checksum.Checksum(quote, 0)))
	return out
}

// buildFrame encodes seg as an IPv4 frame with gVisor's header package: no IP or TCP options,
// so netstack runs without window scaling, SACK or timestamps for the peer.
func buildFrame(seg *stack.Segment) []byte {
	thl := header.TCPMinimumSize
	proto := header.TCPProtocolNumber
	if seg.Proto == stack.UDP {
		thl, proto = header.UDPMinimumSize, header.UDPProtocolNumber
	}
	total := header.IPv4MinimumSize + thl + len(seg.Data)
	b := make([]byte, total)
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{TotalLength: uint16(total), TTL: 64, Protocol: uint8(proto),
		SrcAddr: addrFrom(seg.Src.IP), DstAddr: addrFrom(seg.Dst.IP)})
	ip.SetChecksum(^ip.CalculateChecksum())
	copy(b[header.IPv4MinimumSize+thl:], seg.Data)
	if seg.Proto == stack.UDP {
		u := header.UDP(ip.Payload())
		u.Encode(&header.UDPFields{SrcPort: seg.Src.Port, DstPort: seg.Dst.Port, Length: uint16(thl + len(seg.Data))})
		xsum := header.PseudoHeaderChecksum(proto, ip.SourceAddress(), ip.DestinationAddress(), uint16(thl+len(seg.Data)))
		xsum = checksum.Checksum(seg.Data, xsum)
		u.SetChecksum(^u.CalculateChecksum(xsum))
		return b
	}
	tc := header.TCP(ip.Payload())
	tc.Encode(&header.TCPFields{SrcPort: seg.Src.Port, DstPort: seg.Dst.Port, SeqNum: seg.Seq, AckNum: seg.Ack,
		DataOffset: uint8(thl), Flags: header.TCPFlags(seg.Flags), WindowSize: seg.Win, UrgentPointer: seg.Urp})
	setTCPChecksum(ip)
	return b
}

// setTCPChecksum computes the TCP checksum of the segment in ip.
func setTCPChecksum(ip header.IPv4) {
	tc := header.TCP(ip.Payload())
	tc.SetChecksum(0)
	xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(tc)))
	xsum = checksum.Checksum(tc.Payload(), xsum)
	tc.SetChecksum(^tc.CalculateChecksum(xsum))
}

// parseSegment decodes a frame netstack sent into the boundary's segment.
func parseSegment(b []byte) stack.Segment {
	ip := header.IPv4(b)
	src, dst := ipOf(ip.SourceAddress()), ipOf(ip.DestinationAddress())
	if ip.TransportProtocol() == header.UDPProtocolNumber {
		u := header.UDP(ip.Payload())
		return stack.Segment{Proto: stack.UDP, Src: stack.Addr{IP: src, Port: u.SourcePort()},
			Dst: stack.Addr{IP: dst, Port: u.DestinationPort()}, Data: append([]byte(nil), u.Payload()...)}
	}
	tc := header.TCP(ip.Payload())
	return stack.Segment{Proto: stack.TCP, Src: stack.Addr{IP: src, Port: tc.SourcePort()},
		Dst: stack.Addr{IP: dst, Port: tc.DestinationPort()}, Seq: tc.SequenceNumber(), Ack: tc.AckNumber(),
		Flags: uint8(tc.Flags()), Win: tc.WindowSize(), Urp: tc.UrgentPointer(), Data: append([]byte(nil), tc.Payload()...)}
}
