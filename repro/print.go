package repro

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack"
)

// String returns the program's text form, which Parse reads back to an equal program.
func (p *Program) String() string {
	var b strings.Builder
	p.print(&b)
	return b.String()
}

// AppendText appends the program's text form to b (encoding.TextAppender).
func (p *Program) AppendText(b []byte) ([]byte, error) {
	return append(b, p.String()...), nil
}

// MarshalText returns the program's text form (encoding.TextMarshaler).
func (p *Program) MarshalText() ([]byte, error) {
	return []byte(p.String()), nil
}

func (p *Program) print(b *strings.Builder) {
	for _, c := range p.Comments {
		b.WriteString("#")
		b.WriteString(c)
		b.WriteString("\n")
	}
	h := &p.Header
	if h.Target != "" {
		fmt.Fprintf(b, "target  %s\n", h.Target)
	}
	if len(h.Faults) > 0 {
		fmt.Fprintf(b, "faults  %s\n", strings.Join(h.Faults, " "))
	}
	fmt.Fprintf(b, "cpus    %d\n", h.CPUs)
	fmt.Fprintf(b, "mode    %s\n", h.Mode)
	fmt.Fprintf(b, "sched   %s\n", h.Sched.String())
	for i := range p.Procs {
		pr := &p.Procs[i]
		b.WriteString("\nproc ")
		b.WriteString(pr.Name)
		b.WriteString("\n")
		for j := range pr.Calls {
			b.WriteString("  ")
			b.WriteString(pr.Calls[j].String())
			b.WriteString("\n")
		}
	}
	if len(p.Wire) > 0 {
		b.WriteString("\nwire\n")
		for _, op := range p.Wire {
			b.WriteString("  ")
			b.WriteString(op.String())
			b.WriteString("\n")
		}
	}
}

// String returns the call as the text writes it.
func (c *Call) String() string {
	var b strings.Builder
	if c.Result >= 0 {
		fmt.Fprintf(&b, "r%d = ", c.Result)
	}
	b.WriteString(c.Name)
	b.WriteString("(")
	for i, a := range c.Args {
		if i > 0 {
			b.WriteString(", ")
		}
		if a == nil {
			b.WriteString("nil")
			continue
		}
		b.WriteString(a.String())
	}
	b.WriteString(")")
	return b.String()
}

// String returns rN.
func (r ResArg) String() string { return "r" + strconv.Itoa(int(r)) }

// String returns the number in decimal.
func (n IntArg) String() string { return strconv.FormatInt(int64(n), 10) }

// String returns the keyword.
func (w WordArg) String() string { return string(w) }

// String returns the process name.
func (p ProcArg) String() string { return string(p) }

// String returns ":port" for the stack's own address, else "a.b.c.d:port".
func (a AddrArg) String() string {
	if a.IP == 0 {
		return ":" + strconv.Itoa(int(a.Port))
	}
	return fmt.Sprintf("%d.%d.%d.%d:%d", a.IP>>24, a.IP>>16&0xff, a.IP>>8&0xff, a.IP&0xff, a.Port)
}

// String returns the wire operation as the text writes it.
func (op WireOp) String() string {
	switch op.Kind {
	case WireInject:
		return op.Packet.String()
	case WireDrop, WireDup, WireReorder, WireUnreach, WireStackClose:
		return op.Kind.String()
	case WireTick:
		if op.TwoMSL {
			return "tick 2msl"
		}
		return "tick " + strconv.FormatInt(op.Ms, 10)
	}
	return fmt.Sprintf("wireop(%d)", op.Kind)
}

// tcpFlagLetters are the flag letters of the text, in printing order; ACK has none: it is
// set by "ack N".
var tcpFlagLetters = []struct {
	bit    uint8
	letter byte
}{{stack.TH_SYN, 'S'}, {stack.TH_FIN, 'F'}, {stack.TH_RST, 'R'}, {stack.TH_PSH, 'P'}, {stack.TH_URG, 'U'}}

// String returns the packet in packetdrill's syntax: "< src > dst FLAGS seq:end(len) [ack N]
// [win N] [urg N]" for TCP, "< src > dst udp(len)" for UDP.
func (pk *Packet) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "< %v > %v ", pk.Src, pk.Dst)
	if pk.Proto == stack.UDP {
		fmt.Fprintf(&b, "udp(%d)", pk.Len)
		return b.String()
	}
	n := b.Len()
	for _, f := range tcpFlagLetters {
		if pk.Flags&f.bit != 0 {
			b.WriteByte(f.letter)
		}
	}
	if b.Len() == n {
		b.WriteByte('.')
	}
	fmt.Fprintf(&b, " %d:%d(%d)", pk.Seq, pk.Seq+uint32(pk.Len), pk.Len)
	if pk.Flags&stack.TH_ACK != 0 {
		fmt.Fprintf(&b, " ack %d", pk.Ack)
	}
	if pk.Win != DefaultWin {
		fmt.Fprintf(&b, " win %d", pk.Win)
	}
	if pk.Urp != 0 {
		fmt.Fprintf(&b, " urg %d", pk.Urp)
	}
	return b.String()
}
