package conformance

import "strings"

// The scenario table.
//
// Conventions: symbolic port :1 is the listener's, :2 a client's or a second datagram socket's,
// :3 a port nobody uses (a connect there is refused). Slots r0.. name descriptors in the order
// the scenario opens them.
//
// BSD answers are DragonFly's around 2010: the sources read are DragonFly at 002c1265 (the D10
// of BSD-REFERENCE.md), except poll(2), which DragonFly implements over kqueue and which was
// read in sys/kern/sys_generic.c at 03e3cac0 (poll_copyout), the D10 copy not being at hand.
// Accept-queue overflow follows BSD-REFERENCE.md's sonewconn (see listen-backlog-overflow).
//
// Two errnos of the Errno list never appear: EINTR needs a signal during a blocking call (the
// program language's interrupt(pN)), and ETIMEDOUT needs a peer that stops answering (a dropped
// segment); neither can happen in a sequential scenario over a lossless loopback.

// Source locations cited by the Linux overrides.
const (
	srcSosendNotConn   = "sys/kern/uipc_socket.c sosend: not SS_ISCONNECTED on a PR_CONNREQUIRED protocol -> ENOTCONN"
	srcSosendOrder     = "sys/kern/uipc_socket.c sosend: SS_CANTSENDMORE -> EPIPE is tested before so_error, which stays pending"
	srcSoconnectListen = "sys/kern/uipc_socket.c soconnect: SO_ACCEPTCONN -> EOPNOTSUPP"
	srcSoconnectIsconn = "sys/kern/uipc_socket.c soconnect: SS_ISCONNECTED on a PR_CONNREQUIRED protocol -> EISCONN"
	srcBindNoPcb       = "sys/netinet/tcp_usrreq.c tcp_usr_bind (COMMON_START): so_pcb == NULL after tcp_drop/tcp_close -> EINVAL"
	srcRecvDisconn     = "sys/kern/uipc_socket.c soreceive: SS_CANTRCVMORE (soisdisconnected, from tcp_close) reads 0 before the not-connected check"
	srcPortFreed       = "sys/netinet/tcp_subr.c tcp_close: in_pcbdetach frees the pcb and its local port, an explicitly bound one too"
	srcPollShutRD      = "sys/kern/uipc_socket.c soshutdown SHUT_RD: sorflush -> socantrcvmore, filt_soread's EOF makes it readable; sys/kern/sys_generic.c poll_copyout: POLLHUP only at the write side's EOF"
	srcConnectNoPcb    = "sys/netinet/tcp_usrreq.c tcp_connect (COMMON_START): so_pcb == NULL after tcp_drop/tcp_close -> EINVAL"
	srcSoshutdown      = "sys/kern/uipc_socket.c soshutdown: no connected check; SHUT_RD is sorflush (socantrcvmore, buffer released)"
	srcAcceptAborted   = "sys/kern/uipc_syscalls.c soaccept_predicate: listener SS_CANTRCVMORE -> ECONNABORTED"
	srcAcceptDisconn   = "sys/netinet/tcp_usrreq.c tcp_usr_accept: SS_ISDISCONNECTED -> ECONNABORTED (kern_accept drops the new descriptor)"
	srcAcceptInherit   = "sys/kern/uipc_syscalls.c kern_accept: nfp->f_flag = lfp->f_flag and FIONBIO synced from it (FNONBLOCK inherited)"
	srcSonewconn       = "sys/kern/uipc_socket2.c sonewconn: refuse when so_qlen > 3*so_qlimit/2 (BSD-REFERENCE.md); note D10 sys/netinet/tcp_input.c also drops a SYN when so_qlen > so_qlimit before syncache_add, which alone would give qlimit+1 here"
	srcTCPDisconnect   = "sys/netinet/tcp_usrreq.c tcp_disconnect: sbflush(so_rcv) then tcp_usrclosed/tcp_output: a FIN, never a RST, for unread data"
	srcPollWrite       = "sys/kern/sys_generic.c poll_copyout: EVFILT_WRITE with EV_EOF (SS_CANTSENDMORE) gives POLLHUP instead of POLLOUT, plus POLLERR if so_error"
	srcPollUnconnected = "sys/kern/uipc_socket.c filt_sowrite: not connected on a PR_CONNREQUIRED protocol -> not writable; filt_soread: no data, no EOF -> not readable"
	srcPollOOB         = "sys/kern/uipc_socket.c filt_soread (NOTE_OOB, poll's POLLPRI): ready while so_oobmark != 0 || SS_RCVATMARK"
	srcUDPMaxDgram     = "sys/kern/uipc_socket.c sosendudp: resid > ssb_hiwat -> EMSGSIZE; sys/netinet/udp_usrreq.c udp_sendspace = 9216"
	srcUDPIsconn       = "sys/netinet/udp_usrreq.c udp_output: destination given while inp_faddr is set -> EISCONN"
	srcUDPAccept       = "sys/kern/uipc_syscalls.c kern_accept: !(so_options & SO_ACCEPTCONN) -> EINVAL, before any protocol hook"
	srcUDPSendOOB      = "sys/kern/uipc_socket.c sosendudp: flags other than DONTWAIT are not looked at; so_pru_send(so, 0, ...)"
	srcUDPRecvOOB      = "sys/kern/uipc_socket.c soreceive: MSG_OOB -> so_pru_rcvoob; sys/netinet/udp_usrreq.c pru_rcvoob = pr_generic_notsupp -> EOPNOTSUPP"
	srcPollUDPError    = "sys/kern/uipc_socket.c filt_soread: so_error makes the socket readable (\"temporary udp error\"); sys/kern/sys_generic.c poll_copyout adds POLLERR only with EV_EOF"
	srcSorflushInput   = "sys/kern/uipc_socket.c soshutdown/sorflush discards so_rcv; sys/netinet/tcp_input.c drops in-order data when SS_CANTRCVMORE"
)

// gVisor source locations cited by the netstack deviations, in the pinned version
// (gvisor.dev/gvisor@v0.0.0-20260905035102-160fafc42237); docs/conformance-netstack.md lists them.
const (
	gvErrorTwice      = "pkg/tcpip/transport/tcp/connect.go:1487-1500 handshakeFailed stores the error in lastError and in hardError; endpoint.go:2533-2537 connect takes hardError only; endpoint.go:1417-1424 LastError returns hardError, then lastError"
	gvConnectListener = "pkg/tcpip/transport/tcp/endpoint.go:2539-2540 connect: StateListen falls to the default case, ErrInvalidEndpointState (EINVAL)"
	gvResetCloseWait  = "pkg/tcpip/transport/tcp/connect.go:1258-1260 handleReset in CLOSE-WAIT: StateClose with hardError ErrAborted (EPIPE); endpoint.go:1571-1578 isEndpointWritableLocked takes hardError only in StateError, StateClose answers ErrClosedForSend and leaves it pending"
	gvLingerFinWait2  = "pkg/sentry/socket/netstack/netstack.go:506-527 Release waits for EventHUp|EventErr, its comment saying only while FIN-WAIT-1, CLOSING or LAST-ACK; pkg/tcpip/transport/tcp/rcv.go:302-304 FIN-WAIT-1 to FIN-WAIT-2 notifies nothing; dispatcher.go:236-243 startTimeWait (or CLOSE) is the first EventHUp"
	gvNoUrgent        = "pkg/tcpip/socketops.go:546-555 SO_OOBINLINE is always on and cannot be cleared; pkg/sentry/socket/netstack/netstack.go:3353-3499 RecvMsg and SendMsg never look at MSG_OOB; pkg/tcpip/transport/tcp/endpoint.go:948-1006 Readiness never sets EventPri"
	gvNoAtMark        = "pkg/sentry/socket/netstack/netstack.go:3500-3620 the socket ioctls have no SIOCATMARK and answer ENOTTY (the adapter's EOPNOTSUPP for a call outside its profile)"
	gvPollInitial     = "pkg/tcpip/transport/tcp/endpoint.go:952-955 Readiness: StateInitial and StateBound report EventHUp only"
	gvPollClosed      = "pkg/tcpip/transport/tcp/endpoint.go:960-962 Readiness: StateClose, StateError and StateTimeWait are ready for anything, EventErr included, whatever SO_ERROR holds"
	gvRefusedConnect  = "pkg/tcpip/transport/tcp/endpoint.go:2533-2537 connect: StateError answers the hard error, once, then ErrConnectionAborted; connect.go:1487-1500 handshakeFailed left the endpoint in StateError for good"
	gvRefusedBind     = "pkg/tcpip/transport/tcp/endpoint.go:2875-2877 bindLocked: any state but StateInitial is ErrAlreadyBound (EINVAL, pkg/syserr/netstack.go:34); connect.go:1487-1500 handshakeFailed left the endpoint in StateError for good"
	gvRefusedRecv     = "pkg/tcpip/transport/tcp/endpoint.go:1542-1548 checkReadLocked: StateError without a hard error is ErrClosedForReceive, which pkg/syserr/netstack.go:41 maps to no errno (a read of 0 bytes); connect.go:1487-1500 handshakeFailed left the endpoint in StateError for good"
	gvRefusedPort     = "pkg/tcpip/transport/tcp/connect.go:1487-1500 handshakeFailed calls cleanupLocked; endpoint.go:1243-1255 cleanupLocked releases the port reservation, the explicit bind's too"
	gvShutdownInitial = "pkg/tcpip/transport/tcp/endpoint.go:2643 shutdownLocked records the flags, then 2726-2727 answers ErrNotConnected; endpoint.go:952-955 Readiness: StateInitial and StateBound report EventHUp only; endpoint.go:1542-1550 checkReadLocked: not connected and nothing queued is ErrNotConnected"
	gvUDPSendOOB      = "pkg/sentry/syscalls/linux/sys_socket.go:1124-1175 sendto passes its flags on unchecked (sendmsg's check at 979-982 would answer EINVAL); pkg/sentry/socket/netstack/netstack.go:3425-3499 SendMsg ignores MSG_OOB"
)

// Reasons shared by several netstack deviations.
const (
	nsNoUrgent = "gVisor implements no urgent data: MSG_OOB is ignored both ways, the byte travels inline as normal data and POLLPRI never comes"
	nsNoAtMark = "gVisor has no SIOCATMARK"
	nsPollErr  = "gVisor's Readiness reports POLLERR in every closed state, with SO_ERROR empty"
)

// Slots.
const (
	r0 Slot = iota
	r1
	r2
	r3
	r4
	r5
	r6
	r7
	r8
	r9
	r10
)

// Expectation builders.

func okX() Expect              { return Expect{Any: []Result{{}}} }
func errX(e Errno) Expect      { return Expect{Any: []Result{{Err: e}}} }
func nX(n int) Expect          { return Expect{Any: []Result{{N: n}}} }
func evX(ev PollEvents) Expect { return nX(int(ev)) }
func dataX(s string) Expect    { return Expect{Any: []Result{{Data: s}}} }
func fromX(s string, p Port) Expect {
	return Expect{Any: []Result{{Data: s, From: p}}}
}

// Step builders: each sets the BSD expectation of the plain, successful call.

func socket(out Slot, p Proto) Step { return Step{Op: OpSocket, Out: out, Proto: p, Want: okX()} }
func openFile(out Slot) Step        { return Step{Op: OpOpenFile, Out: out, Want: okX()} }
func bind(fd Slot, p Port) Step     { return Step{Op: OpBind, FD: fd, Port: p, Want: okX()} }
func listen(fd Slot, backlog int) Step {
	return Step{Op: OpListen, FD: fd, N: backlog, Want: okX()}
}
func connect(fd Slot, p Port) Step { return Step{Op: OpConnect, FD: fd, Port: p, Want: okX()} }
func accept(fd, out Slot) Step     { return Step{Op: OpAccept, FD: fd, Out: out, Want: okX()} }
func send(fd Slot, data string, fl MsgFlags) Step {
	return Step{Op: OpSend, FD: fd, Data: data, Flags: fl, Want: nX(len(data))}
}
func sendto(fd Slot, data string, p Port) Step {
	return Step{Op: OpSendTo, FD: fd, Data: data, Port: p, Want: nX(len(data))}
}
func recv(fd Slot, n int, fl MsgFlags, want string) Step {
	return Step{Op: OpRecv, FD: fd, N: n, Flags: fl, Want: dataX(want)}
}
func recvfrom(fd Slot, n int, fl MsgFlags, want string, from Port) Step {
	return Step{Op: OpRecvFrom, FD: fd, N: n, Flags: fl, Want: fromX(want, from)}
}
func shutdown(fd Slot, how How) Step { return Step{Op: OpShutdown, FD: fd, How: how, Want: okX()} }
func closefd(fd Slot) Step           { return Step{Op: OpClose, FD: fd, Want: okX()} }
func dup(fd, out Slot) Step          { return Step{Op: OpDup, FD: fd, Out: out, Want: okX()} }
func nonblock(fd Slot, on bool) Step { return Step{Op: OpSetNonblock, FD: fd, On: on, Want: okX()} }
func soerror(fd Slot, e Errno) Step  { return Step{Op: OpGetSockError, FD: fd, Want: nX(int(e))} }
func linger(fd Slot, on bool, secs int) Step {
	return Step{Op: OpSetLinger, FD: fd, On: on, N: secs, Want: okX()}
}
func poll(fd Slot, ev PollEvents, wait bool, want PollEvents) Step {
	return Step{Op: OpPoll, FD: fd, Events: ev, Wait: wait, Want: evX(want)}
}
func atmark(fd Slot, at bool) Step {
	n := 0
	if at {
		n = 1
	}
	return Step{Op: OpAtMark, FD: fd, Want: nX(n)}
}

// fails makes the BSD expectation an error.
func (s Step) fails(e Errno) Step {
	s.Want = errX(e)
	return s
}

// tolerate makes the BSD expectation any of several outcomes, saying why timing decides.
func (s Step) tolerate(why string, rs ...Result) Step {
	s.Want = Expect{Any: rs, Why: why}
	return s
}

// linux records where Linux differs, why, and the BSD source that decides the BSD answer.
func (s Step) linux(want Expect, reason, source string) Step {
	s.Linux = &Override{Want: want, Reason: reason, Source: source}
	return s
}

// netstack records where gVisor's stack answers otherwise than Linux: a documented difference
// or a finding, why, and the gVisor source that decides its answer.
func (s Step) netstack(kind DeviationKind, want Expect, reason, source string) Step {
	s.Netstack = &Deviation{Kind: kind, Want: want, Reason: reason, Source: source}
	return s
}

// Poll shorthands.
const (
	wait   = true
	nowait = false
	in     = PollIn
	out    = PollOut
	pri    = PollPri
	inout  = PollIn | PollOut
)

// tcpPair: a listener r0 on :1, a client r1 connected to it, the server side r2.
func tcpPair() []Step {
	return []Step{
		socket(r0, TCP), bind(r0, 1), listen(r0, 5),
		socket(r1, TCP), connect(r1, 1),
		accept(r0, r2),
	}
}

// udpPair: datagram sockets r0 on :1 and r1 on :2.
func udpPair() []Step {
	return []Step{socket(r0, UDP), bind(r0, 1), socket(r1, UDP), bind(r1, 2)}
}

func join(groups ...[]Step) []Step {
	var all []Step
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

func steps(s ...Step) []Step { return s }

// payload is n bytes of a fixed pattern.
func payload(n int) string {
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		b.WriteByte(byte('a' + i%26))
	}
	return b.String()
}

// Scenarios returns the scenario table (a fresh copy: callers may change it).
func Scenarios() []Scenario {
	return []Scenario{
		// --- Connection setup ---
		{
			Name: "tcp-echo",
			Doc:  "a connected pair carries data both ways and closes cleanly",
			Steps: join(tcpPair(), steps(
				send(r1, "hello", 0), recv(r2, 16, 0, "hello"),
				send(r2, "world", 0), recv(r1, 16, 0, "world"),
				closefd(r1), closefd(r2), closefd(r0),
			)),
		},
		{
			Name: "connect-refused",
			Doc:  "a blocking connect to a port with no listener fails with ECONNREFUSED and consumes so_error",
			Steps: steps(
				socket(r0, TCP),
				connect(r0, 3).fails(ECONNREFUSED),
				soerror(r0, OK).netstack(Finding, nX(int(ECONNREFUSED)),
					"the refusal is stored twice (hard and last error); connect takes one, SO_ERROR reports the other",
					gvErrorTwice),
			),
		},
		{
			Name: "connect-refused-nonblocking",
			Doc:  "a non-blocking connect to no listener: EINPROGRESS, then poll and SO_ERROR report the refusal once",
			Steps: steps(
				socket(r0, TCP), nonblock(r0, true),
				connect(r0, 3).fails(EINPROGRESS),
				poll(r0, out, wait, PollHup|PollErr).linux(evX(PollOut|PollErr|PollHup),
					"Linux tcp_poll reports POLLOUT on a socket shut down for sending, alongside POLLHUP",
					srcPollWrite),
				soerror(r0, ECONNREFUSED),
				soerror(r0, OK).netstack(Finding, nX(int(ECONNREFUSED)),
					"the refusal is stored twice (hard and last error); SO_ERROR reports it twice",
					gvErrorTwice),
			),
		},
		{
			Name: "connect-after-refused",
			Doc:  "connecting again after a refused connect: BSD's pcb is gone (EINVAL)",
			Steps: steps(
				socket(r0, TCP), nonblock(r0, true),
				connect(r0, 3).fails(EINPROGRESS),
				poll(r0, out, wait, PollHup|PollErr).linux(evX(PollOut|PollErr|PollHup),
					"Linux tcp_poll reports POLLOUT on a socket shut down for sending, alongside POLLHUP",
					srcPollWrite),
				soerror(r0, ECONNREFUSED),
				connect(r0, 3).fails(EINVAL).linux(errX(ECONNABORTED),
					"Linux inet_stream_connect finds SS_CONNECTING on a TCP_CLOSE socket with no sk_err left and answers ECONNABORTED (a third connect would start over)",
					srcConnectNoPcb),
			),
		},
		{
			Name: "connect-again-after-refused",
			Doc:  "connecting again after a refused blocking connect: BSD's pcb is gone (EINVAL), Linux makes a new attempt",
			Steps: steps(
				socket(r0, TCP),
				connect(r0, 3).fails(ECONNREFUSED),
				connect(r0, 3).fails(EINVAL).linux(errX(ECONNREFUSED),
					"Linux inet_stream_connect's error path set SS_UNCONNECTED and ran tcp_disconnect: the socket is an unconnected TCP_CLOSE socket again, and the new attempt is refused",
					srcConnectNoPcb).netstack(Finding, errX(ECONNABORTED),
					"the refused endpoint stays in StateError for good: connect answers its hard error, then ECONNABORTED", gvRefusedConnect),
				nonblock(r0, true),
				connect(r0, 3).fails(EINVAL).linux(errX(EINPROGRESS),
					"Linux starts a new handshake, non-blocking this time",
					srcConnectNoPcb).netstack(Finding, errX(ECONNABORTED),
					"the refused endpoint stays in StateError for good: connect answers its hard error, then ECONNABORTED", gvRefusedConnect),
			),
		},
		{
			Name: "bind-after-refused",
			Doc:  "bind after a refused connect: BSD's pcb is gone (EINVAL), Linux's socket is unconnected and unbound again",
			Steps: steps(
				socket(r0, TCP),
				connect(r0, 3).fails(ECONNREFUSED),
				bind(r0, 2).fails(EINVAL).linux(okX(),
					"Linux tcp_set_state(TCP_CLOSE) released the port connect bound (no SOCK_BINDPORT_LOCK) and tcp_disconnect left an unconnected TCP_CLOSE socket: inet_bind accepts it",
					srcBindNoPcb).netstack(Finding, errX(EINVAL),
					"the refused endpoint stays in StateError for good, and bind accepts only StateInitial", gvRefusedBind),
			),
		},
		{
			Name: "recv-after-refused",
			Doc:  "recv after a refused blocking connect: BSD's socket is disconnected (EOF)",
			Steps: steps(
				socket(r0, TCP),
				connect(r0, 3).fails(ECONNREFUSED),
				recv(r0, 10, 0, "").linux(errX(ENOTCONN),
					"Linux tcp_disconnect cleared the shutdown tcp_done had set: tcp_recvmsg finds a TCP_CLOSE socket never connected, ENOTCONN",
					srcRecvDisconn).netstack(Finding, dataX(""),
					"the refused endpoint stays in StateError for good, and a read there is end of file", gvRefusedRecv),
				recvfrom(r0, 10, MsgDontWait, "", PortAny).linux(errX(ENOTCONN),
					"Linux tcp_disconnect cleared the shutdown tcp_done had set: tcp_recvmsg finds a TCP_CLOSE socket never connected, ENOTCONN",
					srcRecvDisconn).netstack(Finding, fromX("", PortAny),
					"the refused endpoint stays in StateError for good, and a read there is end of file", gvRefusedRecv),
			),
		},
		{
			Name: "refused-keeps-bound-port",
			Doc:  "the port a refused socket bound explicitly: BSD's tcp_close frees it with the pcb, Linux keeps it bound",
			Steps: steps(
				socket(r0, TCP), bind(r0, 2),
				connect(r0, 3).fails(ECONNREFUSED),
				socket(r1, TCP), bind(r1, 2).linux(errX(EADDRINUSE),
					"Linux tcp_set_state(TCP_CLOSE) keeps a port bound with SOCK_BINDPORT_LOCK (an explicit bind): r0 still holds it",
					srcPortFreed).netstack(Finding, okX(),
					"the refused endpoint's cleanup released its port reservation, the explicit bind's too", gvRefusedPort),
			),
		},
		{
			Name: "connect-twice",
			Doc:  "connecting a connected TCP socket again fails with EISCONN",
			Steps: join(tcpPair(), steps(
				connect(r1, 1).fails(EISCONN),
				connect(r1, 3).fails(EISCONN),
			)),
		},
		{
			Name: "connect-nonblocking-timing",
			Doc:  "a second connect right after EINPROGRESS sees the handshake pending or done, depending on timing",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				socket(r1, TCP), nonblock(r1, true),
				connect(r1, 1).fails(EINPROGRESS),
				connect(r1, 1).tolerate(
					"timing: EALREADY while SS_ISCONNECTING (the handshake still in flight), EISCONN once soisconnected ran; with the loopback quiesced between steps it is EISCONN",
					Result{Err: EISCONN}, Result{Err: EALREADY},
				).linux(Expect{Any: []Result{{Err: OK}, {Err: EALREADY}}, Why: "timing: EALREADY while SYN_SENT, else success"},
					"Linux inet_stream_connect answers EALREADY while SYN_SENT and 0 (not EISCONN) to the first connect that finds the handshake done",
					srcSoconnectIsconn),
				poll(r1, out, wait, out),
				soerror(r1, OK),
				accept(r0, r2),
			),
		},
		{
			Name: "connect-nonblocking-completed",
			Doc:  "after a non-blocking connect completes, connect again gives EISCONN",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				socket(r1, TCP), nonblock(r1, true),
				connect(r1, 1).fails(EINPROGRESS),
				poll(r1, out, wait, out),
				connect(r1, 1).fails(EISCONN).linux(okX(),
					"Linux inet_stream_connect reports success once to the first connect that finds SS_CONNECTING and ESTABLISHED, and only then EISCONN",
					srcSoconnectIsconn),
				connect(r1, 1).fails(EISCONN),
				accept(r0, r2),
			),
		},
		{
			Name: "connect-on-listener",
			Doc:  "connect on a listening socket is refused by soconnect",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				connect(r0, 1).fails(EOPNOTSUPP).linux(errX(EISCONN),
					"Linux inet_stream_connect answers EISCONN for any unconnected socket whose state is not TCP_CLOSE, a listener included",
					srcSoconnectListen).netstack(Finding, errX(EINVAL),
					"gVisor's connect has no case for a listener: invalid endpoint state",
					gvConnectListener),
			),
		},
		{
			Name: "listen-on-connected",
			Doc:  "listen on a connected socket (either end) fails with EINVAL",
			Steps: join(tcpPair(), steps(
				listen(r1, 5).fails(EINVAL),
				listen(r2, 5).fails(EINVAL),
			)),
		},
		{
			Name: "listen-twice",
			Doc:  "listen on a listening socket only changes the backlog",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5), listen(r0, 1),
				socket(r1, TCP), connect(r1, 1), accept(r0, r2),
			),
		},
		{
			Name: "listen-unbound",
			Doc:  "listen without bind picks a port (pru_listen binds) and succeeds",
			Steps: steps(
				socket(r0, TCP), listen(r0, 5),
				poll(r0, inout, nowait, 0),
			),
		},
		{
			Name: "bind-after-listen",
			Doc:  "bind on a bound (listening) socket fails with EINVAL",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				bind(r0, 2).fails(EINVAL),
			),
		},
		{
			Name: "bind-twice",
			Doc:  "a second bind of a bound socket fails with EINVAL",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1),
				bind(r0, 2).fails(EINVAL),
			),
		},
		{
			Name: "bind-in-use",
			Doc:  "two TCP sockets cannot bind the same port (EADDRINUSE); a UDP socket can",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1),
				socket(r1, TCP), bind(r1, 1).fails(EADDRINUSE),
				socket(r2, UDP), bind(r2, 1),
			),
		},

		// --- Accept ---
		{
			Name: "accept-on-unlistened",
			Doc:  "accept on a socket that is not listening fails with EINVAL",
			Steps: join(tcpPair(), steps(
				accept(r1, r3).fails(EINVAL),
				socket(r4, TCP), bind(r4, 2),
				accept(r4, r5).fails(EINVAL),
			)),
		},
		{
			Name: "accept-nonblocking-empty",
			Doc:  "a non-blocking accept with no connection gives EWOULDBLOCK and the listener is not readable",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5), nonblock(r0, true),
				accept(r0, r1).fails(EWOULDBLOCK),
				poll(r0, in, nowait, 0),
			),
		},
		{
			Name: "accept-blocking-empty-hangs",
			Doc:  "a blocking accept with no client would block forever (the HANG sentinel)",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				accept(r0, r1).fails(EHANG),
			),
		},
		{
			Name: "accept-inherits-nonblock",
			Doc:  "a socket accepted from a non-blocking listener is non-blocking on BSD",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5), nonblock(r0, true),
				socket(r1, TCP), connect(r1, 1),
				poll(r0, in, wait, in),
				accept(r0, r2),
				recv(r2, 10, 0, "").fails(EWOULDBLOCK).linux(errX(EHANG),
					"Linux accept(2) never copies O_NONBLOCK to the new descriptor (only accept4 flags set it), so this recv blocks",
					srcAcceptInherit),
			),
		},
		{
			Name: "accept-reset-connection",
			Doc:  "accepting a completed connection that the client reset gives ECONNABORTED on BSD",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				socket(r1, TCP), connect(r1, 1),
				linger(r1, true, 0), closefd(r1),
				accept(r0, r2).fails(ECONNABORTED).linux(okX(),
					"Linux keeps the reset child on the accept queue and accept(2) returns it; the error surfaces on the first read",
					srcAcceptDisconn),
				recv(r2, 10, 0, "").fails(EBADF).linux(errX(ECONNRESET),
					"on BSD the accept failed and r2 is no descriptor; Linux's accepted socket reports the RST",
					srcAcceptDisconn),
				nonblock(r0, true),
				accept(r0, r3).fails(EWOULDBLOCK),
			),
		},
		{
			Name: "accept-after-listener-shutdown",
			Doc:  "shutdown(SHUT_RD) of a listener makes accept fail with ECONNABORTED on BSD",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				shutdown(r0, ShutRD),
				accept(r0, r1).fails(ECONNABORTED).linux(errX(EINVAL),
					"Linux inet_shutdown turns SHUT_RD on a listener into tcp_disconnect: the socket stops listening, so accept says EINVAL",
					srcAcceptAborted),
			),
		},
		{
			Name: "close-listener-resets-queued",
			Doc:  "closing a listener aborts the connections still on its queue: the client sees ECONNRESET",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				socket(r1, TCP), connect(r1, 1),
				closefd(r0),
				recv(r1, 10, 0, "").fails(ECONNRESET),
				recv(r1, 10, 0, ""),
			),
		},
		{
			Name: "listen-backlog-overflow",
			Doc:  "backlog 2 and five handshakes one after another: BSD's 3*qlimit/2 rule queues four, Linux backlog+1 three",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 2),
				socket(r1, TCP), nonblock(r1, true), connect(r1, 1).fails(EINPROGRESS),
				socket(r2, TCP), nonblock(r2, true), connect(r2, 1).fails(EINPROGRESS),
				socket(r3, TCP), nonblock(r3, true), connect(r3, 1).fails(EINPROGRESS),
				socket(r4, TCP), nonblock(r4, true), connect(r4, 1).fails(EINPROGRESS),
				socket(r5, TCP), nonblock(r5, true), connect(r5, 1).fails(EINPROGRESS),
				poll(r1, out, wait, out),
				poll(r2, out, wait, out),
				poll(r3, out, wait, out),
				poll(r4, out, nowait, out).linux(evX(0),
					"Linux drops a SYN once the accept queue holds backlog+1 (sk_acceptq_is_full): the fourth client is still in SYN_SENT",
					srcSonewconn),
				poll(r5, out, nowait, 0),
				connect(r5, 1).fails(EALREADY),
				connect(r4, 1).fails(EISCONN).linux(errX(EALREADY),
					"the fourth client is still connecting on Linux",
					srcSonewconn),
				nonblock(r0, true),
				poll(r0, in, wait, in),
				accept(r0, r6), accept(r0, r7), accept(r0, r8),
				accept(r0, r9).linux(errX(EWOULDBLOCK),
					"Linux queued only backlog+1 = 3 connections",
					srcSonewconn),
				accept(r0, r10).fails(EWOULDBLOCK),
			),
		},
		{
			Name: "listen-backlog-one",
			Doc:  "backlog 1 and three handshakes: two are queued, where 3*qlimit/2 and backlog+1 agree",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 1),
				socket(r1, TCP), nonblock(r1, true), connect(r1, 1).fails(EINPROGRESS),
				socket(r2, TCP), nonblock(r2, true), connect(r2, 1).fails(EINPROGRESS),
				socket(r3, TCP), nonblock(r3, true), connect(r3, 1).fails(EINPROGRESS),
				poll(r1, out, wait, out),
				poll(r2, out, wait, out),
				poll(r3, out, nowait, 0),
				nonblock(r0, true),
				poll(r0, in, wait, in),
				accept(r0, r4), accept(r0, r5),
				accept(r0, r6).fails(EWOULDBLOCK),
			),
		},

		// --- Sending and receiving on TCP ---
		{
			Name: "send-unconnected-tcp",
			Doc:  "send on an unconnected TCP socket fails with ENOTCONN on BSD",
			Steps: steps(
				socket(r0, TCP),
				send(r0, "x", 0).fails(ENOTCONN).linux(errX(EPIPE),
					"Linux tcp_sendmsg -> sk_stream_wait_connect answers EPIPE for a socket that is not connecting",
					srcSosendNotConn),
			),
		},
		{
			Name: "recv-unconnected-tcp",
			Doc:  "recv on an unconnected or listening TCP socket fails with ENOTCONN",
			Steps: steps(
				socket(r0, TCP),
				recv(r0, 10, 0, "").fails(ENOTCONN),
				socket(r1, TCP), bind(r1, 1), listen(r1, 5),
				recv(r1, 10, 0, "").fails(ENOTCONN),
			),
		},
		{
			Name: "half-close",
			Doc:  "shutdown(SHUT_WR): the peer reads EOF, the other direction still works, the shut side gets EPIPE",
			Steps: join(tcpPair(), steps(
				shutdown(r1, ShutWR),
				recv(r2, 10, 0, ""),
				poll(r2, inout, nowait, inout),
				send(r2, "pong", 0), recv(r1, 10, 0, "pong"),
				send(r1, "x", 0).fails(EPIPE),
			)),
		},
		{
			Name: "shutdown-rd-discards",
			Doc:  "shutdown(SHUT_RD) discards queued data and later arrivals on BSD; recv then reads EOF",
			Steps: join(tcpPair(), steps(
				send(r1, "abc", 0),
				poll(r2, in, wait, in),
				shutdown(r2, ShutRD),
				recv(r2, 10, 0, "").linux(dataX("abc"),
					"Linux SHUT_RD only marks RCV_SHUTDOWN; data already queued stays readable",
					srcSoshutdown),
				send(r1, "def", 0),
				recv(r2, 10, MsgDontWait, "").linux(dataX("def"),
					"Linux keeps queueing data that arrives after SHUT_RD",
					srcSorflushInput),
			)),
		},
		{
			Name: "shutdown-unconnected",
			Doc:  "shutdown(SHUT_RD) of an unconnected TCP socket succeeds on BSD",
			Steps: steps(
				socket(r0, TCP),
				shutdown(r0, ShutRD).linux(errX(ENOTCONN),
					"Linux inet_shutdown answers ENOTCONN for a TCP_CLOSE socket",
					srcSoshutdown),
			),
		},
		{
			Name: "recv-after-peer-close",
			Doc:  "after the peer closes, recv returns the remaining data, then 0 every time",
			Steps: join(tcpPair(), steps(
				send(r1, "bye", 0), closefd(r1),
				recv(r2, 10, 0, "bye"),
				recv(r2, 10, 0, ""),
				recv(r2, 10, MsgDontWait, ""),
			)),
		},
		{
			Name: "send-after-peer-close",
			Doc:  "send after the peer closed: the first send succeeds, the RST it provokes makes the next ones fail",
			Steps: join(tcpPair(), steps(
				closefd(r2),
				recv(r1, 10, 0, ""),
				send(r1, "x", 0),
				send(r1, "y", 0).fails(EPIPE),
				send(r1, "z", 0).fails(EPIPE),
				soerror(r1, ECONNRESET).linux(nX(int(OK)),
					"Linux tcp_reset records EPIPE, not ECONNRESET, for a RST in CLOSE_WAIT, and the failed send already took it (tcp_sendmsg reports sk_err before EPIPE)",
					srcSosendOrder).netstack(Finding, nX(int(EPIPE)),
					"the RST in CLOSE-WAIT leaves an EPIPE pending that the failed sends do not take",
					gvResetCloseWait),
			)),
		},
		{
			Name: "close-with-unread-data",
			Doc:  "closing a socket with unread data sends a FIN on BSD: the peer reads EOF",
			Steps: join(tcpPair(), steps(
				send(r1, "abc", 0),
				poll(r2, in, wait, in),
				closefd(r2),
				recv(r1, 10, 0, "").linux(errX(ECONNRESET),
					"Linux tcp_close sends a RST when unread data is discarded (RFC 2525)",
					srcTCPDisconnect),
			)),
		},
		{
			Name: "linger-zero-rst",
			Doc:  "close with SO_LINGER on and 0 seconds resets the connection: the peer gets ECONNRESET, then EOF",
			Steps: join(tcpPair(), steps(
				linger(r1, true, 0), closefd(r1),
				recv(r2, 10, 0, "").fails(ECONNRESET),
				recv(r2, 10, 0, ""),
				send(r2, "x", 0).fails(EPIPE),
			)),
		},
		{
			Name: "linger-nonzero-close",
			Doc:  "close with SO_LINGER of 1 second returns once the data is delivered; the peer reads it and EOF",
			Steps: join(tcpPair(), steps(
				linger(r1, true, 1),
				send(r1, "data", 0),
				closefd(r1).netstack(Finding, errX(EHANG),
					"a lingering close is woken at TIME-WAIT or CLOSE, not when its FIN is acknowledged: in FIN-WAIT-2 it waits out the whole timeout, which never fires while the harness holds the clock",
					gvLingerFinWait2),
				recv(r2, 10, 0, "data"),
				recv(r2, 10, 0, ""),
			)),
		},
		{
			Name: "peek",
			Doc:  "MSG_PEEK returns data without consuming it",
			Steps: join(tcpPair(), steps(
				send(r1, "abc", 0),
				poll(r2, in, wait, in),
				recv(r2, 10, MsgPeek, "abc"),
				recv(r2, 2, MsgPeek, "ab"),
				recv(r2, 10, 0, "abc"),
				recv(r2, 10, MsgDontWait, "").fails(EWOULDBLOCK),
			)),
		},
		{
			Name: "dontwait-empty",
			Doc:  "MSG_DONTWAIT on a socket with nothing to read gives EWOULDBLOCK",
			Steps: join(tcpPair(), steps(
				recv(r2, 10, MsgDontWait, "").fails(EWOULDBLOCK),
				recv(r1, 10, MsgDontWait, "").fails(EWOULDBLOCK),
				poll(r2, in, nowait, 0),
			)),
		},
		{
			Name: "nonblock-fionbio",
			Doc:  "FIONBIO makes recv non-blocking and clearing it restores blocking reads",
			Steps: join(tcpPair(), steps(
				nonblock(r2, true),
				recv(r2, 10, 0, "").fails(EWOULDBLOCK),
				nonblock(r2, false),
				send(r1, "a", 0),
				recv(r2, 10, 0, "a"),
			)),
		},
		{
			Name: "waitall-full",
			Doc:  "MSG_WAITALL returns exactly the count asked for when enough data is queued",
			Steps: join(tcpPair(), steps(
				send(r1, "ab", 0), send(r1, "cd", 0), send(r1, "ef", 0),
				recv(r2, 4, MsgWaitAll, "abcd"),
				recv(r2, 10, 0, "ef"),
			)),
		},
		{
			Name: "waitall-short-at-eof",
			Doc:  "MSG_WAITALL returns a short count when the peer's FIN ends the stream",
			Steps: join(tcpPair(), steps(
				send(r1, "ab", 0), send(r1, "cd", 0), closefd(r1),
				recv(r2, 10, MsgWaitAll, "abcd"),
				recv(r2, 10, 0, ""),
			)),
		},

		// --- Out-of-band data ---
		{
			Name: "oob-mark",
			Doc:  "one OOB byte after normal data: SIOCATMARK false before the mark, true at it, MSG_OOB returns the byte",
			Steps: join(tcpPair(), steps(
				send(r1, "abc", 0), send(r1, "X", MsgOOB),
				poll(r2, pri, wait, pri).netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				atmark(r2, false).netstack(Difference, errX(EOPNOTSUPP), nsNoAtMark, gvNoAtMark),
				recv(r2, 10, 0, "abc").netstack(Difference, dataX("abcX"), nsNoUrgent, gvNoUrgent),
				atmark(r2, true).netstack(Difference, errX(EOPNOTSUPP), nsNoAtMark, gvNoAtMark),
				recv(r2, 10, MsgOOB, "X").netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				send(r1, "def", 0),
				recv(r2, 10, 0, "def"),
				atmark(r2, false).netstack(Difference, errX(EOPNOTSUPP), nsNoAtMark, gvNoAtMark),
			)),
		},
		{
			Name: "oob-peek",
			Doc:  "MSG_OOB|MSG_PEEK leaves the OOB byte; once read it is gone (EINVAL)",
			Steps: join(tcpPair(), steps(
				send(r1, "ab", 0), send(r1, "Z", MsgOOB),
				poll(r2, pri, wait, pri).netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, MsgOOB|MsgPeek, "Z").netstack(Difference, dataX("abZ"), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, MsgOOB|MsgPeek, "Z").netstack(Difference, dataX("abZ"), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, MsgOOB, "Z").netstack(Difference, dataX("abZ"), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, MsgOOB, "").fails(EINVAL).netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, 0, "ab").netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
			)),
		},
		{
			Name: "oob-none",
			Doc:  "MSG_OOB with no urgent data pending fails with EINVAL",
			Steps: join(tcpPair(), steps(
				send(r1, "abc", 0),
				poll(r2, in, wait, in),
				recv(r2, 10, MsgOOB, "").fails(EINVAL).netstack(Difference, dataX("abc"), nsNoUrgent, gvNoUrgent),
				atmark(r2, false).netstack(Difference, errX(EOPNOTSUPP), nsNoAtMark, gvNoAtMark),
				recv(r2, 10, 0, "abc").netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
			)),
		},
		{
			Name: "oob-first-byte",
			Doc:  "an OOB byte with nothing before it: the socket is at the mark at once",
			Steps: join(tcpPair(), steps(
				send(r1, "X", MsgOOB),
				poll(r2, pri, wait, pri).netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				atmark(r2, true).netstack(Difference, errX(EOPNOTSUPP), nsNoAtMark, gvNoAtMark),
				recv(r2, 10, MsgOOB, "X"),
				recv(r2, 10, MsgDontWait, "").fails(EWOULDBLOCK),
			)),
		},
		{
			Name: "oob-mark-passed",
			Doc:  "once normal reads move past the mark, MSG_OOB fails with EINVAL",
			Steps: join(tcpPair(), steps(
				send(r1, "ab", 0), send(r1, "X", MsgOOB), send(r1, "cd", 0),
				poll(r2, pri, wait, pri).netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, 0, "ab").netstack(Difference, dataX("abXcd"), nsNoUrgent, gvNoUrgent),
				atmark(r2, true).netstack(Difference, errX(EOPNOTSUPP), nsNoAtMark, gvNoAtMark),
				recv(r2, 10, 0, "cd").netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, MsgOOB, "").fails(EINVAL).netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
			)),
		},
		{
			Name: "poll-pri-oob",
			Doc:  "POLLPRI with urgent data pending; on BSD it stays while the read pointer is at the mark",
			Steps: join(tcpPair(), steps(
				poll(r2, pri, nowait, 0),
				send(r1, "ab", 0), send(r1, "X", MsgOOB),
				poll(r2, pri, wait, pri).netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, 0, "ab").netstack(Difference, dataX("abX"), nsNoUrgent, gvNoUrgent),
				poll(r2, pri, nowait, pri).netstack(Difference, evX(0), nsNoUrgent, gvNoUrgent),
				recv(r2, 10, MsgOOB, "X").netstack(Difference, errX(EHANG), nsNoUrgent, gvNoUrgent),
				poll(r2, pri, nowait, pri).linux(evX(0),
					"Linux tcp_poll reports POLLPRI only while the urgent byte is unread (TCP_URG_VALID)",
					srcPollOOB),
				send(r1, "c", 0),
				recv(r2, 10, 0, "c"),
				poll(r2, pri, nowait, 0),
			)),
		},

		// --- Descriptors ---
		{
			Name: "close-bad-fd",
			Doc:  "close of a descriptor that was never open fails with EBADF",
			Steps: steps(
				closefd(BadFD).fails(EBADF),
				closefd(r5).fails(EBADF),
			),
		},
		{
			Name: "closed-fd-ops",
			Doc:  "every operation on a closed descriptor fails with EBADF; poll reports POLLNVAL",
			Steps: steps(
				socket(r0, TCP), closefd(r0),
				closefd(r0).fails(EBADF),
				bind(r0, 1).fails(EBADF),
				listen(r0, 5).fails(EBADF),
				connect(r0, 1).fails(EBADF),
				accept(r0, r1).fails(EBADF),
				send(r0, "x", 0).fails(EBADF),
				sendto(r0, "x", 1).fails(EBADF),
				recv(r0, 10, 0, "").fails(EBADF),
				shutdown(r0, ShutRDWR).fails(EBADF),
				dup(r0, r2).fails(EBADF),
				nonblock(r0, true).fails(EBADF),
				linger(r0, true, 0).fails(EBADF),
				atmark(r0, false).fails(EBADF),
				soerror(r0, OK).fails(EBADF),
				poll(r0, in, nowait, PollNval),
			),
		},
		{
			Name: "dup-close-one",
			Doc:  "after dup, closing one descriptor leaves the socket working through the other; the last close ends it",
			Steps: join(tcpPair(), steps(
				dup(r1, r3), closefd(r1),
				recv(r2, 16, MsgDontWait, "").fails(EWOULDBLOCK),
				send(r3, "via-dup", 0),
				recv(r2, 16, 0, "via-dup"),
				closefd(r3),
				recv(r2, 16, 0, ""),
			)),
		},
		{
			Name: "dup-shares-nonblock",
			Doc:  "FIONBIO through a dup applies to the shared open file",
			Steps: join(tcpPair(), steps(
				dup(r2, r3), nonblock(r3, true),
				recv(r2, 10, 0, "").fails(EWOULDBLOCK),
			)),
		},
		{
			Name: "enotsock",
			Doc:  "socket calls on a descriptor that is not a socket fail with ENOTSOCK",
			Steps: steps(
				openFile(r0),
				bind(r0, 1).fails(ENOTSOCK),
				listen(r0, 5).fails(ENOTSOCK),
				connect(r0, 1).fails(ENOTSOCK),
				accept(r0, r1).fails(ENOTSOCK),
				send(r0, "x", 0).fails(ENOTSOCK),
				recv(r0, 10, 0, "").fails(ENOTSOCK),
				shutdown(r0, ShutRDWR).fails(ENOTSOCK),
				linger(r0, true, 0).fails(ENOTSOCK),
				soerror(r0, OK).fails(ENOTSOCK),
				closefd(r0),
			),
		},
		{
			Name: "time-wait-rebind",
			Doc:  "the active closer's port is held by TIME_WAIT (EADDRINUSE), the passive closer's is free again",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				socket(r1, TCP), bind(r1, 2), connect(r1, 1),
				accept(r0, r2),
				closefd(r1),
				recv(r2, 10, 0, ""),
				closefd(r2), closefd(r0),
				socket(r3, TCP), bind(r3, 2).fails(EADDRINUSE),
				socket(r4, TCP), bind(r4, 1), listen(r4, 5),
			),
		},
		{
			Name: "getsockerror-clean",
			Doc:  "SO_ERROR of healthy connected sockets is 0",
			Steps: join(tcpPair(), steps(
				soerror(r1, OK), soerror(r2, OK), soerror(r0, OK),
			)),
		},

		// --- poll ---
		{
			Name: "poll-fresh-tcp",
			Doc:  "a new unconnected TCP socket is neither readable nor writable on BSD",
			Steps: steps(
				socket(r0, TCP),
				poll(r0, inout, nowait, 0).linux(evX(PollOut|PollHup),
					"Linux tcp_poll reports POLLHUP for TCP_CLOSE and POLLOUT for a socket with no send shutdown pending",
					srcPollUnconnected).netstack(Difference, evX(PollHup),
					"gVisor reports a fresh socket hung up and nothing else, so that a lingering close of it does not block",
					gvPollInitial),
			),
		},
		{
			Name: "poll-after-shutdown-unconnected",
			Doc:  "shutdown(SHUT_RD) of an unconnected TCP socket makes it readable: recv reads EOF",
			Steps: steps(
				socket(r0, TCP),
				shutdown(r0, ShutRD).linux(errX(ENOTCONN),
					"Linux inet_shutdown answers ENOTCONN for a TCP_CLOSE socket",
					srcSoshutdown),
				poll(r0, in, nowait, in).linux(evX(PollIn|PollHup),
					"Linux inet_shutdown records RCV_SHUTDOWN although it answers ENOTCONN; tcp_poll reports POLLHUP for TCP_CLOSE and POLLIN for RCV_SHUTDOWN",
					srcPollShutRD).netstack(Finding, evX(PollHup),
					"gVisor records the failed shutdown's flags, but a socket in StateInitial polls HUP only", gvShutdownInitial),
				recv(r0, 10, 0, "").netstack(Finding, errX(ENOTCONN),
					"gVisor records the failed shutdown's flags, but a read in StateInitial answers ENOTCONN before looking at them", gvShutdownInitial),
			),
		},
		{
			Name: "poll-connected",
			Doc:  "a connected socket is writable; it becomes readable when data arrives",
			Steps: join(tcpPair(), steps(
				poll(r1, out, nowait, out),
				poll(r2, inout, nowait, out),
				send(r1, "x", 0),
				poll(r2, in, wait, in),
				poll(r2, inout, nowait, inout),
			)),
		},
		{
			Name: "poll-listener",
			Doc:  "a listener is readable exactly while a completed connection waits for accept",
			Steps: steps(
				socket(r0, TCP), bind(r0, 1), listen(r0, 5),
				poll(r0, inout, nowait, 0),
				socket(r1, TCP), connect(r1, 1),
				poll(r0, in, wait, in),
				accept(r0, r2),
				poll(r0, in, nowait, 0),
			),
		},
		{
			Name: "poll-peer-closed",
			Doc:  "after the peer's FIN a socket is readable (EOF) and still writable; no POLLHUP",
			Steps: join(tcpPair(), steps(
				closefd(r1),
				poll(r2, in, wait, in),
				poll(r2, inout, nowait, inout),
			)),
		},
		{
			Name: "poll-hup-both-closed",
			Doc:  "once both directions are closed poll reports POLLHUP (BSD: instead of POLLOUT)",
			Steps: join(tcpPair(), steps(
				closefd(r1),
				poll(r2, in, wait, in),
				shutdown(r2, ShutWR),
				poll(r2, inout, nowait, PollIn|PollHup).linux(evX(PollIn|PollOut|PollHup),
					"Linux tcp_poll sets POLLOUT whenever SEND_SHUTDOWN is set, next to POLLHUP",
					srcPollWrite).netstack(Difference, evX(PollIn|PollOut|PollErr|PollHup),
					nsPollErr+" (here CLOSE, after LAST-ACK)", gvPollClosed),
			)),
		},
		{
			Name: "poll-own-shutdown-wr",
			Doc:  "after its own shutdown(SHUT_WR) a socket polls POLLHUP for writing on BSD",
			Steps: join(tcpPair(), steps(
				shutdown(r1, ShutWR),
				poll(r1, out, nowait, PollHup).linux(evX(PollOut),
					"Linux tcp_poll reports POLLOUT after SHUT_WR (a write would fail with EPIPE) and POLLHUP only when both directions are shut",
					srcPollWrite),
				poll(r1, in, nowait, 0),
			)),
		},
		{
			Name: "poll-after-rst",
			Doc:  "a reset connection polls readable with POLLERR and POLLHUP until SO_ERROR is read",
			Steps: join(tcpPair(), steps(
				linger(r1, true, 0), closefd(r1),
				poll(r2, inout, wait, PollIn|PollErr|PollHup).linux(evX(PollIn|PollOut|PollErr|PollHup),
					"Linux tcp_poll sets POLLOUT whenever SEND_SHUTDOWN is set, next to POLLHUP",
					srcPollWrite),
				soerror(r2, ECONNRESET),
				poll(r2, inout, nowait, PollIn|PollHup).linux(evX(PollIn|PollOut|PollHup),
					"Linux tcp_poll sets POLLOUT whenever SEND_SHUTDOWN is set, next to POLLHUP",
					srcPollWrite).netstack(Difference, evX(PollIn|PollOut|PollErr|PollHup),
					nsPollErr+" (here after the reset, SO_ERROR read)", gvPollClosed),
			)),
		},

		// --- UDP ---
		{
			Name: "udp-connected",
			Doc:  "two connected UDP sockets exchange datagrams with send and recv",
			Steps: join(udpPair(), steps(
				connect(r0, 2), connect(r1, 1),
				send(r0, "ping", 0), recv(r1, 16, 0, "ping"),
				send(r1, "pong", 0), recvfrom(r0, 16, 0, "pong", 2),
				poll(r0, out, nowait, out),
			)),
		},
		{
			Name: "udp-sendto-recvfrom",
			Doc:  "unconnected UDP: sendto delivers and recvfrom names the sender's port",
			Steps: join(udpPair(), steps(
				sendto(r1, "hi", 1), recvfrom(r0, 16, 0, "hi", 2),
				sendto(r0, "yo", 2), recvfrom(r1, 16, 0, "yo", 1),
				poll(r0, inout, nowait, out),
			)),
		},
		{
			Name: "udp-send-no-address",
			Doc:  "send on an unconnected UDP socket without an address fails with EDESTADDRREQ",
			Steps: steps(
				socket(r0, UDP),
				send(r0, "x", 0).fails(EDESTADDRREQ),
				socket(r1, UDP), bind(r1, 1),
				send(r1, "x", 0).fails(EDESTADDRREQ),
			),
		},
		{
			Name: "udp-recvfrom-unbound",
			Doc:  "recvfrom on an unbound UDP socket has nothing to read (EWOULDBLOCK with MSG_DONTWAIT)",
			Steps: steps(
				socket(r0, UDP),
				recvfrom(r0, 16, MsgDontWait, "", PortAny).fails(EWOULDBLOCK),
				poll(r0, in, nowait, 0),
			),
		},
		{
			Name: "udp-oversize",
			Doc:  "a 64 KiB datagram exceeds every limit and fails with EMSGSIZE",
			Steps: steps(
				socket(r0, UDP), bind(r0, 1),
				sendto(r0, payload(65536), 1).fails(EMSGSIZE),
			),
		},
		{
			Name: "udp-over-bsd-maxdgram",
			Doc:  "BSD's UDP send buffer (udp_sendspace 9216) bounds a datagram: 9216 bytes pass, 9217 fail",
			Steps: join(udpPair(), steps(
				sendto(r1, payload(9217), 1).fails(EMSGSIZE).linux(nX(9217),
					"Linux limits a UDP datagram only by the IP length (65507 bytes of payload)",
					srcUDPMaxDgram),
				recvfrom(r0, 20000, MsgDontWait, "", PortAny).fails(EWOULDBLOCK).linux(fromX(payload(9217), 2),
					"the 9217-byte datagram was sent on Linux",
					srcUDPMaxDgram),
				sendto(r1, payload(9216), 1),
				recvfrom(r0, 20000, 0, payload(9216), 2),
			)),
		},
		{
			Name: "udp-sendto-on-connected",
			Doc:  "sendto with an address on a connected UDP socket fails with EISCONN on BSD",
			Steps: steps(
				socket(r0, UDP), bind(r0, 1),
				socket(r1, UDP), bind(r1, 2),
				socket(r2, UDP), bind(r2, 3),
				connect(r0, 2),
				sendto(r0, "x", 3).fails(EISCONN).linux(nX(1),
					"Linux udp_sendmsg sends to the given address even on a connected socket",
					srcUDPIsconn),
				recvfrom(r2, 16, MsgDontWait, "", PortAny).fails(EWOULDBLOCK).linux(fromX("x", 1),
					"the datagram was sent on Linux",
					srcUDPIsconn),
			),
		},
		{
			Name: "udp-port-unreachable",
			Doc:  "a connected UDP socket learns ECONNREFUSED from the port unreachable its datagram provoked",
			Steps: steps(
				socket(r0, UDP), bind(r0, 1),
				connect(r0, 3),
				send(r0, "x", 0),
				recv(r0, 16, 0, "").fails(ECONNREFUSED),
				send(r0, "y", 0),
				poll(r0, in, wait, in).linux(evX(PollErr),
					"Linux datagram_poll reports a pending sk_err as POLLERR and not as readability",
					srcPollUDPError),
				soerror(r0, ECONNREFUSED),
				soerror(r0, OK),
			),
		},
		{
			Name: "udp-unconnected-unreachable",
			Doc:  "an unconnected UDP socket is not told about port unreachables",
			Steps: steps(
				socket(r0, UDP), bind(r0, 1),
				sendto(r0, "x", 3),
				recvfrom(r0, 16, MsgDontWait, "", PortAny).fails(EWOULDBLOCK),
				soerror(r0, OK),
			),
		},
		{
			Name: "udp-truncate",
			Doc:  "a short recv of a datagram returns its head and discards the rest",
			Steps: join(udpPair(), steps(
				sendto(r1, "hello", 1),
				recv(r0, 2, 0, "he"),
				recv(r0, 10, MsgDontWait, "").fails(EWOULDBLOCK),
			)),
		},
		{
			Name: "udp-listen",
			Doc:  "listen on a UDP socket fails with EOPNOTSUPP",
			Steps: steps(
				socket(r0, UDP),
				listen(r0, 5).fails(EOPNOTSUPP),
			),
		},
		{
			Name: "udp-accept",
			Doc:  "accept on a UDP socket fails with EINVAL on BSD (no SO_ACCEPTCONN)",
			Steps: steps(
				socket(r0, UDP), bind(r0, 1),
				accept(r0, r1).fails(EINVAL).linux(errX(EOPNOTSUPP),
					"Linux's datagram sockets have no accept operation (sock_no_accept)",
					srcUDPAccept),
			),
		},
		{
			Name: "udp-send-oob",
			Doc:  "MSG_OOB on a UDP send is ignored by BSD's sosendudp",
			Steps: join(udpPair(), steps(
				connect(r1, 1),
				send(r1, "x", MsgOOB).linux(errX(EOPNOTSUPP),
					"Linux udp_sendmsg rejects MSG_OOB",
					srcUDPSendOOB).netstack(Difference, nX(1),
					"gVisor's sendto ignores MSG_OOB, on UDP too", gvUDPSendOOB),
				recv(r0, 10, MsgDontWait, "x").linux(errX(EWOULDBLOCK),
					"nothing was sent on Linux",
					srcUDPSendOOB).netstack(Difference, dataX("x"),
					"the datagram was sent on netstack", gvUDPSendOOB),
			)),
		},
		{
			Name: "udp-recv-oob",
			Doc:  "MSG_OOB on a UDP recv fails with EOPNOTSUPP on BSD",
			Steps: steps(
				socket(r0, UDP), bind(r0, 1),
				recv(r0, 10, MsgOOB|MsgDontWait, "").fails(EOPNOTSUPP).linux(errX(EWOULDBLOCK),
					"Linux udp_recvmsg ignores MSG_OOB and simply finds no datagram",
					srcUDPRecvOOB),
			),
		},
		{
			Name: "udp-shutdown-wr",
			Doc:  "shutdown(SHUT_WR) of a connected UDP socket makes send fail with EPIPE",
			Steps: join(udpPair(), steps(
				connect(r1, 1),
				shutdown(r1, ShutWR),
				send(r1, "x", 0).fails(EPIPE),
			)),
		},
	}
}
