package stack

import "fmt"

// Errno is a system call error number, named and numbered as DragonFly BSD names them
// (sys/sys/errno.h), the common language of every target: a target whose stack speaks another
// dialect (netstack's tcpip.Error, Linux's numbers) maps its errors onto these names; 0 is
// success.
type Errno int

// The error numbers the socket layer returns.
const (
	OK           Errno = 0
	EPERM        Errno = 1
	EINTR        Errno = 4
	EBADF        Errno = 9
	EFAULT       Errno = 14
	EINVAL       Errno = 22
	EMFILE       Errno = 24
	EPIPE        Errno = 32
	EWOULDBLOCK  Errno = 35
	EINPROGRESS  Errno = 36
	EALREADY     Errno = 37
	ENOTSOCK     Errno = 38
	EDESTADDRREQ Errno = 39
	EMSGSIZE     Errno = 40
	EPROTOTYPE   Errno = 41
	ENOPROTOOPT  Errno = 42
	EOPNOTSUPP   Errno = 45
	EAFNOSUPPORT Errno = 47
	EADDRINUSE   Errno = 48
	// EADDRNOTAVAIL, ENETUNREACH and EHOSTUNREACH are Linux's answers that netstack gives
	// (tcpip's BadLocalAddress, NetworkUnreachable, HostUnreachable); the model never does.
	EADDRNOTAVAIL Errno = 49
	ENETUNREACH   Errno = 51
	EHOSTUNREACH  Errno = 65
	ENOBUFS       Errno = 55
	ECONNABORTED  Errno = 53
	ECONNRESET    Errno = 54
	EISCONN       Errno = 56
	ENOTCONN      Errno = 57
	ETIMEDOUT     Errno = 60
	ECONNREFUSED  Errno = 61
	ERESTART      Errno = -1 // kernel-internal: restart the system call
)

var errnoNames = map[Errno]string{
	OK: "OK", EPERM: "EPERM", EINTR: "EINTR", EBADF: "EBADF", EFAULT: "EFAULT",
	EINVAL: "EINVAL", EMFILE: "EMFILE", EPIPE: "EPIPE", EWOULDBLOCK: "EWOULDBLOCK",
	EINPROGRESS: "EINPROGRESS", EALREADY: "EALREADY", ENOTSOCK: "ENOTSOCK",
	EDESTADDRREQ: "EDESTADDRREQ", EMSGSIZE: "EMSGSIZE", EPROTOTYPE: "EPROTOTYPE",
	ENOPROTOOPT: "ENOPROTOOPT", EOPNOTSUPP: "EOPNOTSUPP", EAFNOSUPPORT: "EAFNOSUPPORT",
	EADDRINUSE: "EADDRINUSE", EADDRNOTAVAIL: "EADDRNOTAVAIL", ENETUNREACH: "ENETUNREACH",
	EHOSTUNREACH: "EHOSTUNREACH", ENOBUFS: "ENOBUFS", ECONNABORTED: "ECONNABORTED",
	ECONNRESET: "ECONNRESET", EISCONN: "EISCONN", ENOTCONN: "ENOTCONN",
	ETIMEDOUT: "ETIMEDOUT", ECONNREFUSED: "ECONNREFUSED", ERESTART: "ERESTART",
}

func (e Errno) String() string {
	if s, ok := errnoNames[e]; ok {
		return s
	}
	return fmt.Sprintf("errno(%d)", int(e))
}

// Error makes Errno an error.
func (e Errno) Error() string { return e.String() }
