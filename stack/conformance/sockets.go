// Package conformance compares socket behaviour, step by step, against what DragonFly BSD (the
// "netmp" era, around 2010) specifies.
//
// A Scenario is a short sequential program of socket calls (socket, bind, listen, connect,
// accept, send, recv, shutdown, close, dup, poll, ...) together with the result each step must
// produce: its return value and its Errno, as BSD gives them. Where Linux really behaves
// differently, a step carries an explicit Linux override with the reason and the BSD source
// location that decides the BSD answer.
//
// Scenarios drive the small Sockets interface, written in BSD terms: descriptors are ints,
// errors are Errno values with BSD's numbering, ports are symbolic. Two implementations plug
// into it:
//
//   - the host (host_linux.go): real sockets of the running kernel over 127.0.0.1, checked with
//     the "linux" flavour, which keeps the table honest about what a real kernel does;
//   - the DragonFly model (package stack/bsd, its adapter in stack/bsd/conformance_test.go,
//     TestConformanceModel), checked with the "bsd" flavour: the same table tells whether the
//     model answers as DragonFly does.
//
// Run executes one scenario on one implementation and returns readable mismatches.
//
// Every BSD expectation assumes that the packets the previous steps put on the loopback have
// been processed before the next step runs, as the host's loopback does in practice: between
// two steps the model delivers every segment in flight and runs its protocol threads until they
// are idle, without advancing the virtual clock (no retransmission, keepalive or 2MSL timer
// fires). Steps whose outcome genuinely depends on timing list every acceptable outcome and say
// why.
package conformance

import (
	"fmt"
	"strings"
)

// Errno is a socket error number in BSD's numbering (sys/sys/errno.h); 0 means success. The
// host implementation translates its kernel's errors into these values.
type Errno int

// The error numbers a socket scenario can meet, with DragonFly BSD's values.
const (
	OK           Errno = 0  // success
	EINTR        Errno = 4  // interrupted system call
	EBADF        Errno = 9  // bad file descriptor
	EINVAL       Errno = 22 // invalid argument
	EPIPE        Errno = 32 // broken pipe
	EWOULDBLOCK  Errno = 35 // operation would block (EAGAIN is the same number)
	EINPROGRESS  Errno = 36 // operation now in progress
	EALREADY     Errno = 37 // operation already in progress
	ENOTSOCK     Errno = 38 // socket operation on non-socket
	EDESTADDRREQ Errno = 39 // destination address required
	EMSGSIZE     Errno = 40 // message too long
	EOPNOTSUPP   Errno = 45 // operation not supported
	EADDRINUSE   Errno = 48 // address already in use
	ECONNABORTED Errno = 53 // software caused connection abort
	ECONNRESET   Errno = 54 // connection reset by peer
	EISCONN      Errno = 56 // socket is already connected
	ENOTCONN     Errno = 57 // socket is not connected
	ETIMEDOUT    Errno = 60 // operation timed out
	ECONNREFUSED Errno = 61 // connection refused
)

// EAGAIN is BSD's other name for EWOULDBLOCK.
const EAGAIN = EWOULDBLOCK

// EHANG is not a kernel error: it is the harness's sentinel for "this call would block
// forever". An implementation returns it when a blocking call (a blocking descriptor and no
// MSG_DONTWAIT) cannot complete, instead of hanging: the host after a bounded wait, a model when
// the call's wait condition can no longer come true.
const EHANG Errno = 1000

// UnmappedErrno is the base above which an implementation reports a host error number that has
// no BSD name here: the value is UnmappedErrno plus the host's own number.
const UnmappedErrno Errno = 10000

var errnoNames = map[Errno]string{
	OK:           "OK",
	EINTR:        "EINTR",
	EBADF:        "EBADF",
	EINVAL:       "EINVAL",
	EPIPE:        "EPIPE",
	EWOULDBLOCK:  "EWOULDBLOCK",
	EINPROGRESS:  "EINPROGRESS",
	EALREADY:     "EALREADY",
	ENOTSOCK:     "ENOTSOCK",
	EDESTADDRREQ: "EDESTADDRREQ",
	EMSGSIZE:     "EMSGSIZE",
	EOPNOTSUPP:   "EOPNOTSUPP",
	EADDRINUSE:   "EADDRINUSE",
	ECONNABORTED: "ECONNABORTED",
	ECONNRESET:   "ECONNRESET",
	EISCONN:      "EISCONN",
	ENOTCONN:     "ENOTCONN",
	ETIMEDOUT:    "ETIMEDOUT",
	ECONNREFUSED: "ECONNREFUSED",
	EHANG:        "HANG",
}

// String returns the BSD name of the error ("ECONNREFUSED"), "OK" for success, "HANG" for the
// would-block-forever sentinel, and a numeric form for anything else.
func (e Errno) String() string {
	if name, ok := errnoNames[e]; ok {
		return name
	}
	if e > UnmappedErrno {
		return fmt.Sprintf("host-errno(%d)", int(e-UnmappedErrno))
	}
	return fmt.Sprintf("errno(%d)", int(e))
}

// Proto selects the protocol of a new socket.
type Proto int

// The protocols a scenario can open, both in the AF_INET domain.
const (
	TCP Proto = iota + 1 // SOCK_STREAM
	UDP                  // SOCK_DGRAM
)

// String returns "tcp" or "udp".
func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("proto(%d)", int(p))
}

// Port is a symbolic port. Scenarios name ports 1..MaxPort ("the listener's port", "the
// client's port"); each implementation maps them to real ports of its own at the start of a
// scenario, all on 127.0.0.1.
type Port int

// Special ports.
const (
	// PortAny binds to an ephemeral port; as a result of RecvFrom it means "no address".
	PortAny Port = 0
	// PortUnnamed is what RecvFrom reports for a real port that no symbol names.
	PortUnnamed Port = -1
	// MaxPort is the largest symbolic port.
	MaxPort Port = 9
)

// String returns ":N" for a symbolic port.
func (p Port) String() string {
	switch p {
	case PortAny:
		return ":any"
	case PortUnnamed:
		return ":unnamed"
	}
	return fmt.Sprintf(":%d", int(p))
}

// MsgFlags are the send and receive flags a scenario uses.
type MsgFlags int

// The message flags (MSG_OOB, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL).
const (
	MsgOOB MsgFlags = 1 << iota
	MsgPeek
	MsgDontWait
	MsgWaitAll
)

// String returns the flags joined by '|', or "0".
func (f MsgFlags) String() string {
	return flagString(int(f), []string{"oob", "peek", "dontwait", "waitall"}, "0")
}

// How says which direction Shutdown closes.
type How int

// The shutdown directions, with the values of SHUT_RD, SHUT_WR and SHUT_RDWR.
const (
	ShutRD How = iota
	ShutWR
	ShutRDWR
)

// String returns "rd", "wr" or "rdwr".
func (h How) String() string {
	switch h {
	case ShutRD:
		return "rd"
	case ShutWR:
		return "wr"
	case ShutRDWR:
		return "rdwr"
	}
	return fmt.Sprintf("how(%d)", int(h))
}

// PollEvents are poll(2) event bits, with the values BSD and Linux share.
type PollEvents int

// The poll bits a scenario asks for or observes.
const (
	PollIn   PollEvents = 0x01 // POLLIN
	PollPri  PollEvents = 0x02 // POLLPRI: urgent (out-of-band) data
	PollOut  PollEvents = 0x04 // POLLOUT
	PollErr  PollEvents = 0x08 // POLLERR
	PollHup  PollEvents = 0x10 // POLLHUP
	PollNval PollEvents = 0x20 // POLLNVAL: the descriptor is not open
)

// PollMask is every bit Poll reports; implementations clear all others (RDNORM, RDHUP, ...).
const PollMask = PollIn | PollPri | PollOut | PollErr | PollHup | PollNval

// String returns the bits joined by '|' ("IN|OUT"), or "0".
func (e PollEvents) String() string {
	return flagString(int(e), []string{"IN", "PRI", "OUT", "ERR", "HUP", "NVAL"}, "0")
}

func flagString(v int, names []string, zero string) string {
	if v == 0 {
		return zero
	}
	var parts []string
	for i, name := range names {
		if v&(1<<i) != 0 {
			parts = append(parts, name)
			v &^= 1 << i
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}

// Sockets is the socket interface a scenario drives, in BSD terms. Descriptors are ints from a
// per-scenario descriptor table; every call returns its result and an Errno (OK on success).
// A call that blocks does so only when the descriptor is blocking and MsgDontWait is not given;
// if it could never complete it returns EHANG.
//
// Implementations: the host kernel (NewHost, on Linux) and the DragonFly model (the adapter of
// stack/bsd's TestConformanceModel).
type Sockets interface {
	// Socket creates a socket (socket(2) with AF_INET and SOCK_STREAM or SOCK_DGRAM).
	Socket(p Proto) (int, Errno)
	// OpenFile opens a descriptor that is not a socket (for ENOTSOCK).
	OpenFile() (int, Errno)
	// Bind binds fd to 127.0.0.1 and the real port behind the symbolic port (PortAny: ephemeral).
	Bind(fd int, port Port) Errno
	// Listen marks fd as accepting connections with the given backlog (solisten).
	Listen(fd int, backlog int) Errno
	// Connect connects fd to 127.0.0.1 and the symbolic port; on a non-blocking descriptor it
	// returns EINPROGRESS while the connection is being established (kern_connect).
	Connect(fd int, port Port) Errno
	// Accept takes the first completed connection of a listening fd (kern_accept).
	Accept(fd int) (int, Errno)
	// Send sends data on fd (send(2)) and returns the count sent.
	Send(fd int, data []byte, flags MsgFlags) (int, Errno)
	// SendTo sends data to the symbolic port (sendto(2)) and returns the count sent.
	SendTo(fd int, data []byte, port Port, flags MsgFlags) (int, Errno)
	// Recv receives at most n bytes (recv(2)); zero bytes with OK means end of file.
	Recv(fd int, n int, flags MsgFlags) ([]byte, Errno)
	// RecvFrom receives at most n bytes and the sender's symbolic port (recvfrom(2)).
	RecvFrom(fd int, n int, flags MsgFlags) ([]byte, Port, Errno)
	// Shutdown shuts down one or both directions (soshutdown).
	Shutdown(fd int, how How) Errno
	// Close closes the descriptor (soclose on the last reference).
	Close(fd int) Errno
	// Dup duplicates the descriptor; both share one open file and its flags.
	Dup(fd int) (int, Errno)
	// SetNonblock sets or clears the non-blocking flag with ioctl FIONBIO.
	SetNonblock(fd int, on bool) Errno
	// SetLinger sets SO_LINGER.
	SetLinger(fd int, on bool, secs int) Errno
	// Poll returns the ready events of fd among events, plus ERR, HUP and NVAL as the kernel
	// reports them, masked with PollMask. With wait false it does not block (timeout 0); with
	// wait true it blocks until some event is reported (an infinite timeout), returning EHANG
	// if none ever will.
	Poll(fd int, events PollEvents, wait bool) (PollEvents, Errno)
	// AtMark reports whether the receive pointer is at the out-of-band mark (SIOCATMARK).
	AtMark(fd int) (bool, Errno)
	// GetSockError returns and clears the socket's pending error (SO_ERROR).
	GetSockError(fd int) (Errno, Errno)
}

// Lifecycle is implemented by a Sockets that keeps state between scenarios. Run calls Begin
// before the first step (a fresh descriptor table; the host also picks fresh real ports) and
// End after the last (every descriptor the scenario left open is closed).
type Lifecycle interface {
	Begin() error
	End() error
}
