package netstack

import (
	"bytes"
	"slices"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

const peer = 0x0a000002

// segFrame is the frame of a segment from src to dst, as netstack (out) or the peer writes it.
func segFrame(proto stack.Proto, src, dst stack.Addr, flags uint8, out bool) frame {
	return frame{b: buildFrame(&stack.Segment{Proto: proto, Src: src, Dst: dst, Flags: flags, Seq: 7, Win: 100}), out: out}
}

// TestUnreach checks the wire's unreach on hand-made in-flight queues, with no gVisor: it
// takes the oldest frame netstack sent to the peer (TCP or UDP) off the wire and appends an
// ICMP host unreachable that quotes it; frames from the peer, between the program's own
// sockets and ICMP messages are passed over; with none to take it changes nothing.
func TestUnreach(t *testing.T) {
	local := func(port uint16) stack.Addr { return stack.Addr{IP: stack.LocalIP, Port: port} }
	remote := func(port uint16) stack.Addr { return stack.Addr{IP: peer, Port: port} }
	fromPeer := segFrame(stack.TCP, remote(4000), local(80), stack.TH_SYN, false)
	loop := segFrame(stack.TCP, local(1000), local(80), stack.TH_SYN, true)
	syn := segFrame(stack.TCP, local(1001), remote(4000), stack.TH_SYN, true)
	udp := segFrame(stack.UDP, local(1002), remote(53), 0, true)
	icmp := frame{b: buildUnreach(udp.b), out: true} // as if netstack sent an ICMP error
	injectedOut := segFrame(stack.TCP, local(1003), remote(4001), stack.TH_RST, false)
	for _, tc := range []struct {
		name     string
		inflight []frame
		taken    int // index of the frame taken, -1 for none
	}{
		{"empty", nil, -1},
		{"nothing to the peer", []frame{fromPeer, loop, icmp, injectedOut}, -1},
		{"the syn behind others", []frame{fromPeer, loop, icmp, syn, udp}, 3},
		{"udp first", []frame{udp, syn}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := sched.New(sched.Config{Mode: sched.Controlled})
			w := newWire(&instance{e: e})
			w.inflight = slices.Clone(tc.inflight)
			e.Go("script", func(th *sched.Thread) { w.unreach(th) })
			if r := e.Run(); r.Status != sched.Done {
				t.Fatalf("status %v", r.Status)
			}
			if tc.taken < 0 {
				if !slices.EqualFunc(w.inflight, tc.inflight, func(a, b frame) bool { return bytes.Equal(a.b, b.b) }) {
					t.Errorf("the in-flight queue changed: %d frames, want %d", len(w.inflight), len(tc.inflight))
				}
				return
			}
			want := slices.Delete(slices.Clone(tc.inflight), tc.taken, tc.taken+1)
			if len(w.inflight) != len(want)+1 ||
				!slices.EqualFunc(w.inflight[:len(want)], want, func(a, b frame) bool { return bytes.Equal(a.b, b.b) }) {
				t.Fatalf("in flight after unreach: %d frames, want the others in order and the ICMP", len(w.inflight))
			}
			last := w.inflight[len(want)]
			if last.out || last.relAck {
				t.Errorf("the ICMP frame is marked out=%v relAck=%v", last.out, last.relAck)
			}
			checkUnreach(t, last.b, tc.inflight[tc.taken].b)
		})
	}
}

// checkUnreach checks that b is a well-formed ICMPv4 host unreachable about frame orig, from
// orig's destination to its source.
func checkUnreach(t *testing.T, b, orig []byte) {
	t.Helper()
	ip, o := header.IPv4(b), header.IPv4(orig)
	if !ip.IsValid(len(b)) || !ip.IsChecksumValid() {
		t.Fatalf("ICMP frame: bad IPv4 header % x", b[:header.IPv4MinimumSize])
	}
	if ip.TransportProtocol() != header.ICMPv4ProtocolNumber || ip.SourceAddress() != o.DestinationAddress() ||
		ip.DestinationAddress() != o.SourceAddress() {
		t.Errorf("ICMP frame: protocol %d, %v > %v; want ICMP from %v to %v", ip.TransportProtocol(),
			ip.SourceAddress(), ip.DestinationAddress(), o.DestinationAddress(), o.SourceAddress())
	}
	icmp := header.ICMPv4(ip.Payload())
	if icmp.Type() != header.ICMPv4DstUnreachable || icmp.Code() != header.ICMPv4HostUnreachable {
		t.Errorf("ICMP type %d code %d, want destination unreachable, host", icmp.Type(), icmp.Code())
	}
	if checksum.Checksum(icmp, 0) != 0xffff {
		t.Error("ICMP checksum does not verify")
	}
	if want := orig[:header.IPv4MinimumSize+8]; !bytes.Equal(icmp.Payload(), want) {
		t.Errorf("quoted % x, want the IP header and 8 bytes % x", icmp.Payload(), want)
	}
}
