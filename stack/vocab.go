package stack

import "fmt"

// The vocabulary every target shares with the program layer: protocols, addresses, the flags
// of send, recv, poll and shutdown, TCP header flags and the segments of the wire. The values
// are DragonFly BSD's (sys/sys/socket.h, sys/sys/poll.h, netinet/tcp.h), as the model was
// written first; a target whose stack uses other numbers translates at its edge.

// Proto is a socket's protocol.
type Proto uint8

// The protocols.
const (
	TCP Proto = iota + 1
	UDP
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return "proto?"
}

// LocalIP is the address of the host the program's processes run on: every socket of the
// program lives on it. Any other address is the scripted remote peer.
const LocalIP = 0x0a000001 // 10.0.0.1

// Addr is an IPv4 address and port.
type Addr struct {
	IP   uint32
	Port uint16
}

func (a Addr) String() string {
	if a.IP == LocalIP {
		return fmt.Sprintf(":%d", a.Port)
	}
	return fmt.Sprintf("%d.%d.%d.%d:%d", a.IP>>24, a.IP>>16&0xff, a.IP>>8&0xff, a.IP&0xff, a.Port)
}

// Message flags (sys/sys/socket.h).
const (
	MSG_OOB      = 0x1
	MSG_PEEK     = 0x2
	MSG_WAITALL  = 0x40
	MSG_DONTWAIT = 0x80
)

// shutdown(2) directions.
const (
	SHUT_RD   = 0
	SHUT_WR   = 1
	SHUT_RDWR = 2
)

// poll(2) bits.
const (
	POLLIN   = 0x01
	POLLPRI  = 0x02
	POLLOUT  = 0x04
	POLLERR  = 0x08
	POLLHUP  = 0x10
	POLLNVAL = 0x20
)

// TCP header flags.
const (
	TH_FIN = 0x01
	TH_SYN = 0x02
	TH_RST = 0x04
	TH_PSH = 0x08
	TH_ACK = 0x10
	TH_URG = 0x20
)

// Segment is a packet on the wire: a TCP segment or a UDP datagram.
type Segment struct {
	Proto    Proto
	Src, Dst Addr
	Seq, Ack uint32
	Flags    uint8
	Win      uint16
	Urp      uint16
	Data     []byte
	// RelAck says Ack is relative to the receiving connection's initial sequence number
	// (injected segments, packetdrill style); tcp_input resolves it on arrival.
	RelAck bool
}

func (s *Segment) String() string {
	if s.Proto == UDP {
		return fmt.Sprintf("udp %v > %v (%d)", s.Src, s.Dst, len(s.Data))
	}
	f := ""
	for _, x := range []struct {
		bit uint8
		c   string
	}{{TH_SYN, "S"}, {TH_FIN, "F"}, {TH_RST, "R"}, {TH_PSH, "P"}, {TH_URG, "U"}} {
		if s.Flags&x.bit != 0 {
			f += x.c
		}
	}
	if f == "" {
		f = "."
	}
	out := fmt.Sprintf("%v > %v %s %d:%d(%d)", s.Src, s.Dst, f, s.Seq, s.Seq+uint32(len(s.Data)), len(s.Data))
	if s.Flags&TH_ACK != 0 {
		out += fmt.Sprintf(" ack %d", s.Ack)
	}
	return out + fmt.Sprintf(" win %d", s.Win)
}
