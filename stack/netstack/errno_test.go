package netstack

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// TestErrno checks the mapping of netstack's errors against sentry's TranslateNetstackError,
// name by name, and that an error sentry never returns from our calls is reported unmapped.
func TestErrno(t *testing.T) {
	for _, tc := range []struct {
		err  tcpip.Error
		want stack.Errno
	}{
		{nil, stack.OK},
		{&tcpip.ErrWouldBlock{}, stack.EWOULDBLOCK},
		{&tcpip.ErrNoPortAvailable{}, stack.EWOULDBLOCK},
		{&tcpip.ErrConnectStarted{}, stack.EINPROGRESS},
		{&tcpip.ErrAlreadyConnecting{}, stack.EALREADY},
		{&tcpip.ErrAlreadyConnected{}, stack.EISCONN},
		{&tcpip.ErrNotConnected{}, stack.ENOTCONN},
		{&tcpip.ErrConnectionRefused{}, stack.ECONNREFUSED},
		{&tcpip.ErrConnectionReset{}, stack.ECONNRESET},
		{&tcpip.ErrConnectionAborted{}, stack.ECONNABORTED},
		{&tcpip.ErrClosedForSend{}, stack.EPIPE},
		{&tcpip.ErrAborted{}, stack.EPIPE},
		{&tcpip.ErrTimeout{}, stack.ETIMEDOUT},
		{&tcpip.ErrPortInUse{}, stack.EADDRINUSE},
		{&tcpip.ErrInvalidEndpointState{}, stack.EINVAL},
		{&tcpip.ErrAlreadyBound{}, stack.EINVAL},
		{&tcpip.ErrInvalidOptionValue{}, stack.EINVAL},
		{&tcpip.ErrUnknownProtocol{}, stack.EINVAL},
		{&tcpip.ErrMalformedHeader{}, stack.EINVAL},
		{&tcpip.ErrDestinationRequired{}, stack.EDESTADDRREQ},
		{&tcpip.ErrNotSupported{}, stack.EOPNOTSUPP},
		{&tcpip.ErrMessageTooLong{}, stack.EMSGSIZE},
		{&tcpip.ErrNoBufferSpace{}, stack.ENOBUFS},
		{&tcpip.ErrBadBuffer{}, stack.EFAULT},
		{&tcpip.ErrNotPermitted{}, stack.EPERM},
		{&tcpip.ErrAddressFamilyNotSupported{}, stack.EAFNOSUPPORT},
		{&tcpip.ErrBadLocalAddress{}, stack.EADDRNOTAVAIL},
		{&tcpip.ErrNetworkUnreachable{}, stack.ENETUNREACH},
		{&tcpip.ErrHostUnreachable{}, stack.EHOSTUNREACH},
	} {
		got, ok := errno(tc.err)
		if !ok || got != tc.want {
			t.Errorf("errno(%T) = %v, %v; want %v, true", tc.err, got, ok, tc.want)
		}
	}
	for _, err := range []tcpip.Error{&tcpip.ErrDuplicateNICID{}, &tcpip.ErrUnknownNICID{}, &tcpip.ErrClosedForReceive{}} {
		if _, ok := errno(err); ok {
			t.Errorf("errno(%T) is mapped; want an unmapped error report", err)
		}
	}
}
