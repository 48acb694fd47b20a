package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// Values of pr_flags (sys/sys/protosw.h): what the socket layer may assume of a protocol.
// sosend, soreceive, kern_connect and sowriteable decide on these, never on the protocol.
const (
	PR_ATOMIC       = 0x01   // exchange atomic messages only (records, sent all at once)
	PR_ADDR         = 0x02   // addresses given with messages
	PR_CONNREQUIRED = 0x04   // connection required by the protocol
	PR_WANTRCVD     = 0x08   // wants pru_rcvd calls once data is taken
	PR_ASYNC_SEND   = 0x0400 // pru_send may be sent asynchronously (DragonFly, later)
)

// protosw is struct protosw: a protocol's socket type, flags, input routine and user requests.
// A socket's so_proto points at one of inetsw.
type protosw struct {
	pr_type  Proto // the kind of socket it serves (SOCK_STREAM: TCP, SOCK_DGRAM: UDP)
	pr_flags int
	// pr_input takes a packet of the protocol, on protocol thread n (ip_input's dispatch).
	pr_input   func(st *Stack, t *sched.Thread, n *netisr, seg *Segment)
	pr_usrreqs *pr_usrreqs
}

// pr_usrreqs is struct pr_usrreqs: the requests the socket layer makes of a protocol. Each is
// the handler that runs on the socket's protocol thread; the so* functions send it there, as
// DragonFly's so_pru_* wrappers (kern/uipc_msg.c) do, under the request's name ("pru_bind").
//
// A nil entry is pr_generic_notsupp: the socket layer answers EOPNOTSUPP without sending a
// message (or, where noted, skips what the request would do).
type pr_usrreqs struct {
	pru_abort  func(st *Stack, t *sched.Thread, so *Socket) Errno
	pru_attach func(st *Stack, t *sched.Thread, so *Socket, n *netisr) Errno
	pru_bind   func(st *Stack, t *sched.Thread, so *Socket, port uint16) Errno
	// pru_connect may move the socket to another protocol thread: it then returns the rest
	// of the request, which the sender passes on to the socket's new thread (DragonFly's
	// tcp_connect forwards its message there with lwkt_forwardmsg).
	pru_connect    func(st *Stack, t *sched.Thread, so *Socket, nam Addr) (Errno, *netmsg)
	pru_detach     func(st *Stack, t *sched.Thread, so *Socket) Errno
	pru_disconnect func(st *Stack, t *sched.Thread, so *Socket) Errno
	pru_listen     func(st *Stack, t *sched.Thread, so *Socket) Errno
	// pru_peeraddr returns the connected peer's address; the model calls it in place,
	// without a message, where the protocol keeps the peer in an atomic word.
	pru_peeraddr func(so *Socket) Addr
	pru_rcvd     func(st *Stack, t *sched.Thread, so *Socket) Errno
	// pru_rcvoob returns the out-of-band byte (MSG_PEEK in flags leaves it).
	pru_rcvoob func(st *Stack, t *sched.Thread, so *Socket, flags int) (byte, Errno)
	// pru_send sends data to nam (given only for a PR_ADDR protocol); oob marks it urgent
	// (pru_sendoob).
	pru_send     func(st *Stack, t *sched.Thread, so *Socket, data []byte, nam Addr, oob bool) Errno
	pru_shutdown func(st *Stack, t *sched.Thread, so *Socket) Errno
}

// inetsw is the internet domain's protocol switch (netinet/in_proto.c), by protocol.
var inetsw = [...]protosw{
	TCP: {
		pr_type: TCP,
		// Without DragonFly's PR_IMPLOPCL: the model makes no implied connect (sendto on an
		// unconnected TCP socket is ENOTCONN). PR_ASYNC_SEND is used only by
		// FaultClosePendingSend: the correct model sends synchronously.
		pr_flags:   PR_CONNREQUIRED | PR_WANTRCVD | PR_ASYNC_SEND,
		pr_input:   (*Stack).tcpInput,
		pr_usrreqs: &tcp_usrreqs,
	},
	UDP: {
		pr_type:    UDP,
		pr_flags:   PR_ATOMIC | PR_ADDR,
		pr_input:   (*Stack).udpInput,
		pr_usrreqs: &udp_usrreqs,
	},
}

// pffindproto returns the protosw of protocol p, nil for none (pffindproto; ip_input's
// ip_protox).
func pffindproto(p Proto) *protosw {
	if int(p) >= len(inetsw) || inetsw[p].pr_usrreqs == nil {
		return nil
	}
	return &inetsw[p]
}
