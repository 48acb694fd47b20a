package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// netisr is a protocol thread: it owns the pcbs of its connections and runs the netmsgs sent
// to its port, one at a time (DragonFly's netisr_cpu threads).
type netisr struct {
	st   *Stack
	idx  int
	t    *sched.Thread
	port *sched.Port
}

// netmsg is a request run on a protocol thread (struct netmsg with its handler).
type netmsg struct {
	name string
	fn   func(t *sched.Thread) Errno // nil asks the thread to exit
}

// loop is the protocol thread's body: receive, run, reply.
func (n *netisr) loop(t *sched.Thread) {
	for {
		m, err := n.port.Recv(t)
		if err != nil {
			return
		}
		nm := m.Body.(*netmsg)
		if nm.fn == nil {
			_ = n.port.Reply(t, m, OK, nil)
			return
		}
		res := nm.fn(t)
		_ = n.port.Reply(t, m, res, nil)
	}
}

// domsg sends a request to protocol thread n and waits for its reply (lwkt_domsg).
func (st *Stack) domsg(t *sched.Thread, n *netisr, name string, fn func(*sched.Thread) Errno) Errno {
	if t == n.t {
		return fn(t) // already on the owning thread: a direct call, as DragonFly does
	}
	m := newNetmsg(name, fn)
	if err := n.port.Call(t, m); err != nil {
		return EINTR
	}
	if e, ok := m.Result.(Errno); ok {
		return e
	}
	return OK
}

// sendmsg sends a request to protocol thread n without waiting (lwkt_sendmsg).
func (st *Stack) sendmsg(t *sched.Thread, n *netisr, name string, fn func(*sched.Thread) Errno) {
	_ = n.port.Send(t, newNetmsg(name, fn))
}

// msgBox holds a message and its netmsg body in one allocation.
type msgBox struct {
	m  sched.Msg
	nm netmsg
}

// newNetmsg returns a message whose body is a netmsg.
func newNetmsg(name string, fn func(*sched.Thread) Errno) *sched.Msg {
	b := &msgBox{nm: netmsg{name: name, fn: fn}}
	b.m.Body = &b.nm
	return &b.m
}

// serviceSync waits until every other protocol thread has finished the message it is running
// (DragonFly's netmsg_service_sync). A pcb that every thread can find in the tables (a
// listener, a UDP socket) is taken out of them first; after the sync no thread still uses it,
// and it can be detached and freed.
func (st *Stack) serviceSync(t *sched.Thread) {
	for _, n := range st.netisrs {
		if n.t != t {
			st.domsg(t, n, "netmsg_service_sync", func(*sched.Thread) Errno { return OK })
		}
	}
}

// errForward is a netmsg's internal answer: the socket changed protocol threads while the
// message was queued, send it again to the new owner.
const errForward Errno = -3

// pcbmsg sends a request about so to its protocol thread and waits (lwkt_domsg to so_port).
// connect(2) moves a socket to the thread its address hashes to; a message that reached the
// old thread is forwarded to the new one, as DragonFly's pru functions forward a message that
// arrives on the wrong port, so that the pcb is only ever touched by its owner.
func (st *Stack) pcbmsg(t *sched.Thread, so *Socket, name string, fn func(*sched.Thread) Errno) Errno {
	return st.pcbmsgTo(t, so, st.soport(t, so), name, fn)
}

// pcbmsgTo is pcbmsg with the first destination given: bind, listen and connect go to the
// socket's current owner as read by owner (netisr0 until a connect moves the socket).
func (st *Stack) pcbmsgTo(t *sched.Thread, so *Socket, n *netisr, name string, fn func(*sched.Thread) Errno) Errno {
	for {
		e := st.domsg(t, n, name, func(t *sched.Thread) Errno {
			if st.owner(so).t != t {
				return errForward
			}
			return fn(t)
		})
		if e != errForward {
			return e
		}
		n = st.owner(so)
	}
}

// pcbsendmsg is pcbmsg without the wait (lwkt_sendmsg to so_port): the handler forwards itself.
func (st *Stack) pcbsendmsg(t *sched.Thread, so *Socket, name string, fn func(*sched.Thread) Errno) {
	var h func(*sched.Thread) Errno
	h = func(t *sched.Thread) Errno {
		if n := st.owner(so); n.t != t {
			st.sendmsg(t, n, name, h)
			return OK
		}
		return fn(t)
	}
	st.sendmsg(t, st.soport(t, so), name, h)
}

// owner is soport without a scheduling point: the handler's check of where it runs, which the
// message system makes for free in DragonFly.
func (st *Stack) owner(so *Socket) *netisr {
	i := int(so.port.Peek())
	if i < 0 || i >= len(st.netisrs) {
		i = 0
	}
	return st.netisrs[i]
}

// soport returns the protocol thread that owns so (so_port).
func (st *Stack) soport(t *sched.Thread, so *Socket) *netisr {
	i := int(so.port.AtomicLoad(t, "so_port"))
	if i < 0 || i >= len(st.netisrs) {
		i = 0
	}
	return st.netisrs[i]
}

// notifyMsg is a predicate wait (netmsg_so_notify): sent to the socket's protocol thread, it
// is answered at once if its predicate holds, else queued on a sockbuf (SSB_MEVENT) and re-run
// by every sowakeup of that sockbuf until it holds.
type notifyMsg struct {
	name   string
	so     *Socket
	sb     *Sockbuf
	pred   func(t *sched.Thread, nm *notifyMsg) bool // true when it has set result
	ready  func() bool                               // the wake condition, by Peek, for quiescence
	done   *sched.Word                               // set (atomically) once answered
	abort  bool                                      // guarded by sb.token
	result Errno
	val    *Socket // kern_accept's new connection
	wq     *sched.WaitQueue
}

// notify runs on the protocol thread: answer now or queue on the sockbuf.
func (st *Stack) notify(t *sched.Thread, nm *notifyMsg) Errno {
	sb := nm.sb
	sb.token.Lock(t)
	sb.everNotify.Store(true)
	if nm.abort || nm.done.AtomicLoad(t, "notify:done") != 0 {
		sb.token.Unlock(t)
		return OK
	}
	if st.faults.Has(FaultPredicateWakeupRace) {
		// Before ccae972d65: the predicate is tested outside the token, so a sowakeup between
		// the test and the queueing finds no message to run. Only that atomicity goes: an
		// aborted or answered message is still not run, as the fixed code checks under the
		// token (without the check the fault also made a use after soclose of an aborted
		// accept's listener, a second bug the historical one did not have).
		sb.token.Unlock(t)
		if nm.pred(t, nm) {
			st.completeNotify(t, nm)
			return OK
		}
		sb.token.Lock(t)
		if nm.abort {
			sb.token.Unlock(t)
			return OK
		}
	} else if nm.pred(t, nm) {
		st.completeNotify(t, nm)
		sb.token.Unlock(t)
		return OK
	}
	sb.notify = append(sb.notify, nm)
	sb.flags.AtomicOr(t, "ssb_flags:MEVENT", SSB_MEVENT)
	sb.token.Unlock(t)
	return OK
}

func (st *Stack) completeNotify(t *sched.Thread, nm *notifyMsg) {
	nm.done.AtomicStore(t, "notify:done", 1)
	nm.wq.WakeAll(t)
}

// waitNotify sends nm to the protocol thread and waits for its answer; a signal aborts the
// wait with EINTR unless the answer came first (lwkt_abortmsg).
func (st *Stack) waitNotify(t *sched.Thread, n *netisr, nm *notifyMsg) Errno {
	nm.wq = st.e.NewWaitQueue(nm.name)
	nm.done = st.e.NewWord(nm.name+":done", nil)
	st.sendmsg(t, n, nm.name, func(t *sched.Thread) Errno { return st.notify(t, nm) })
	for {
		nm.wq.Interlock(t)
		if nm.done.AtomicLoad(t, "notify:wait") != 0 {
			return nm.result
		}
		err := nm.wq.Sleep(t, func() bool { return nm.done.Peek() != 0 || nm.ready != nil && nm.ready() }, sched.Interruptible|sched.Interlocked)
		if err == nil {
			continue
		}
		sb := nm.sb
		sb.token.Lock(t)
		if nm.done.AtomicLoad(t, "notify:abort") != 0 {
			sb.token.Unlock(t)
			return nm.result
		}
		nm.abort = true
		sb.removeNotify(nm)
		sb.token.Unlock(t)
		return EINTR
	}
}
