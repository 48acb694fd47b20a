package stack

import (
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Target is a socket stack that programs run on: the DragonFly model ("bsd"), gVisor's
// netstack, or a user's own. The program layer (package repro) reaches a stack only through
// this interface, as syzkaller's prog reaches sys/linux through prog.Target and database/sql its
// drivers through driver.Driver. A Target is registered once (Register) and looked up by name.
type Target interface {
	// Name is the name programs (`target bsd`) and the tools' -target flag give it.
	Name() string
	// Calls lists the system calls the target supports, by the program language's names
	// (socket, bind, ..., interrupt), and the optional wire operations it has
	// (CallWireUnreach, CallWireStackClose). A program that makes another call or uses another
	// such operation does not validate for this target.
	Calls() []string
	// Faults is the target's fault catalog; a FaultSet's bit i is Faults()[i].
	Faults() []Fault
	// Role tells what a thread the target started is, by the name it gave it: the executor
	// knows its own threads (processes, the wire script, the reaper), the target the rest.
	Role(thread string) Role
	// New builds the target's stack for one execution on e, starting its threads there.
	// Everything it starts ends with the execution: Instance.Teardown, run by the executor's
	// last thread, stops it, and after the execution Release may recycle its memory.
	New(e *sched.Exec, cfg Config) (Instance, error)
}

// Config sets up one instance.
type Config struct {
	// CPUs is the number of modeled CPUs (protocol threads, TCP processors), 1 to 4.
	CPUs int
	// Faults switches on faults of the target's catalog; the zero value is the correct stack.
	Faults FaultSet
	// Reporter collects the reports of the target's own oracles, which the instance installs
	// (Instance.Oracles returns those that look at quiescence and at the end). Nil runs the
	// stack with no oracle at all, for measuring the harness itself.
	Reporter *oracle.Reporter
}

// Instance is one target's stack in one execution.
type Instance interface {
	// NewProc makes the process that thread th (already started, not yet run) plays.
	NewProc(name string, th *sched.Thread) Proc
	// Inject puts a scripted segment from the remote peer on the wire. Its sequence and
	// acknowledgment numbers are relative to the initial sequence numbers, as packetdrill
	// writes them.
	Inject(t *sched.Thread, seg Segment)
	// WireDrop, WireDup and WireReorder drop, duplicate and swap segments in flight: the
	// oldest, the oldest, and the two oldest.
	WireDrop(t *sched.Thread)
	WireDup(t *sched.Thread)
	WireReorder(t *sched.Thread)
	// Tick advances the stack's clock by d (the wire script's `tick`).
	Tick(t *sched.Thread, d sched.Duration)
	// TwoMSL is twice the maximum segment lifetime, the wire script's `tick 2msl`.
	TwoMSL() sched.Duration
	// Teardown stops the instance's threads once the program's threads have ended: it closes
	// what the program left open, lets the timers run out and joins everything it started.
	Teardown(t *sched.Thread)
	// Oracles are the target's oracles for this instance (nil without a Reporter), called at
	// each quiescence and at the end after the generic ones.
	Oracles() []oracle.Oracle
	// Release gives the instance's memory back once nothing reads it any more.
	Release()
}

// The wire operations not every target has. A target that has one lists its name among its
// Calls (the variant mechanism: "wire:" and the operation's name in the program text), and its
// instances implement the operation's optional interface below; a program using an operation
// its target does not list fails validation (repro.ValidateTarget).
const (
	// CallWireUnreach is listed by a target whose instances implement WireICMP.
	CallWireUnreach = "wire:unreach"
	// CallWireStackClose is listed by a target whose instances implement StackCloser.
	CallWireStackClose = "wire:stackclose"
)

// WireICMP is the optional interface of an instance whose wire can answer for the network with
// ICMP errors: the wire script's `unreach`.
type WireICMP interface {
	// WireUnreach takes the oldest in-flight segment the stack sent to the remote peer off the
	// wire, as a router that cannot reach the peer would, and delivers to the stack an ICMP
	// destination unreachable quoting it. With no such segment in flight it does nothing.
	WireUnreach(t *sched.Thread)
}

// StackCloser is the optional interface of an instance whose whole stack can be closed while
// the program runs: the wire script's `stackclose`.
type StackCloser interface {
	// StackClose closes the stack on thread t: every endpoint is aborted, and blocked calls
	// must wake with an error. Later calls on the program's descriptors fail without panic or
	// hang, new sockets cannot be made, and Teardown copes with the stack already closed.
	StackClose(t *sched.Thread)
}

// Proc is a process of a program on an instance: its system calls. Descriptors are the
// process's own, in a file table that processes of one program share (a shared table, so that
// one process can close what another uses). Calls that block do so on the substrate, as
// predicate waits an Interrupt can end with EINTR. A call a target does not list in Calls is
// never made on it.
type Proc interface {
	// PID is the process's id, as fcntl F_SETOWN names it.
	PID() int
	Socket(t *sched.Thread, proto Proto) (int, Errno)
	Bind(t *sched.Thread, fd int, port uint16) Errno
	Listen(t *sched.Thread, fd, backlog int) Errno
	Connect(t *sched.Thread, fd int, addr Addr) Errno
	Accept(t *sched.Thread, fd int) (int, Errno)
	// SendTo sends data, to the address if to is not nil; flags are MSG_* bits.
	SendTo(t *sched.Thread, fd int, data []byte, to *Addr, flags int) (int, Errno)
	// RecvFrom receives up to n bytes and the sender's address; flags are MSG_* bits.
	RecvFrom(t *sched.Thread, fd, n, flags int) ([]byte, Addr, Errno)
	// Shutdown shuts down a direction, SHUT_RD, SHUT_WR or SHUT_RDWR.
	Shutdown(t *sched.Thread, fd, how int) Errno
	Close(t *sched.Thread, fd int) Errno
	Dup(t *sched.Thread, fd int) (int, Errno)
	// SetNonblock and SetAsync are ioctl FIONBIO and FIOASYNC.
	SetNonblock(t *sched.Thread, fd int, on bool) Errno
	SetAsync(t *sched.Thread, fd int, on bool) Errno
	// SetOwn is fcntl F_SETOWN: SIGIO of the socket goes to process pid.
	SetOwn(t *sched.Thread, fd, pid int) Errno
	// SetLinger is setsockopt SO_LINGER.
	SetLinger(t *sched.Thread, fd int, on bool, secs int) Errno
	// AtMark is sockatmark.
	AtMark(t *sched.Thread, fd int) (bool, Errno)
	// SockError is getsockopt SO_ERROR: the pending error, which it clears.
	SockError(t *sched.Thread, fd int) (Errno, Errno)
	// Poll returns the ready POLL* bits among events; with wait it blocks until one is.
	Poll(t *sched.Thread, fd, events int, wait bool) (int, Errno)
	// Interrupt signals process target, so that its blocking call returns EINTR.
	Interrupt(t *sched.Thread, target Proc) Errno
}

// Role is what a thread of an execution does, for traces and tools.
type Role uint8

// The roles.
const (
	// RoleOther is a thread of the target with no more specific role.
	RoleOther Role = iota
	// RoleProcess runs a process of the program.
	RoleProcess
	// RoleScript runs the program's wire script.
	RoleScript
	// RoleProtocol is a protocol thread of the stack (a netisr, a TCP processor).
	RoleProtocol
	// RoleWire delivers segments between the stack's endpoints and the remote peer.
	RoleWire
	// RoleClock fires the stack's timers.
	RoleClock
	// RoleReaper joins the program's threads and tears the instance down.
	RoleReaper
)

var roleNames = [...]string{"other", "proc", "script", "protocol", "wire", "clock", "reaper"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "role?"
}
