// Package bsd is a model of the DragonFly BSD socket stack of the "netmp" era (2008-2010),
// running on the execution substrate of stack/sched: sockets and sockbufs, the accept queues,
// protocol threads (netisr) that own the protocol control blocks, TCP and UDP, a wire between
// the program's sockets and a scripted remote peer, and the system calls of processes that
// share one file table.
//
// Functions that model a BSD function keep its name (unexported) and name it in their doc
// comment, so that a kernel developer finds sonewconn, soisconnected, soclose, sofree,
// soabort, soaccept, sowakeup, ssb_wait, tcp_input, tcp_output, kern_connect and kern_accept
// where they expect them. The files follow DragonFly's: uipc_syscalls.go, uipc_socket.go,
// uipc_socket2.go, sys_socket.go, tcp_usrreq.go, udp_usrreq.go.
//
// The socket layer reaches a protocol only through its protosw (so_proto): the requests of its
// pr_usrreqs (pru_attach, pru_connect, pru_send, ...), each run on the socket's protocol
// thread, and its pr_flags (PR_ATOMIC, PR_ADDR, PR_CONNREQUIRED, PR_WANTRCVD), on which
// sosend, soreceive and kern_connect decide between datagram and stream behaviour.
//
// The stack holds no oracle: it reports what happens to an Observer (sockets created and freed,
// state words written, queue insertions and removals, sleeps, wakeups, SIGIO, descriptor
// changes) and offers read-only snapshots. Where DragonFly asserts (KKASSERT, panic) the model
// panics with the kernel's message; the substrate turns the panic into a report.
package bsd
