package bsd

import "github.com/sockfuzz/sockfuzz/stack"

// The boundary's vocabulary (package stack) under the names the model's code and a BSD
// reader use unqualified: the values are the model's own, DragonFly's.

// Errno is a system call error number (sys/sys/errno.h).
type Errno = stack.Errno

// The error numbers the socket layer returns.
const (
	OK           = stack.OK
	EPERM        = stack.EPERM
	EINTR        = stack.EINTR
	EBADF        = stack.EBADF
	EFAULT       = stack.EFAULT
	EINVAL       = stack.EINVAL
	EMFILE       = stack.EMFILE
	EPIPE        = stack.EPIPE
	EWOULDBLOCK  = stack.EWOULDBLOCK
	EINPROGRESS  = stack.EINPROGRESS
	EALREADY     = stack.EALREADY
	ENOTSOCK     = stack.ENOTSOCK
	EDESTADDRREQ = stack.EDESTADDRREQ
	EMSGSIZE     = stack.EMSGSIZE
	EPROTOTYPE   = stack.EPROTOTYPE
	ENOPROTOOPT  = stack.ENOPROTOOPT
	EOPNOTSUPP   = stack.EOPNOTSUPP
	EAFNOSUPPORT = stack.EAFNOSUPPORT
	EADDRINUSE   = stack.EADDRINUSE
	ENOBUFS      = stack.ENOBUFS
	ECONNABORTED = stack.ECONNABORTED
	ECONNRESET   = stack.ECONNRESET
	EISCONN      = stack.EISCONN
	ENOTCONN     = stack.ENOTCONN
	ETIMEDOUT    = stack.ETIMEDOUT
	ECONNREFUSED = stack.ECONNREFUSED
	ERESTART     = stack.ERESTART
)

// Proto is a socket's protocol.
type Proto = stack.Proto

// The protocols.
const (
	TCP = stack.TCP
	UDP = stack.UDP
)

// Addr is an IPv4 address and port.
type Addr = stack.Addr

// LocalIP is the address of the stack's own interface.
const LocalIP = stack.LocalIP

// Segment is a packet on the wire.
type Segment = stack.Segment

// TCP header flags (netinet/tcp.h).
const (
	TH_FIN = stack.TH_FIN
	TH_SYN = stack.TH_SYN
	TH_RST = stack.TH_RST
	TH_PSH = stack.TH_PSH
	TH_ACK = stack.TH_ACK
	TH_URG = stack.TH_URG
)

// Message flags (sys/sys/socket.h).
const (
	MSG_OOB      = stack.MSG_OOB
	MSG_PEEK     = stack.MSG_PEEK
	MSG_WAITALL  = stack.MSG_WAITALL
	MSG_DONTWAIT = stack.MSG_DONTWAIT
)

// shutdown(2) directions.
const (
	SHUT_RD   = stack.SHUT_RD
	SHUT_WR   = stack.SHUT_WR
	SHUT_RDWR = stack.SHUT_RDWR
)

// poll(2) bits.
const (
	POLLIN   = stack.POLLIN
	POLLPRI  = stack.POLLPRI
	POLLOUT  = stack.POLLOUT
	POLLERR  = stack.POLLERR
	POLLHUP  = stack.POLLHUP
	POLLNVAL = stack.POLLNVAL
)
