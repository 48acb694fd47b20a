package repro

import (
	"slices"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Program is one sockfuzz program: a header, processes making system calls, and a wire script.
// Its text form is described in the package comment; Parse reads it and String writes it.
type Program struct {
	// Comments are the program's leading comment lines, each the text after its '#', verbatim.
	Comments []string
	// Header is the execution set-up: faults, CPUs, mode and schedule.
	Header Header
	// Procs are the processes, each a thread running its calls in order.
	Procs []Proc
	// Wire is the wire script, run by the wire thread: injected packets, faults of the wire
	// and clock ticks.
	Wire []WireOp
}

// Header is a program's execution set-up.
type Header struct {
	// Target names the stack the program runs on, a registered stack.Target; "" is
	// stack.DefaultTarget (bsd), so that programs written before targets keep their meaning.
	Target string
	// Faults names the stack faults switched on (not checked against the catalog here).
	Faults []string
	// CPUs is the number of modeled CPUs (protocol threads), MinCPUs..MaxCPUs.
	CPUs int
	// Mode is the execution mode.
	Mode Mode
	// Sched is the schedule of a controlled execution.
	Sched Schedule
}

// Mode is an execution mode of the substrate.
type Mode string

// The execution modes.
const (
	// Controlled runs one thread at a time under the schedule; the default.
	Controlled Mode = "controlled"
	// Free runs the threads in parallel; the schedule is ignored.
	Free Mode = "free"
)

// SchedKind names a kind of schedule, registered in the substrate (sched.RegisterKind).
type SchedKind = sched.KindName

// The built-in kinds of schedule (sched's registry has their parameters and choosers).
const (
	// SchedDefault makes sched.Default's choices.
	SchedDefault = sched.KindDefault
	// SchedRandom is sched.Random(Seed).
	SchedRandom = sched.KindRandom
	// SchedPCT is sched.PCT(Seed, Depth, Steps).
	SchedPCT = sched.KindPCT
	// SchedSyncPCT is sched.SyncPCT(Seed, Depth, Syncs).
	SchedSyncPCT = sched.KindSyncPCT
	// SchedWalk is sched.Walk(Seed, Odds).
	SchedWalk = sched.KindWalk
	// SchedBytes is sched.Bytes(Bytes).
	SchedBytes = sched.KindBytes
	// SchedReplay is sched.Replay(Choices).
	SchedReplay = sched.KindReplay
)

// Schedule says how a controlled execution picks the next thread at each decision: a kind of
// the substrate's registry and its arguments (sched.Schedule).
type Schedule = sched.Schedule

// Proc is one process of a program.
type Proc struct {
	// Name names the process in the program (interrupt and fcntl setown refer to it).
	Name string
	// Calls are the system calls the process makes, in order.
	Calls []Call
}

// Call is one system call.
type Call struct {
	// Result is the index of the resource (descriptor) the call defines, rN in the text, or
	// -1. Only socket, accept and dup define one; results are numbered across the whole
	// program in order of definition.
	Result int
	// Name is the system call's name, as in the text (socket, bind, ..., interrupt).
	Name string
	// Args are its arguments, whose kinds the system call's signature fixes.
	Args []Arg
	// sc caches the call's table row (syscalls.go) while it names the call: set by Parse,
	// Decode and the minimizer, and by Validate for a call built by hand, so that the
	// executor makes the call without looking its name up.
	sc *syscall
}

// Arg is an argument of a call: a ResArg, IntArg, AddrArg, WordArg or ProcArg. Args are
// comparable values.
type Arg interface {
	// String returns the argument as the text writes it.
	String() string
	isArg()
}

// ResArg refers to the resource (descriptor) defined by an earlier call: rN.
type ResArg int

// IntArg is a number: a length, a backlog, a number of seconds, 0 or 1.
type IntArg int64

// WordArg is a keyword: a protocol, a flag, a command, a direction (tcp, oob, fionbio, rd...).
type WordArg string

// ProcArg names a process of the program.
type ProcArg string

// AddrArg is an IPv4 address and port: IP 0 is the stack's own address, written ":port".
type AddrArg struct {
	IP   uint32
	Port uint16
}

func (ResArg) isArg()  {}
func (IntArg) isArg()  {}
func (WordArg) isArg() {}
func (ProcArg) isArg() {}
func (AddrArg) isArg() {}

// WireKind is the kind of a wire operation.
type WireKind uint8

// The wire operations.
const (
	// WireInject puts a packet from the remote peer on the wire (Stack.Inject).
	WireInject WireKind = iota + 1
	// WireDrop drops the oldest in-flight segment (Stack.WireDrop).
	WireDrop
	// WireDup duplicates the oldest in-flight segment (Stack.WireDup).
	WireDup
	// WireReorder swaps the two oldest in-flight segments (Stack.WireReorder).
	WireReorder
	// WireTick lets virtual time pass (Stack.Tick).
	WireTick
	// WireUnreach drops the oldest in-flight segment the stack sent to the remote peer and
	// answers it with an ICMP destination unreachable (stack.WireICMP); a target variant,
	// "wire:unreach" in its Calls.
	WireUnreach
	// WireStackClose closes the whole stack while the program runs (stack.StackCloser); a
	// target variant, "wire:stackclose" in its Calls.
	WireStackClose
)

// WireOp is one operation of the wire script.
type WireOp struct {
	// Kind is the operation.
	Kind WireKind
	// Packet is the injected packet (WireInject).
	Packet Packet
	// Ms is the tick's length in milliseconds (WireTick without TwoMSL).
	Ms int64
	// TwoMSL makes the tick last twice the TCP maximum segment lifetime (WireTick).
	TwoMSL bool
}

// Packet is a segment or datagram injected from the remote peer, written as packetdrill does.
// Its payload is Len zero bytes; Seq is absolute, Ack relative to the receiving connection's
// initial sequence number.
type Packet struct {
	// Proto is stack.TCP or stack.UDP.
	Proto stack.Proto
	// Src and Dst are the addresses; IP 0 is the stack's own address.
	Src, Dst AddrArg
	// Flags are the TCP flags (stack.TH_*); TH_ACK is set exactly when the text has "ack N".
	Flags uint8
	// Seq is the sequence number of the first byte (TCP).
	Seq uint32
	// Ack is the acknowledgment number, relative (TCP, with TH_ACK).
	Ack uint32
	// Win is the advertised window (TCP).
	Win uint16
	// Urp is the urgent pointer (TCP).
	Urp uint16
	// Len is the payload length.
	Len int
}

// Equal reports whether p and q are the same program: nil and empty lists are alike.
func (p *Program) Equal(q *Program) bool {
	if p == nil || q == nil {
		return p == q
	}
	return slices.Equal(p.Comments, q.Comments) &&
		p.Header.equal(&q.Header) &&
		slices.EqualFunc(p.Procs, q.Procs, func(a, b Proc) bool {
			return a.Name == b.Name && slices.EqualFunc(a.Calls, b.Calls, func(x, y Call) bool {
				return x.Result == y.Result && x.Name == y.Name && slices.Equal(x.Args, y.Args)
			})
		}) &&
		slices.Equal(p.Wire, q.Wire)
}

func (h *Header) equal(o *Header) bool {
	return h.Target == o.Target && slices.Equal(h.Faults, o.Faults) && h.CPUs == o.CPUs && h.Mode == o.Mode &&
		h.Sched.Equal(&o.Sched)
}

// NewProgram returns an empty program with the default header: no faults, one CPU, controlled
// mode, the default schedule.
func NewProgram() *Program {
	return &Program{Header: Header{CPUs: 1, Mode: Controlled, Sched: Schedule{Kind: SchedDefault}}}
}
