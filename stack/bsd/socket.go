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
	proto Proto
	name  string // "so3", for word and lock names
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

// soalloc allocates a socket with SS_NOFDREF and one reference (DragonFly soalloc).
func (st *Stack) soalloc(t *sched.Thread, proto Proto) *Socket {
	e := st.e
	_ = st.socklist.Lock(t)
	id := len(st.socks)
	st.socks = append(st.socks, nil)
	_ = st.socklist.Unlock(t)
	nm := namesFor(id)
	so := newSocket() // zero, or reset by Release: only the identity is left to set
	so.st, so.id, so.proto, so.name, so.names = st, id, proto, nm.so, nm
	e.InitMutex(&so.qlock, nm.qlock)
	e.InitMutex(&so.asyncLock, nm.fioasync)
	e.InitWord(&so.state, "so_state", nil)
	e.InitWord(&so.refs, "so_refs", nil)
	e.InitWord(&so.options, "so_options", nil)
	e.InitWord(&so.error, "so_error", nil)
	e.InitWord(&so.oobmark, "so_oobmark", nil)
	e.InitWord(&so.sigio, "so_sigio", nil)
	e.InitWord(&so.port, "so_port", nil)
	e.InitWord(&so.pcb, "so_pcb", nil)
	e.InitWord(&so.head, "so_head", &so.qlock)
	e.InitWord(&so.qlist, "so_comp/so_incomp", &so.qlock)
	e.InitWord(&so.qlen, "so_qlen", &so.qlock)
	e.InitWord(&so.incqlen, "so_incqlen", &so.qlock)
	e.InitWaitQueue(&so.timeo, nm.timeo)
	e.InitWaitQueue(&so.sel, nm.sel)
	snd, rcv := tcpSendSpace, tcpRecvSpace
	if proto == UDP {
		snd, rcv = udpSendSpace, udpRecvSpace
	}
	so.rcv.init(so, "so_rcv", rcv, 1)
	so.snd.init(so, "so_snd", snd, 2048)
	so.state.Init(SS_NOFDREF)
	so.refs.Init(1)
	_ = st.socklist.Lock(t)
	st.socks[id] = so
	_ = st.socklist.Unlock(t)
	st.nlive.AtomicAdd(t, "soalloc", 1)
	st.observe(t, ObsEvent{Kind: ObsSockCreated, Sock: id, Head: -1, Arg: int(proto), New: SS_NOFDREF, Proc: -1, Site: "soalloc"})
	return so
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
	_ = st.socklist.Lock(t)
	defer func() { _ = st.socklist.Unlock(t) }()
	if int(id) > len(st.socks) {
		return nil
	}
	return st.socks[id-1]
}

// sofree drops a reference; on the last one, with no pcb and SS_NOFDREF, it frees the socket
// (DragonFly sofree, as it ended). A socket on so_comp is not freed: accept(2) will take it.
//
// The listener's queue lock is taken, with so_head revalidated under it, before the reference
// goes: an accept or a drain takes its reference and clears so_head under that lock, so the
// last free and the re-reference are ordered. Dropped first and so_head looked at after (the
// 2010 order), an accept could re-reference the socket in between, then its close free it,
// and this sofree free it again.
func (st *Stack) sofree(t *sched.Thread, so *Socket) {
	so.touch(t, "sofree")
	var head *Socket
	for {
		head = st.sock(t, so.head.AtomicLoad(t, "sofree:so_head"))
		if head == nil {
			break
		}
		_ = head.qlock.Lock(t)
		if st.sock(t, so.head.AtomicLoad(t, "sofree:revalidate")) == head {
			break
		}
		_ = head.qlock.Unlock(t)
	}
	refs := so.refs.AtomicAdd(t, "sofree", -1)
	st.observe(t, ObsEvent{Kind: ObsRefs, Sock: so.id, Head: -1, Arg: int(int64(refs)), Proc: -1, Site: "sofree"})
	assert(int64(refs) >= 0, "sofree: so_refs <= 0")
	if refs > 0 {
		if head != nil {
			_ = head.qlock.Unlock(t)
		}
		return
	}
	assert(so.pcb.AtomicLoad(t, "sofree:so_pcb") == 0, "sofree: so_pcb != NULL")
	assert(so.state.AtomicLoad(t, "sofree:so_state")&SS_NOFDREF != 0, "sofree: !SS_NOFDREF")
	if head != nil {
		state := so.getstate(t, "sofree")
		switch {
		case state&SS_INCOMP != 0:
			head.qremove(t, so, QIncomp)
		case state&SS_COMP != 0:
			// "must not decommission a socket on the accept(2) queue"
			_ = head.qlock.Unlock(t)
			return
		default:
			_ = head.qlock.Unlock(t)
			panic("sofree: not queued")
		}
		so.soclrstate(t, "sofree", SS_INCOMP)
		so.head.AtomicStore(t, "sofree", 0)
		_ = head.qlock.Unlock(t)
	}
	so.rcv.release(t)
	so.snd.release(t)
	so.freed.Store(true)
	st.nlive.AtomicAdd(t, "sofree", -1)
	st.observe(t, ObsEvent{Kind: ObsSockFreed, Sock: so.id, Head: -1, Proc: -1, Site: "sofree"})
	st.freedQ.WakeAll(t)
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

// soisconnecting is DragonFly soisconnecting.
func (so *Socket) soisconnecting(t *sched.Thread) {
	so.soclrstate(t, "soisconnecting", SS_ISCONNECTED|SS_ISDISCONNECTING)
	so.sosetstate(t, "soisconnecting", SS_ISCONNECTING)
}

// soisconnected is DragonFly soisconnected (2014 form, correct): with so_head revalidated under
// the listener's queue lock, an embryonic connection moves from so_incomp to so_comp and the
// listener is woken; otherwise the socket's own sleepers are.
func (st *Stack) soisconnected(t *sched.Thread, so *Socket) {
	so.soclrstate(t, "soisconnected", SS_ISCONNECTING|SS_ISDISCONNECTING|SS_ISCONFIRMING)
	so.sosetstate(t, "soisconnected", SS_ISCONNECTED)
	if head := st.sock(t, so.head.AtomicLoad(t, "soisconnected:so_head")); head != nil && st.faults.Has(FaultAcceptQueueUnlocked) {
		// The 2008 mail's case: soisconnected in process context moves the socket between
		// the queues with no queue lock and no second look at so_head.
		if so.getstate(t, "soisconnected")&SS_INCOMP != 0 {
			head.soqcomplete(t, so)
			st.observe(t, ObsEvent{Kind: ObsCompleted, Sock: so.id, Head: head.id, Proc: -1, Site: "soisconnected"})
			st.sorwakeup(t, head)
			head.timeo.WakeOne(t)
			return
		}
	} else if head != nil {
		_ = head.qlock.Lock(t)
		if st.sock(t, so.head.AtomicLoad(t, "soisconnected:revalidate")) == head && so.getstate(t, "soisconnected")&SS_INCOMP != 0 {
			head.soqcomplete(t, so)
			// The listener cannot go while so is on its queue and the lock is held; the
			// wakeups come after the lock is dropped, so hold a reference for them (a
			// close of the listener on another CPU could free it meanwhile).
			head.soreference(t, "soisconnected:head")
			_ = head.qlock.Unlock(t)
			st.observe(t, ObsEvent{Kind: ObsCompleted, Sock: so.id, Head: head.id, Proc: -1, Site: "soisconnected"})
			st.sorwakeup(t, head)
			head.timeo.WakeOne(t)
			st.sofree(t, head)
			return
		}
		_ = head.qlock.Unlock(t)
	}
	so.timeo.WakeAll(t)
	st.sorwakeup(t, so)
	st.sowwakeup(t, so)
}

// soqcomplete moves so from head's so_incomp to its so_comp with its flags (soisconnected's
// queue change; head's qlock is held unless a fault left it out).
func (head *Socket) soqcomplete(t *sched.Thread, so *Socket) {
	head.qremove(t, so, QIncomp)
	head.qinsert(t, so, QComp)
	so.sosetstate(t, "soisconnected", SS_COMP)
	so.soclrstate(t, "soisconnected", SS_INCOMP)
}

// soisdisconnecting is DragonFly soisdisconnecting.
func (st *Stack) soisdisconnecting(t *sched.Thread, so *Socket) {
	so.soclrstate(t, "soisdisconnecting", SS_ISCONNECTING)
	so.sosetstate(t, "soisdisconnecting", SS_ISDISCONNECTING|SS_CANTRCVMORE|SS_CANTSENDMORE)
	so.timeo.WakeAll(t)
	st.sowwakeup(t, so)
	st.sorwakeup(t, so)
}

// soisdisconnected is DragonFly soisdisconnected.
func (st *Stack) soisdisconnected(t *sched.Thread, so *Socket) {
	so.soclrstate(t, "soisdisconnected", SS_ISCONNECTING|SS_ISCONNECTED|SS_ISDISCONNECTING)
	so.sosetstate(t, "soisdisconnected", SS_CANTRCVMORE|SS_CANTSENDMORE|SS_ISDISCONNECTED)
	so.timeo.WakeAll(t)
	_ = so.snd.token.Lock(t)
	so.snd.drop(t, len(so.snd.data))
	_ = so.snd.token.Unlock(t)
	st.sowwakeup(t, so)
	st.sorwakeup(t, so)
}

// socantsendmore is DragonFly socantsendmore.
func (st *Stack) socantsendmore(t *sched.Thread, so *Socket) {
	so.sosetstate(t, "socantsendmore", SS_CANTSENDMORE)
	st.sowwakeup(t, so)
}

// socantrcvmore is DragonFly socantrcvmore.
func (st *Stack) socantrcvmore(t *sched.Thread, so *Socket) {
	so.sosetstate(t, "socantrcvmore", SS_CANTRCVMORE)
	st.sorwakeup(t, so)
}

// soaborta aborts a connection asynchronously (DragonFly soaborta): pru_abort on the owning
// protocol thread, then the reference for the message in flight is dropped. The caller took
// that reference while the socket was still on head's queue, under the queue lock: taken
// later, a RST could free the socket in between. FaultAbortTwice takes it when the message
// runs (4402d8a2a5): a RST queued ahead of the abort frees the socket while the abort is in
// flight.
func (st *Stack) soaborta(t *sched.Thread, so *Socket, head *Socket) {
	hid := -1
	if head != nil {
		hid = head.id
	}
	st.observe(t, ObsEvent{Kind: ObsAborted, Sock: so.id, Head: hid, Proc: -1, Site: "soaborta"})
	st.pcbsendmsg(t, so, "pru_abort", func(t *sched.Thread) Errno {
		if st.faults.Has(FaultAbortTwice) {
			so.soreference(t, "pru_abort")
		}
		st.pruAbort(t, so)
		if !st.faults.Has(FaultAbortLostSofree) {
			st.sofree(t, so)
		}
		return OK
	})
}

// pruAbort is the protocol's abort (tcp_usr_abort: tcp_drop with ECONNABORTED).
func (st *Stack) pruAbort(t *sched.Thread, so *Socket) {
	switch so.proto {
	case TCP:
		if tp := so.tp; tp != nil && so.pcb.AtomicLoad(t, "pru_abort") != 0 {
			st.tcpDrop(t, tp, ECONNABORTED)
		}
	case UDP:
		if so.pcb.AtomicLoad(t, "pru_abort") != 0 {
			st.udpDetach(t, so)
		}
	}
}

// soaccept turns a connection taken off so_comp into one with a descriptor (DragonFly
// soaccept): it must still have SS_NOFDREF. The reference the descriptor will hold was taken by
// kern_accept's predicate under the listener's lock (the 2014 form; in 2010 soaccept took it
// here, too late: c19fdb0e33).
func (st *Stack) soaccept(t *sched.Thread, so *Socket) {
	if so.getstate(t, "soaccept")&SS_NOFDREF == 0 {
		panic("soaccept: !NOFDREF")
	}
	so.soclrstate(t, "soaccept", SS_NOFDREF)
}
