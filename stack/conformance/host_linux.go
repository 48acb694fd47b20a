//go:build linux

package conformance

import (
	"errors"
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

// DefaultBlockTimeout bounds every blocking call of the host: a call still blocked after this
// long returns EHANG.
const DefaultBlockTimeout = 2 * time.Second

// firstFD is the first descriptor number the host hands out, as in a process whose standard
// input, output and error are open.
const firstFD = 3

// maxRecv bounds the buffer of one Recv.
const maxRecv = 1 << 20

// Linux ioctl numbers the syscall package does not name.
const fionbio = 0x5421

// loopback is 127.0.0.1, the only address the host ever uses.
var loopback = [4]byte{127, 0, 0, 1}

// Host implements Sockets with real sockets of the running Linux kernel over 127.0.0.1.
//
// Descriptors are the host's own small numbers (lowest free from 3, as a kernel allocates them)
// mapped to real descriptors, so that a closed descriptor really is invalid for the rest of the
// scenario. Symbolic ports map to free ports that Begin reserves: for each symbol it binds a TCP
// socket to port 0 on 127.0.0.1, reads the port back, and binds a UDP socket to the same port;
// both stay open (the UDP one connected to itself, so that it receives nothing) until a step
// binds that port, so no ephemeral port of a connect can take it in between. A connect to a
// reserved port nobody listens on is refused, as it should be.
//
// Blocking calls are bounded: every socket gets SO_RCVTIMEO and SO_SNDTIMEO of BlockTimeout,
// and a blocking call that times out returns EHANG. A Host is not safe for concurrent use.
type Host struct {
	// BlockTimeout bounds every blocking call; zero means DefaultBlockTimeout.
	BlockTimeout time.Duration
	// NoDelay sets TCP_NODELAY on every TCP socket, created or accepted: no small send waits
	// for an acknowledgment (Nagle), which netstack's default does not do either.
	NoDelay bool

	fds      map[int]int // host descriptor -> real descriptor
	ports    [MaxPort + 1]int
	tcpHold  [MaxPort + 1]int // reservation sockets, -1 once released
	udpHold  [MaxPort + 1]int
	reserved bool
}

// NewHost returns a host implementation with the default block timeout.
func NewHost() *Host {
	h := &Host{BlockTimeout: DefaultBlockTimeout}
	h.resetHolds()
	return h
}

var _ Sockets = (*Host)(nil)
var _ Lifecycle = (*Host)(nil)

func (h *Host) resetHolds() {
	for i := range h.tcpHold {
		h.tcpHold[i] = -1
		h.udpHold[i] = -1
		h.ports[i] = 0
	}
	h.reserved = false
}

func (h *Host) timeout() time.Duration {
	if h.BlockTimeout <= 0 {
		return DefaultBlockTimeout
	}
	return h.BlockTimeout
}

// Begin starts a scenario: it closes whatever a previous scenario left, then reserves a fresh
// real port for every symbolic port.
func (h *Host) Begin() error {
	if err := h.End(); err != nil {
		return fmt.Errorf("begin: cleaning up the previous scenario: %w", err)
	}
	h.fds = make(map[int]int)
	for p := Port(1); p <= MaxPort; p++ {
		if err := h.reserve(p); err != nil {
			cerr := h.End()
			return errors.Join(fmt.Errorf("begin: reserving port %s: %w", p, err), cerr)
		}
	}
	h.reserved = true
	return nil
}

// reserve finds a port free for both TCP and UDP on 127.0.0.1 and holds it.
func (h *Host) reserve(p Port) error {
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		tfd, port, err := bindEphemeral()
		if err != nil {
			return fmt.Errorf("tcp reservation: %w", err)
		}
		ufd, err := holdUDP(port)
		if err != nil {
			closeQuietly(tfd)
			lastErr = err
			continue
		}
		h.ports[p], h.tcpHold[p], h.udpHold[p] = port, tfd, ufd
		return nil
	}
	return fmt.Errorf("no port free for both tcp and udp after 20 attempts: %w", lastErr)
}

// bindEphemeral binds a new TCP socket to 127.0.0.1:0 and returns it with the port it got.
func bindEphemeral() (int, int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("socket: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: loopback}); err != nil {
		closeQuietly(fd)
		return -1, 0, fmt.Errorf("bind 127.0.0.1:0: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		closeQuietly(fd)
		return -1, 0, fmt.Errorf("getsockname: %w", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok || in4.Port == 0 {
		closeQuietly(fd)
		return -1, 0, fmt.Errorf("getsockname returned %v", sa)
	}
	return fd, in4.Port, nil
}

// holdUDP binds a UDP socket to 127.0.0.1:port and connects it to itself, so that it holds the
// port without receiving anyone else's datagrams (those get a port unreachable, as for a port
// nobody holds).
func holdUDP(port int) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("udp socket: %w", err)
	}
	sa := &syscall.SockaddrInet4{Addr: loopback, Port: port}
	if err := syscall.Bind(fd, sa); err != nil {
		closeQuietly(fd)
		return -1, fmt.Errorf("udp bind 127.0.0.1:%d: %w", port, err)
	}
	if err := syscall.Connect(fd, sa); err != nil {
		closeQuietly(fd)
		return -1, fmt.Errorf("udp connect to itself on %d: %w", port, err)
	}
	return fd, nil
}

func closeQuietly(fd int) {
	_ = syscall.Close(fd)
}

// End closes every descriptor the scenario left open and every port reservation.
func (h *Host) End() error {
	var errs []error
	for vfd, real := range h.fds {
		if err := syscall.Close(real); err != nil {
			errs = append(errs, fmt.Errorf("end: closing descriptor %d (host %d): %w", vfd, real, err))
		}
	}
	h.fds = nil
	for p := range h.tcpHold {
		for _, fd := range []int{h.tcpHold[p], h.udpHold[p]} {
			if fd < 0 {
				continue
			}
			if err := syscall.Close(fd); err != nil {
				errs = append(errs, fmt.Errorf("end: closing the reservation of port :%d: %w", p, err))
			}
		}
	}
	h.resetHolds()
	return errors.Join(errs...)
}

// Open reports how many descriptors the current scenario has open.
func (h *Host) Open() int {
	return len(h.fds)
}

// real resolves a host descriptor.
func (h *Host) real(fd int) (int, Errno) {
	if real, ok := h.fds[fd]; ok {
		return real, OK
	}
	return -1, EBADF
}

// install gives a real descriptor the lowest free host number.
func (h *Host) install(real int) int {
	if h.fds == nil {
		h.fds = make(map[int]int)
	}
	fd := firstFD
	for {
		if _, used := h.fds[fd]; !used {
			h.fds[fd] = real
			return fd
		}
		fd++
	}
}

// sockaddr maps a symbolic port to its real address.
func (h *Host) sockaddr(p Port) (*syscall.SockaddrInet4, Errno) {
	if p == PortAny {
		return &syscall.SockaddrInet4{Addr: loopback}, OK
	}
	if p < 1 || p > MaxPort || !h.reserved {
		return nil, EINVAL
	}
	return &syscall.SockaddrInet4{Addr: loopback, Port: h.ports[p]}, OK
}

// symbol maps a real address back to its symbolic port.
func (h *Host) symbol(sa syscall.Sockaddr) Port {
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		return PortAny // no address (a stream socket) or not IPv4
	}
	for p := Port(1); p <= MaxPort; p++ {
		if h.reserved && h.ports[p] == in4.Port {
			return p
		}
	}
	return PortUnnamed
}

// toErrno maps a Linux error to its BSD Errno.
func toErrno(err error) Errno {
	if err == nil {
		return OK
	}
	var en syscall.Errno
	if !errors.As(err, &en) {
		return UnmappedErrno
	}
	switch en {
	case 0:
		return OK
	case syscall.EINTR:
		return EINTR
	case syscall.EBADF:
		return EBADF
	case syscall.EINVAL:
		return EINVAL
	case syscall.EPIPE:
		return EPIPE
	case syscall.EAGAIN:
		return EWOULDBLOCK
	case syscall.EINPROGRESS:
		return EINPROGRESS
	case syscall.EALREADY:
		return EALREADY
	case syscall.ENOTSOCK:
		return ENOTSOCK
	case syscall.EDESTADDRREQ:
		return EDESTADDRREQ
	case syscall.EMSGSIZE:
		return EMSGSIZE
	case syscall.EOPNOTSUPP:
		return EOPNOTSUPP
	case syscall.EADDRINUSE:
		return EADDRINUSE
	case syscall.ECONNABORTED:
		return ECONNABORTED
	case syscall.ECONNRESET:
		return ECONNRESET
	case syscall.EISCONN:
		return EISCONN
	case syscall.ENOTCONN:
		return ENOTCONN
	case syscall.ETIMEDOUT:
		return ETIMEDOUT
	case syscall.ECONNREFUSED:
		return ECONNREFUSED
	}
	return UnmappedErrno + Errno(en)
}

// setTimeouts bounds the blocking calls on a socket.
func (h *Host) setTimeouts(real int) error {
	tv := syscall.NsecToTimeval(h.timeout().Nanoseconds())
	if err := syscall.SetsockoptTimeval(real, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("SO_RCVTIMEO: %w", err)
	}
	if err := syscall.SetsockoptTimeval(real, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return fmt.Errorf("SO_SNDTIMEO: %w", err)
	}
	if !h.NoDelay {
		return nil
	}
	if typ, err := syscall.GetsockoptInt(real, syscall.SOL_SOCKET, syscall.SO_TYPE); err != nil || typ != syscall.SOCK_STREAM {
		return err
	}
	if err := syscall.SetsockoptInt(real, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		return fmt.Errorf("TCP_NODELAY: %w", err)
	}
	return nil
}

// settleConnect waits, at most the block timeout, until a connect in progress on fd has ended
// (the socket is writable or has failed); it reads nothing, SO_ERROR stays pending.
func (h *Host) settleConnect(fd int) {
	if real, e := h.real(fd); e == OK {
		_, _ = h.poll(real, PollOut, true)
	}
}

// blocking reports whether a call on the descriptor with these flags may block.
func blocking(real int, flags MsgFlags) bool {
	if flags&MsgDontWait != 0 {
		return false
	}
	fl, err := fcntl(real, syscall.F_GETFL, 0)
	if err != nil {
		return false
	}
	return fl&syscall.O_NONBLOCK == 0
}

func fcntl(fd, cmd, arg int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func ioctlInt(fd int, req uintptr, v *int32) error {
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(v)))
	if e != 0 {
		return e
	}
	return nil
}

// retry runs a call that may be interrupted by a signal, at most until the block timeout.
func (h *Host) retry(call func() error) error {
	deadline := time.Now().Add(h.timeout())
	for {
		err := call()
		if !errors.Is(err, syscall.EINTR) || time.Now().After(deadline) {
			return err
		}
	}
}

// Socket creates a TCP or UDP socket.
func (h *Host) Socket(p Proto) (int, Errno) {
	var typ int
	switch p {
	case TCP:
		typ = syscall.SOCK_STREAM
	case UDP:
		typ = syscall.SOCK_DGRAM
	default:
		return -1, EINVAL
	}
	real, err := syscall.Socket(syscall.AF_INET, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, toErrno(err)
	}
	if err := h.setTimeouts(real); err != nil {
		closeQuietly(real)
		return -1, toErrno(err)
	}
	return h.install(real), OK
}

// OpenFile opens /dev/null, a descriptor that is not a socket.
func (h *Host) OpenFile() (int, Errno) {
	real, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, toErrno(err)
	}
	return h.install(real), OK
}

// Bind binds to 127.0.0.1 and the symbolic port, releasing the port's reservation first.
func (h *Host) Bind(fd int, port Port) Errno {
	real, e := h.real(fd)
	if e != OK {
		return e
	}
	sa, e := h.sockaddr(port)
	if e != OK {
		return e
	}
	if port != PortAny {
		typ, err := syscall.GetsockoptInt(real, syscall.SOL_SOCKET, syscall.SO_TYPE)
		if err != nil {
			return toErrno(err)
		}
		hold := &h.tcpHold[port]
		if typ == syscall.SOCK_DGRAM {
			hold = &h.udpHold[port]
		}
		if *hold >= 0 {
			closeQuietly(*hold)
			*hold = -1
		}
	}
	return toErrno(syscall.Bind(real, sa))
}

// Listen calls listen(2).
func (h *Host) Listen(fd int, backlog int) Errno {
	real, e := h.real(fd)
	if e != OK {
		return e
	}
	return toErrno(syscall.Listen(real, backlog))
}

// Connect connects to 127.0.0.1 and the symbolic port. On a blocking descriptor it waits at
// most the block timeout (SO_SNDTIMEO) and returns EHANG if the connection is still pending.
func (h *Host) Connect(fd int, port Port) Errno {
	real, e := h.real(fd)
	if e != OK {
		return e
	}
	sa, e := h.sockaddr(port)
	if e != OK {
		return e
	}
	block := blocking(real, 0)
	err := syscall.Connect(real, sa)
	if !block {
		return toErrno(err)
	}
	if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EINPROGRESS) {
		// A signal or SO_SNDTIMEO ended the wait while the handshake is in progress; finish
		// the wait as kern_connect does: until the socket is writable, then take SO_ERROR.
		ev, perr := h.poll(real, PollOut, true)
		if perr != OK {
			return perr
		}
		if ev == 0 {
			return EHANG
		}
		soerr, gerr := syscall.GetsockoptInt(real, syscall.SOL_SOCKET, syscall.SO_ERROR)
		if gerr != nil {
			return toErrno(gerr)
		}
		return toErrno(syscall.Errno(soerr))
	}
	return toErrno(err)
}

// Accept accepts a connection; a blocking accept that times out returns EHANG.
func (h *Host) Accept(fd int) (int, Errno) {
	real, e := h.real(fd)
	if e != OK {
		return -1, e
	}
	block := blocking(real, 0)
	var nfd int
	err := h.retry(func() error {
		var aerr error
		nfd, _, aerr = syscall.Accept4(real, syscall.SOCK_CLOEXEC)
		return aerr
	})
	if err != nil {
		if block && errors.Is(err, syscall.EAGAIN) {
			return -1, EHANG
		}
		return -1, toErrno(err)
	}
	if err := h.setTimeouts(nfd); err != nil {
		closeQuietly(nfd)
		return -1, toErrno(err)
	}
	return h.install(nfd), OK
}

func sendFlags(f MsgFlags) int {
	fl := syscall.MSG_NOSIGNAL
	if f&MsgOOB != 0 {
		fl |= syscall.MSG_OOB
	}
	if f&MsgDontWait != 0 {
		fl |= syscall.MSG_DONTWAIT
	}
	return fl
}

func recvFlags(f MsgFlags) int {
	fl := 0
	if f&MsgOOB != 0 {
		fl |= syscall.MSG_OOB
	}
	if f&MsgPeek != 0 {
		fl |= syscall.MSG_PEEK
	}
	if f&MsgDontWait != 0 {
		fl |= syscall.MSG_DONTWAIT
	}
	if f&MsgWaitAll != 0 {
		fl |= syscall.MSG_WAITALL
	}
	return fl
}

// Send sends on a connected socket.
func (h *Host) Send(fd int, data []byte, flags MsgFlags) (int, Errno) {
	return h.send(fd, data, nil, flags)
}

// SendTo sends to the symbolic port.
func (h *Host) SendTo(fd int, data []byte, port Port, flags MsgFlags) (int, Errno) {
	sa, e := h.sockaddr(port)
	if e != OK {
		return 0, e
	}
	return h.send(fd, data, sa, flags)
}

func (h *Host) send(fd int, data []byte, to syscall.Sockaddr, flags MsgFlags) (int, Errno) {
	real, e := h.real(fd)
	if e != OK {
		return 0, e
	}
	block := blocking(real, flags)
	var n int
	err := h.retry(func() error {
		var serr error
		n, serr = syscall.SendmsgN(real, data, nil, to, sendFlags(flags))
		return serr
	})
	if err != nil {
		if block && errors.Is(err, syscall.EAGAIN) {
			return 0, EHANG
		}
		return 0, toErrno(err)
	}
	return n, OK
}

// Recv receives at most n bytes.
func (h *Host) Recv(fd int, n int, flags MsgFlags) ([]byte, Errno) {
	b, _, e := h.recv(fd, n, flags)
	return b, e
}

// RecvFrom receives at most n bytes and the sender's symbolic port.
func (h *Host) RecvFrom(fd int, n int, flags MsgFlags) ([]byte, Port, Errno) {
	return h.recv(fd, n, flags)
}

func (h *Host) recv(fd int, n int, flags MsgFlags) ([]byte, Port, Errno) {
	real, e := h.real(fd)
	if e != OK {
		return nil, PortAny, e
	}
	if n < 0 || n > maxRecv {
		return nil, PortAny, EINVAL
	}
	block := blocking(real, flags)
	buf := make([]byte, n)
	var got int
	var from syscall.Sockaddr
	start := time.Now()
	err := h.retry(func() error {
		var rerr error
		got, from, rerr = syscall.Recvfrom(real, buf, recvFlags(flags))
		return rerr
	})
	if err != nil {
		if block && errors.Is(err, syscall.EAGAIN) {
			return nil, PortAny, EHANG
		}
		return nil, PortAny, toErrno(err)
	}
	if block && flags&MsgWaitAll != 0 && got < n && got > 0 && time.Since(start) >= h.timeout() {
		// MSG_WAITALL came back short only because SO_RCVTIMEO expired: BSD would still wait.
		return nil, PortAny, EHANG
	}
	return buf[:got], h.symbol(from), OK
}

// Shutdown calls shutdown(2).
func (h *Host) Shutdown(fd int, how How) Errno {
	real, e := h.real(fd)
	if e != OK {
		return e
	}
	var sh int
	switch how {
	case ShutRD:
		sh = syscall.SHUT_RD
	case ShutWR:
		sh = syscall.SHUT_WR
	case ShutRDWR:
		sh = syscall.SHUT_RDWR
	default:
		return EINVAL
	}
	return toErrno(syscall.Shutdown(real, sh))
}

// Close closes the descriptor; the host number becomes free at once, whatever close returns.
func (h *Host) Close(fd int) Errno {
	real, e := h.real(fd)
	if e != OK {
		return e
	}
	delete(h.fds, fd)
	err := syscall.Close(real)
	if errors.Is(err, syscall.EINTR) {
		// Linux releases the descriptor even when close is interrupted.
		return OK
	}
	return toErrno(err)
}

// Dup duplicates the descriptor (F_DUPFD_CLOEXEC); both share the open file.
func (h *Host) Dup(fd int) (int, Errno) {
	real, e := h.real(fd)
	if e != OK {
		return -1, e
	}
	nfd, err := fcntl(real, syscall.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, toErrno(err)
	}
	return h.install(nfd), OK
}

// SetNonblock sets or clears the non-blocking flag with ioctl FIONBIO.
func (h *Host) SetNonblock(fd int, on bool) Errno {
	real, e := h.real(fd)
	if e != OK {
		return e
	}
	var v int32
	if on {
		v = 1
	}
	return toErrno(ioctlInt(real, fionbio, &v))
}

// SetLinger sets SO_LINGER.
func (h *Host) SetLinger(fd int, on bool, secs int) Errno {
	real, e := h.real(fd)
	if e != OK {
		return e
	}
	l := &syscall.Linger{Linger: int32(secs)}
	if on {
		l.Onoff = 1
	}
	return toErrno(syscall.SetsockoptLinger(real, syscall.SOL_SOCKET, syscall.SO_LINGER, l))
}

// Poll polls one descriptor. A descriptor that is not open reports NVAL, as poll(2) does.
func (h *Host) Poll(fd int, events PollEvents, wait bool) (PollEvents, Errno) {
	real, e := h.real(fd)
	if e != OK {
		return PollNval, OK
	}
	ev, e := h.poll(real, events, wait)
	if e == OK && wait && ev == 0 {
		return 0, EHANG
	}
	return ev, e
}

// pollFd is struct pollfd.
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

// poll runs ppoll(2) on one real descriptor, retrying after signals until the block timeout.
func (h *Host) poll(real int, events PollEvents, wait bool) (PollEvents, Errno) {
	deadline := time.Now().Add(h.timeout())
	for {
		pfd := pollFd{fd: int32(real), events: int16(events & PollMask)}
		var ts syscall.Timespec
		if wait {
			ts = syscall.NsecToTimespec(max(time.Until(deadline), 0).Nanoseconds())
		}
		_, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1,
			uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if errno == syscall.EINTR && time.Now().Before(deadline) {
			continue
		}
		if errno != 0 {
			return 0, toErrno(errno)
		}
		return PollEvents(pfd.revents) & PollMask, OK
	}
}

// AtMark asks SIOCATMARK.
func (h *Host) AtMark(fd int) (bool, Errno) {
	real, e := h.real(fd)
	if e != OK {
		return false, e
	}
	var v int32
	if err := ioctlInt(real, syscall.SIOCATMARK, &v); err != nil {
		return false, toErrno(err)
	}
	return v != 0, OK
}

// GetSockError reads and clears SO_ERROR.
func (h *Host) GetSockError(fd int) (Errno, Errno) {
	real, e := h.real(fd)
	if e != OK {
		return OK, e
	}
	v, err := syscall.GetsockoptInt(real, syscall.SOL_SOCKET, syscall.SO_ERROR)
	if err != nil {
		return OK, toErrno(err)
	}
	return toErrno(syscall.Errno(v)), OK
}
