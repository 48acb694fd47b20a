package bsd

import (
	"sync"
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Socket is struct socket. The fields that several threads touch are instrumented words, so
// that every access is a scheduling point and the happens-before detector sees them.
type Socket struct {
	st    *Stack
	id    int
	proto *protosw // so_proto
	name  string   // "so3", for word and lock names
	names *sockNames

	state   sched.Word   // so_state
	refs    sched.Word   // so_refs
	options sched.Word   // so_options (SO_ACCEPTCONN, SO_LINGER)
	linger  atomic.Int64 // so_linger, seconds; atomic: setsockopt in two processes, sonewconn copying it
	error   sched.Word   // so_error
	oobmark sched.Word   // so_oobmark
	sigio   sched.Word   // so_sigio: the owner's process id + 1, 0 for none
	// asyncLock serializes FIOASYNC on the socket, so that SS_ASYNC and the owner's request
	// (the file's FASYNC) cannot end up disagreeing when two processes toggle it at once.
	asyncLock sched.Mutex
	port      sched.Word // so_port: the owning protocol thread
	pcb       sched.Word // so_pcb: 1 while a protocol control block is attached

	// Listen queues, on the listener; guarded by its qlock.
	qlock   sched.Mutex
	head    sched.Word // so_head: the listener's id + 1, 0 for none
	incomp  []*Socket  // so_incomp
	comp    []*Socket  // so_comp
	qlist   sched.Word // the queue heads: touched by every insertion and removal
	qlen    sched.Word // so_qlen
	incqlen sched.Word // so_incqlen
	qlimit  int        // so_qlimit, set by solisten before SO_ACCEPTCONN

	rcv, snd Sockbuf
	timeo    sched.WaitQueue // so_timeo: accept and connect sleep here
	sel      sched.WaitQueue // poll(2) sleeps here (selwakeup)

	tp *tcpcb // the TCP control block, owned by the protocol thread
	up *udpcb // the UDP control block

	// freed is set by sofree; atomic, as touch tests it on every access from any thread.
	freed atomic.Bool
}

// ID returns the socket's id: its creation order in the execution.
func (so *Socket) ID() int { return so.id }

func (so *Socket) String() string { return so.name }

// socketPool keeps the sockets of finished executions for the next ones: a socket is a few
// kilobytes of words, locks and queues, allocated a handful of times per execution, and its
// sockbufs' data buffers grow to the same sizes every time.
var socketPool = sync.Pool{New: func() any { return new(Socket) }}

func newSocket() *Socket { return socketPool.Get().(*Socket) }

// Release returns the execution's sockets to a pool for later executions. Call it when
// nothing can touch them any more: the execution is over, and the caller is done with the
// stack and its snapshots; the stack must not be used after. A stack whose execution left a
// thread alive (a substrate failure) keeps its sockets.
func (st *Stack) Release() {
	if st.e.LiveThreads() != 0 {
		return
	}
	for i, so := range st.socks {
		if so == nil {
			continue
		}
		// Keep the buffers, drop every pointer into this execution.
		clear(so.incomp[:cap(so.incomp)])
		clear(so.comp[:cap(so.comp)])
		*so = Socket{incomp: so.incomp[:0], comp: so.comp[:0],
			rcv: Sockbuf{data: so.rcv.data[:0]}, snd: Sockbuf{data: so.snd.data[:0]}}
		socketPool.Put(so)
		st.socks[i] = nil
	}
	st.socks = nil
}

// touch reports an access to a freed socket (use after free); it costs nothing otherwise.
func (so *Socket) touch(t *sched.Thread, site string) {
	if so.freed.Load() {
		so.st.observe(t, ObsEvent{Kind: ObsTouch, Sock: so.id, Head: -1, Proc: -1, Site: site, Freed: true})
	}
}

// sosetstate sets so_state bits atomically (DragonFly sosetstate).
func (so *Socket) sosetstate(t *sched.Thread, site string, bits uint64) {
	so.touch(t, site)
	var old uint64
	if so.st.faults.Has(FaultSoStateRMW) {
		old = so.state.Or(t, site, bits)
	} else {
		old = so.state.AtomicOr(t, site, bits)
	}
	so.st.observe(t, ObsEvent{Kind: ObsState, Sock: so.id, Head: -1, Old: old, New: old | bits, Proc: -1, Site: site})
}

// soclrstate clears so_state bits atomically (DragonFly soclrstate).
func (so *Socket) soclrstate(t *sched.Thread, site string, bits uint64) {
	so.touch(t, site)
	var old uint64
	if so.st.faults.Has(FaultSoStateRMW) {
		old = so.state.AndNot(t, site, bits)
	} else {
		old = so.state.AtomicAndNot(t, site, bits)
	}
	so.st.observe(t, ObsEvent{Kind: ObsState, Sock: so.id, Head: -1, Old: old, New: old &^ bits, Proc: -1, Site: site})
}

// getstate reads so_state.
func (so *Socket) getstate(t *sched.Thread, site string) uint64 {
	so.touch(t, site)
	return so.state.AtomicLoad(t, site)
}

// soreference takes a reference (DragonFly soreference).
func (so *Socket) soreference(t *sched.Thread, site string) {
	so.touch(t, site)
	n := so.refs.AtomicAdd(t, site, 1)
	so.st.observe(t, ObsEvent{Kind: ObsRefs, Sock: so.id, Head: -1, Arg: int(n), Proc: -1, Site: site})
}

// sock returns the socket that an so_head value (id + 1) names, or nil.
func (st *Stack) sock(t *sched.Thread, id uint64) *Socket {
	if id == 0 {
		return nil
	}
	st.socklist.Lock(t)
	defer func() { st.socklist.Unlock(t) }()
	if int(id) > len(st.socks) {
		return nil
	}
	return st.socks[id-1]
}

// qinsert puts so at the tail of one of the listener head's queues (head's qlock held). The
// lengths are updated atomically, as poll and soreadable read so_qlen without the lock; the
// queue itself (qlist) is what the lock protects.
func (head *Socket) qinsert(t *sched.Thread, so *Socket, q int) {
	head.qlist.Add(t, "qinsert", 1)
	if q == QComp {
		head.comp = append(head.comp, so)
		head.qlen.AtomicAdd(t, "qinsert:so_qlen", 1)
	} else {
		head.incomp = append(head.incomp, so)
		head.incqlen.AtomicAdd(t, "qinsert:so_incqlen", 1)
	}
	head.st.observe(t, ObsEvent{Kind: ObsQueueInsert, Sock: so.id, Head: head.id, Arg: q, Proc: -1, Site: "qinsert"})
}

// qremove takes so off one of the listener head's queues (head's qlock held).
func (head *Socket) qremove(t *sched.Thread, so *Socket, q int) {
	head.qlist.Add(t, "qremove", 1)
	list := &head.incomp
	n := &head.incqlen
	if q == QComp {
		list, n = &head.comp, &head.qlen
	}
	for i, x := range *list {
		if x == so {
			*list = append((*list)[:i:i], (*list)[i+1:]...)
			break
		}
	}
	n.AtomicAdd(t, "qremove:len", -1)
	head.st.observe(t, ObsEvent{Kind: ObsQueueRemove, Sock: so.id, Head: head.id, Arg: q, Proc: -1, Site: "qremove"})
}
