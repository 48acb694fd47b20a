package netstack

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// maxFiles bounds the descriptor table (EMFILE beyond), as the model does.
const maxFiles = 256

// socket is an endpoint with its waiter queue and the substrate queue its blocked callers
// sleep on.
type socket struct {
	id       int
	proto    stack.Proto
	ep       tcpip.Endpoint
	wq       *waiter.Queue
	qs       [numWaits]*sched.WaitQueue // by what a thread waits for, made on first use
	released bool
	listened bool // a listen succeeded: the accept-queue oracle looks at it
}

// wait is what a thread blocked on a socket waits for. Each has its own wait queue, named
// so<N>.<what>, so that a report names the call ("lost wakeup: blocked in recv sleep ...").
type wait uint8

const (
	waitAccept wait = iota
	waitConnect
	waitRecv
	waitSend
	waitPoll
	waitLinger
	numWaits
)

var waitNames = [numWaits]string{"accept", "connect", "recv", "send", "poll", "linger"}

// queue returns s's wait queue for w. Threads of a Free execution run in parallel and may
// block on one socket together, so the first use is made under in.qmu, a plain mutex: it
// is no decision point, and a Controlled execution makes its queues exactly as before.
func (s *socket) queue(in *instance, w wait) *sched.WaitQueue {
	in.qmu.Lock()
	defer in.qmu.Unlock()
	if s.qs[w] == nil {
		s.qs[w] = in.e.NewWaitQueue(fmt.Sprintf("so%d.%s", s.id, waitNames[w]))
	}
	return s.qs[w]
}

// file is an open file of a socket: shared by dup's descriptors, with its own FIONBIO flag. refs
// counts the descriptors and the calls holding it.
type file struct {
	sock     *socket
	refs     int
	nonblock atomic.Bool
}

// fileTable is the descriptor table the program's processes share.
type fileTable struct {
	mu  *sched.Mutex
	fds []*file
}

// proc is a process of the program.
type proc struct {
	in   *instance
	pid  int
	name string
	t    *sched.Thread
}

func (p *proc) PID() int { return p.pid }

// newSocket records a new endpoint as a socket of the instance.
func (in *instance) newSocket(t *sched.Thread, proto stack.Proto, ep tcpip.Endpoint, wq *waiter.Queue) *socket {
	ft := &in.files
	ft.mu.Lock(t)
	s := &socket{id: len(in.socks), proto: proto, ep: ep, wq: wq}
	in.socks = append(in.socks, s)
	ft.mu.Unlock(t)
	return s
}

// install puts f at the lowest free descriptor, with the descriptor's reference.
func (in *instance) install(t *sched.Thread, f *file) (int, stack.Errno) {
	ft := &in.files
	ft.mu.Lock(t)
	defer ft.mu.Unlock(t)
	fd := -1
	for i, x := range ft.fds {
		if x == nil {
			fd = i
			break
		}
	}
	if fd < 0 {
		if len(ft.fds) >= maxFiles {
			return -1, stack.EMFILE
		}
		fd = len(ft.fds)
		ft.fds = append(ft.fds, nil)
	}
	ft.fds[fd] = f
	f.refs++
	return fd, stack.OK
}

// fget returns fd's file with a reference for the call (sentry's fget).
func (in *instance) fget(t *sched.Thread, fd int) (*file, stack.Errno) {
	in.progress()
	ft := &in.files
	ft.mu.Lock(t)
	defer ft.mu.Unlock(t)
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
		return nil, stack.EBADF
	}
	f := ft.fds[fd]
	f.refs++
	return f, stack.OK
}

// fput drops a reference; the last one releases the socket, on the caller's thread.
func (in *instance) fput(t *sched.Thread, f *file) {
	ft := &in.files
	ft.mu.Lock(t)
	f.refs--
	last := f.refs == 0
	ft.mu.Unlock(t)
	if last {
		in.release(t, f.sock)
	}
}

// closeAll closes every descriptor still open, in descriptor order (teardown).
func (in *instance) closeAll(t *sched.Thread) {
	for fd := range in.files.fds {
		_ = in.closeFD(t, fd)
	}
}

func (in *instance) closeFD(t *sched.Thread, fd int) stack.Errno {
	ft := &in.files
	ft.mu.Lock(t)
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
		ft.mu.Unlock(t)
		return stack.EBADF
	}
	f := ft.fds[fd]
	ft.fds[fd] = nil
	ft.mu.Unlock(t)
	in.fput(t, f)
	return stack.OK
}

// release is sentry's sock.Release (netstack.go:506-527): Close the endpoint, then for TCP
// with SO_LINGER on and a timeout, wait for HUp or Err or the timeout.
func (in *instance) release(t *sched.Thread, s *socket) {
	if s.released {
		in.report(t, "use-after-close", "netstack: socket released twice", fmt.Sprintf("socket %d", s.id))
		return
	}
	s.released = true
	mask := waiter.EventHUp | waiter.EventErr
	q := s.queue(in, waitLinger)
	e := waiter.NewFunctionEntry(mask, func(waiter.EventMask) { q.WakeAllForeign() })
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	q.Interlock(t)
	s.ep.Close()
	if s.proto != stack.TCP {
		return
	}
	if l := s.ep.SocketOptions().GetLinger(); l.Enabled && l.Timeout != 0 {
		_ = q.SleepTimeout(t, nil, sched.Interruptible|sched.Interlocked, ticks(l.Timeout))
		t.ClearSignal()
	}
}

// errno maps err for a call, reporting an error sentry would not return.
func (p *proc) errno(err tcpip.Error) stack.Errno {
	e, ok := errno(err)
	if !ok {
		p.in.report(p.t, "adapter", unmapped(err), err.String())
	}
	return e
}

// withFile runs fn on fd's file, holding a reference.
func (p *proc) withFile(t *sched.Thread, fd int, fn func(f *file) stack.Errno) stack.Errno {
	f, err := p.in.fget(t, fd)
	if err != stack.OK {
		return err
	}
	defer p.in.fput(t, f)
	if !p.in.usable(t, f.sock) {
		return stack.EBADF
	}
	return fn(f)
}

// block is sentry's register, retry, block: try runs until it reports done, with the socket's
// waiter entry for mask registered, and the thread sleeps between tries. The interlock plays
// the part of the buffered channel of waiter.NewChannelEntry: a notification between the try
// and the sleep is not lost. An interrupt ends the wait with EINTR. The wake condition the
// lost-wakeup oracle judges is owed(mask).
func (s *socket) block(in *instance, t *sched.Thread, w wait, mask waiter.EventMask, try func() bool) stack.Errno {
	q := s.queue(in, w)
	e := waiter.NewFunctionEntry(mask, func(waiter.EventMask) { q.WakeAllForeign() })
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	pred := probe(func() bool { return s.owed(mask) })
	for {
		q.Interlock(t)
		if try() {
			return stack.OK
		}
		err := q.Sleep(t, pred, sched.Interruptible|sched.Interlocked)
		in.progress()
		if err != nil {
			return stack.EINTR
		}
	}
}

// owed reports whether gVisor owes a thread waiting on s for mask its wakeup: the masked
// readiness, as sentry's poll takes it (Readiness may report events beyond the mask, tcp's
// EventRdHUp of a half-closed connection, EventHUp of an unconnected socket, which no
// notification for the mask announces). Writability counts only where the hooked build says a
// blocked writer is owed a wakeup (tcp's SockfuzzWriteWake: half the send buffer free, or the
// send side gone): gVisor notifies WritableEvents from there (updateSndBufferUsage), as Linux
// wakes writers and reports POLLOUT, though Readiness says writable from the first free byte.
func (s *socket) owed(mask waiter.EventMask) bool {
	ready := s.ep.Readiness(mask) & mask
	if ready&^waiter.WritableEvents != 0 {
		return true
	}
	if ready == 0 {
		return false
	}
	w, ok := s.ep.(interface{ SockfuzzWriteWake() bool })
	return !ok || w.SockfuzzWriteWake()
}

func fullAddr(a stack.Addr) tcpip.FullAddress {
	return tcpip.FullAddress{Addr: addrFrom(a.IP), Port: a.Port}
}

// Socket implements stack.Proc.
func (p *proc) Socket(t *sched.Thread, proto stack.Proto) (int, stack.Errno) {
	in := p.in
	tp := tcp.ProtocolNumber
	switch proto {
	case stack.TCP:
	case stack.UDP:
		tp = udp.ProtocolNumber
	default:
		return -1, stack.EPROTOTYPE
	}
	if in.closed.Load() {
		return -1, errClosedStack
	}
	wq := &waiter.Queue{}
	ep, err := in.s.NewEndpoint(tp, ipv4.ProtocolNumber, wq)
	if err != nil {
		return -1, p.errno(err)
	}
	ops := ep.SocketOptions()
	ops.SetSendBufferSize(bufSize, true)
	ops.SetReceiveBufferSize(bufSize, true)
	s := in.newSocket(t, proto, ep, wq)
	fd, e := in.install(t, &file{sock: s})
	if e != stack.OK {
		in.release(t, s)
	}
	return fd, e
}

// Bind implements stack.Proc.
func (p *proc) Bind(t *sched.Thread, fd int, port uint16) stack.Errno {
	return p.withFile(t, fd, func(f *file) stack.Errno {
		err := f.sock.ep.Bind(tcpip.FullAddress{Addr: localAddr(), Port: port})
		if _, ok := err.(*tcpip.ErrNoPortAvailable); ok {
			return stack.EADDRINUSE // sentry's Bind
		}
		return p.errno(err)
	})
}

// maxListenBacklog is sentry's cap on listen's backlog (sys_socket.go:59), Linux's somaxconn.
const maxListenBacklog = 1024

// Listen implements stack.Proc, as sentry's listen(2) (sys_socket.go:378-413): the backlog,
// read as unsigned, is capped at maxListenBacklog and one is added, so that the accept queue
// holds backlog+1 connections, as Linux's does.
func (p *proc) Listen(t *sched.Thread, fd, backlog int) stack.Errno {
	if backlog < 0 || backlog > maxListenBacklog {
		backlog = maxListenBacklog
	}
	backlog++
	return p.withFile(t, fd, func(f *file) stack.Errno {
		err := f.sock.ep.Listen(backlog)
		if err == nil {
			f.sock.listened = true
		}
		return p.errno(err)
	})
}

// Connect implements stack.Proc, as sentry's sock.Connect (netstack.go:820-883): a blocking
// connect registers for WritableEvents, connects, waits for one notification and connects
// again for the result.
func (p *proc) Connect(t *sched.Thread, fd int, addr stack.Addr) stack.Errno {
	defer t.ClearSignal()
	return p.withFile(t, fd, func(f *file) stack.Errno {
		s, fa := f.sock, fullAddr(addr)
		if f.nonblock.Load() {
			return p.errno(s.ep.Connect(fa))
		}
		q := s.queue(p.in, waitConnect)
		e := waiter.NewFunctionEntry(waiter.WritableEvents, func(waiter.EventMask) { q.WakeAllForeign() })
		s.wq.EventRegister(&e)
		defer s.wq.EventUnregister(&e)
		q.Interlock(t)
		switch err := s.ep.Connect(fa); err.(type) {
		case *tcpip.ErrConnectStarted, *tcpip.ErrAlreadyConnecting:
		case *tcpip.ErrNoPortAvailable:
			if s.proto == stack.TCP {
				return stack.EADDRNOTAVAIL
			}
			return p.errno(err)
		default:
			return p.errno(err)
		}
		pred := probe(func() bool { return s.ep.Readiness(waiter.WritableEvents)&waiter.WritableEvents != 0 })
		if err := q.Sleep(t, pred, sched.Interruptible|sched.Interlocked); err != nil {
			return stack.EINTR
		}
		return p.errno(s.ep.Connect(fa))
	})
}

// Accept implements stack.Proc, as sentry's Accept and blockingAccept (netstack.go:959-978).
func (p *proc) Accept(t *sched.Thread, fd int) (int, stack.Errno) {
	defer t.ClearSignal()
	in := p.in
	nfd := -1
	e := p.withFile(t, fd, func(f *file) stack.Errno {
		s := f.sock
		var (
			ep  tcpip.Endpoint
			wq  *waiter.Queue
			err tcpip.Error
		)
		try := func() bool {
			ep, wq, err = s.ep.Accept(nil)
			_, wb := err.(*tcpip.ErrWouldBlock)
			return !wb || f.nonblock.Load()
		}
		if e := s.block(p.in, t, waitAccept, waiter.ReadableEvents, try); e != stack.OK {
			return e
		}
		if err != nil {
			return p.errno(err)
		}
		ns := in.newSocket(t, s.proto, ep, wq)
		var ie stack.Errno
		nfd, ie = in.install(t, &file{sock: ns})
		if ie != stack.OK {
			in.release(t, ns)
		}
		return ie
	})
	if e != stack.OK {
		return -1, e
	}
	return nfd, stack.OK
}

// SendTo implements stack.Proc, as sentry's SendMsg (netstack.go:3425-3499): TCP writes until
// everything is written; MSG_OOB is ignored, as the sentry ignores it.
func (p *proc) SendTo(t *sched.Thread, fd int, data []byte, to *stack.Addr, flags int) (int, stack.Errno) {
	defer t.ClearSignal()
	total := 0
	e := p.withFile(t, fd, func(f *file) stack.Errno {
		s := f.sock
		opts := tcpip.WriteOptions{}
		if to != nil {
			fa := fullAddr(*to)
			opts.To = &fa
		}
		nonblock := f.nonblock.Load() || flags&stack.MSG_DONTWAIT != 0
		var err tcpip.Error
		try := func() bool {
			var n int64
			n, err = s.ep.Write(bytes.NewReader(data[total:]), opts)
			total += int(n)
			if _, wb := err.(*tcpip.ErrWouldBlock); wb {
				return nonblock
			}
			// A nonblocking send returns what one write took, as sentry's SendMsg does once
			// its next write would block: it never sleeps for the rest.
			return err != nil || total >= len(data) || s.proto != stack.TCP || nonblock
		}
		if e := s.block(p.in, t, waitSend, waiter.WritableEvents, try); e != stack.OK {
			if total > 0 {
				return stack.OK
			}
			return e
		}
		if err != nil && total > 0 {
			return stack.OK
		}
		return p.errno(err)
	})
	if e != stack.OK {
		return -1, e
	}
	return total, stack.OK
}

// RecvFrom implements stack.Proc, as sentry's RecvMsg (netstack.go:3353-3423): a closed receive
// side reads as end of file; MSG_WAITALL reads until n bytes, end of file or an error; MSG_OOB
// is ignored.
func (p *proc) RecvFrom(t *sched.Thread, fd, n, flags int) ([]byte, stack.Addr, stack.Errno) {
	defer t.ClearSignal()
	var (
		buf  bytes.Buffer
		from stack.Addr
	)
	e := p.withFile(t, fd, func(f *file) stack.Errno {
		s := f.sock
		nonblock := f.nonblock.Load() || flags&stack.MSG_DONTWAIT != 0
		peek := flags&stack.MSG_PEEK != 0
		waitall := flags&stack.MSG_WAITALL != 0 && !peek && s.proto == stack.TCP
		var err tcpip.Error
		// try reads until it has what the call wants, or would block: a partial read under
		// MSG_WAITALL reads again at once, since what is left (more data, end of file) may
		// have been notified before this try.
		try := func() bool {
			for {
				res, rerr := s.ep.Read(&tcpip.LimitedWriter{W: &buf, N: int64(n - buf.Len())},
					tcpip.ReadOptions{Peek: peek, NeedRemoteAddr: true})
				err = rerr
				switch rerr.(type) {
				case nil:
					from = stack.Addr{IP: ipOf(res.RemoteAddr.Addr), Port: res.RemoteAddr.Port}
					if !waitall || buf.Len() >= n || res.Count == 0 {
						return true
					}
					continue
				case *tcpip.ErrClosedForReceive:
					err = nil
					return true
				case *tcpip.ErrWouldBlock:
					return nonblock || (buf.Len() > 0 && !waitall)
				}
				return true
			}
		}
		if e := s.block(p.in, t, waitRecv, waiter.ReadableEvents, try); e != stack.OK {
			if buf.Len() > 0 {
				return stack.OK
			}
			return e
		}
		if err != nil {
			if buf.Len() > 0 {
				return stack.OK
			}
			return p.errno(err)
		}
		return stack.OK
	})
	if e != stack.OK {
		return nil, stack.Addr{}, e
	}
	return buf.Bytes(), from, stack.OK
}

// Shutdown implements stack.Proc, as sentry's ConvertShutdown (netstack.go:980-995).
func (p *proc) Shutdown(t *sched.Thread, fd, how int) stack.Errno {
	var flags tcpip.ShutdownFlags
	switch how {
	case stack.SHUT_RD:
		flags = tcpip.ShutdownRead
	case stack.SHUT_WR:
		flags = tcpip.ShutdownWrite
	case stack.SHUT_RDWR:
		flags = tcpip.ShutdownRead | tcpip.ShutdownWrite
	default:
		return stack.EINVAL
	}
	return p.withFile(t, fd, func(f *file) stack.Errno { return p.errno(f.sock.ep.Shutdown(flags)) })
}

// Close implements stack.Proc: the descriptor goes; the last reference releases the socket.
func (p *proc) Close(t *sched.Thread, fd int) stack.Errno {
	defer t.ClearSignal()
	return p.in.closeFD(t, fd)
}

// Dup implements stack.Proc: a new descriptor for the same file.
func (p *proc) Dup(t *sched.Thread, fd int) (int, stack.Errno) {
	f, e := p.in.fget(t, fd)
	if e != stack.OK {
		return -1, e
	}
	nfd, e := p.in.install(t, f)
	p.in.fput(t, f)
	return nfd, e
}

// SetNonblock implements stack.Proc: ioctl FIONBIO sets the open file's flag.
func (p *proc) SetNonblock(t *sched.Thread, fd int, on bool) stack.Errno {
	return p.withFile(t, fd, func(f *file) stack.Errno {
		f.nonblock.Store(on)
		return stack.OK
	})
}

// outside answers a call outside netstack's profile: EBADF for a descriptor that is not open,
// as the syscall layer finds before any socket code, else EOPNOTSUPP.
func (p *proc) outside(t *sched.Thread, fd int) stack.Errno {
	return p.withFile(t, fd, func(*file) stack.Errno { return stack.EOPNOTSUPP })
}

// SetAsync implements stack.Proc: ioctl FIOASYNC is outside netstack's profile (SIGIO is the
// sentry's).
func (p *proc) SetAsync(t *sched.Thread, fd int, _ bool) stack.Errno { return p.outside(t, fd) }

// SetOwn implements stack.Proc: fcntl F_SETOWN is outside netstack's profile.
func (p *proc) SetOwn(t *sched.Thread, fd, _ int) stack.Errno { return p.outside(t, fd) }

// AtMark implements stack.Proc: sockatmark is outside netstack's profile (sentry's socket
// ioctl has no SIOCATMARK and answers ENOTTY, netstack.go:3620).
func (p *proc) AtMark(t *sched.Thread, fd int) (bool, stack.Errno) { return false, p.outside(t, fd) }

// SetLinger implements stack.Proc: setsockopt SO_LINGER.
func (p *proc) SetLinger(t *sched.Thread, fd int, on bool, secs int) stack.Errno {
	return p.withFile(t, fd, func(f *file) stack.Errno {
		f.sock.ep.SocketOptions().SetLinger(tcpip.LingerOption{Enabled: on, Timeout: time.Duration(secs) * time.Second})
		return stack.OK
	})
}

// SockError implements stack.Proc: getsockopt SO_ERROR reads and clears the endpoint's last
// error.
func (p *proc) SockError(t *sched.Thread, fd int) (stack.Errno, stack.Errno) {
	var soerr stack.Errno
	e := p.withFile(t, fd, func(f *file) stack.Errno {
		soerr = p.errno(f.sock.ep.LastError())
		return stack.OK
	})
	return soerr, e
}

// pollMasks pairs the poll bits with netstack's events.
var pollMasks = []struct {
	poll int
	ev   waiter.EventMask
}{
	{stack.POLLIN, waiter.ReadableEvents},
	{stack.POLLOUT, waiter.WritableEvents},
	{stack.POLLPRI, waiter.EventPri},
	{stack.POLLERR, waiter.EventErr},
	{stack.POLLHUP, waiter.EventHUp},
}

func toEvents(poll int) waiter.EventMask {
	var m waiter.EventMask
	for _, x := range pollMasks {
		if poll&x.poll != 0 {
			m |= x.ev
		}
	}
	return m
}

func toPoll(m waiter.EventMask) int {
	r := 0
	for _, x := range pollMasks {
		if m&x.ev != 0 {
			r |= x.poll
		}
	}
	return r
}

// Poll implements stack.Proc: the endpoint's Readiness; with wait, the blocking pattern on the
// events with errors and hang-up, which poll always reports.
func (p *proc) Poll(t *sched.Thread, fd, events int, wait bool) (int, stack.Errno) {
	defer t.ClearSignal()
	f, e := p.in.fget(t, fd)
	if e != stack.OK {
		return stack.POLLNVAL, stack.OK
	}
	defer p.in.fput(t, f)
	s := f.sock
	if !p.in.usable(t, s) {
		return stack.POLLNVAL, stack.OK
	}
	mask := toEvents(events) | waiter.EventErr | waiter.EventHUp
	var r int
	try := func() bool {
		r = toPoll(s.ep.Readiness(mask) & mask)
		return r != 0 || !wait
	}
	if e := s.block(p.in, t, waitPoll, mask, try); e != stack.OK {
		return 0, e
	}
	return r, stack.OK
}

// Interrupt implements stack.Proc: the target process's interruptible sleep ends with EINTR.
func (p *proc) Interrupt(t *sched.Thread, target stack.Proc) stack.Errno {
	tp, ok := target.(*proc)
	if !ok || tp.t == nil {
		return stack.EINVAL
	}
	if err := p.in.e.Interrupt(t, tp.t); err != nil {
		return stack.EINVAL
	}
	return stack.OK
}
