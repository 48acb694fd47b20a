package netstack

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// errno maps a netstack error onto the boundary's names, as gVisor's sentry does
// (pkg/syserr/netstack.go TranslateNetstackError, then Linux's errno by name). ok is false for
// an error sentry would not return from a socket call of ours, which the caller reports as an
// adapter bug: nil maps to OK.
func errno(err tcpip.Error) (e stack.Errno, ok bool) {
	switch err.(type) {
	case nil:
		return stack.OK, true
	case *tcpip.ErrWouldBlock, *tcpip.ErrNoPortAvailable:
		return stack.EWOULDBLOCK, true // EAGAIN is EWOULDBLOCK
	case *tcpip.ErrConnectStarted:
		return stack.EINPROGRESS, true
	case *tcpip.ErrAlreadyConnecting:
		return stack.EALREADY, true
	case *tcpip.ErrAlreadyConnected:
		return stack.EISCONN, true
	case *tcpip.ErrNotConnected:
		return stack.ENOTCONN, true
	case *tcpip.ErrConnectionRefused:
		return stack.ECONNREFUSED, true
	case *tcpip.ErrConnectionReset:
		return stack.ECONNRESET, true
	case *tcpip.ErrConnectionAborted:
		return stack.ECONNABORTED, true
	case *tcpip.ErrClosedForSend, *tcpip.ErrAborted:
		return stack.EPIPE, true
	case *tcpip.ErrTimeout:
		return stack.ETIMEDOUT, true
	case *tcpip.ErrPortInUse:
		return stack.EADDRINUSE, true
	case *tcpip.ErrInvalidEndpointState, *tcpip.ErrAlreadyBound, *tcpip.ErrInvalidOptionValue,
		*tcpip.ErrUnknownProtocol, *tcpip.ErrMalformedHeader, *tcpip.ErrInvalidPortRange:
		return stack.EINVAL, true
	case *tcpip.ErrDestinationRequired:
		return stack.EDESTADDRREQ, true
	case *tcpip.ErrNotSupported:
		return stack.EOPNOTSUPP, true
	case *tcpip.ErrMessageTooLong:
		return stack.EMSGSIZE, true
	case *tcpip.ErrNoBufferSpace:
		return stack.ENOBUFS, true
	case *tcpip.ErrBadBuffer, *tcpip.ErrBadAddress:
		return stack.EFAULT, true
	case *tcpip.ErrNotPermitted:
		return stack.EPERM, true
	case *tcpip.ErrAddressFamilyNotSupported:
		return stack.EAFNOSUPPORT, true
	case *tcpip.ErrBadLocalAddress:
		return stack.EADDRNOTAVAIL, true
	case *tcpip.ErrNetworkUnreachable:
		return stack.ENETUNREACH, true
	case *tcpip.ErrHostUnreachable:
		return stack.EHOSTUNREACH, true
	case *tcpip.ErrUnknownProtocolOption:
		return stack.ENOPROTOOPT, true
	}
	return stack.EINVAL, false
}

// unmapped is the title of the adapter report for an error errno does not know.
func unmapped(err tcpip.Error) string { return fmt.Sprintf("netstack: unmapped error %T", err) }
