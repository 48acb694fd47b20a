package bsd

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// ObsKind is the kind of an observed event.
type ObsKind uint8

// What the stack reports to its Observer.
const (
	ObsSockCreated ObsKind = iota // Sock created (soalloc); Arg is the protocol
	ObsSockFreed                  // Sock freed (sofree's last reference)
	ObsState                      // Sock's so_state written: Old -> New
	ObsTouch                      // Sock accessed at Site (every access, for use-after-free)
	ObsQueueInsert                // Sock put on Head's queue Arg (QIncomp or QComp)
	ObsQueueRemove                // Sock taken off Head's queue Arg
	ObsAccepted                   // kern_accept returned Sock from Head
	ObsCompleted                  // the protocol completed Sock's connection on Head (conservation)
	ObsAborted                    // Sock aborted (soabort), Head its listener if any
	ObsSleep                      // a thread sleeps on Sock's Site ("so_rcv", "accept", ...)
	ObsWakeup                     // sowakeup on Sock's Site; Arg 1 if a sleeper was woken
	ObsReady                      // Sock became ready (Site "so_rcv"/"so_snd"); New is the so_state sowakeup read, Arg the SIGIO owner it read (-1 none, or SS_ASYNC clear)
	ObsSigio                      // SIGIO delivered to process Arg for Sock
	ObsAsyncSet                   // FIOASYNC: Arg 1 set, 0 cleared, by process Proc
	ObsFdInstall                  // descriptor Arg now refers to Sock
	ObsFdClose                    // descriptor Arg no longer refers to Sock
	ObsRefs                       // Sock's so_refs moved to Arg
	ObsSetOwn                     // Sock's SIGIO owner (so_sigio) set to process Arg, -1 for none
)

var obsNames = [...]string{"created", "freed", "state", "touch", "q-insert", "q-remove",
	"accepted", "completed", "aborted", "sleep", "wakeup", "ready", "sigio", "async", "fd-install",
	"fd-close", "refs", "setown"}

func (k ObsKind) String() string {
	if int(k) < len(obsNames) {
		return obsNames[k]
	}
	return "obs?"
}

// The queues of a listener.
const (
	QIncomp = 1 // so_incomp
	QComp   = 2 // so_comp
)

// ObsEvent is one observed event.
type ObsEvent struct {
	Kind     ObsKind
	Step     int      // the substrate's step count
	Thread   sched.ID // the thread that did it
	Sock     int      // the socket's id
	Head     int      // the listener's id, or -1
	Old, New uint64   // state words
	Arg      int      // kind-specific
	Proc     int      // process id, or -1
	Site     string   // the BSD function or field
	Freed    bool     // the socket was already freed when touched
}

func (ev ObsEvent) String() string {
	return fmt.Sprintf("%d t%d %s so%d head=%d %s %s->%s arg=%d", ev.Step, ev.Thread, ev.Kind,
		ev.Sock, ev.Head, ev.Site, StateString(ev.Old), StateString(ev.New), ev.Arg)
}

// Observer receives the stack's events. It runs on the thread that caused the event, inside the
// execution: it must not block or touch the stack except through Peek-style reads (Snapshot).
type Observer interface {
	Observe(st *Stack, ev ObsEvent)
}

// observe delivers an event, filling in the step and thread.
func (st *Stack) observe(t *sched.Thread, ev ObsEvent) {
	if st.obs == nil {
		return
	}
	ev.Step = st.e.Steps()
	if t != nil {
		ev.Thread = t.ID()
	} else {
		ev.Thread = -1
	}
	st.obs.Observe(st, ev)
}

// SockSnapshot is a read-only copy of a socket's fields.
type SockSnapshot struct {
	ID       int
	Proto    Proto
	State    uint64
	Refs     int64
	Head     int // -1 for none
	Qlen     int64
	Incqlen  int64
	Qlimit   int
	Comp     []int
	Incomp   []int
	Listen   bool
	Freed    bool
	HasPCB   bool
	TCPState TCPState
	RcvCC    int64
	RcvBytes int // bytes actually queued in so_rcv (stream data and datagrams)
	SndCC    int64
	SndBytes int
	Error    Errno
	Oobmark  int64
	Sigio    int // the SIGIO owner's process id, -1 for none
}

// Snapshot is a read-only copy of every socket of the stack and of the descriptor table.
type Snapshot struct {
	Socks []SockSnapshot
	Fds   map[int]int // descriptor -> socket id
}

// Snapshot copies the stack's sockets and descriptors without scheduling points.
func (st *Stack) Snapshot() *Snapshot {
	s := &Snapshot{Fds: make(map[int]int)}
	for _, so := range st.socks {
		s.Socks = append(s.Socks, so.snapshot())
	}
	for fd, f := range st.files.fds {
		if f != nil && f.so != nil {
			s.Fds[fd] = f.so.id
		}
	}
	return s
}

// EachSocket calls fn with a snapshot of every socket ever created, in creation order, without
// scheduling points: a cheaper Snapshot for a check that needs only the sockets.
func (st *Stack) EachSocket(fn func(SockSnapshot)) {
	for _, so := range st.socks {
		fn(so.snapshot())
	}
}

// Snapshot copies the socket's fields without scheduling points.
func (so *Socket) Snapshot() SockSnapshot { return so.snapshot() }

func (so *Socket) snapshot() SockSnapshot {
	ss := SockSnapshot{
		ID: so.id, Proto: so.proto.pr_type, State: so.state.Peek(), Refs: int64(so.refs.Peek()),
		Head: int(so.head.Peek()) - 1, Qlen: int64(so.qlen.Peek()), Incqlen: int64(so.incqlen.Peek()),
		Qlimit: so.qlimit, Listen: so.options.Peek()&SO_ACCEPTCONN != 0, Freed: so.freed.Load(),
		HasPCB: so.pcb.Peek() != 0, RcvCC: int64(so.rcv.cc.Peek()), RcvBytes: len(so.rcv.data),
		SndCC: int64(so.snd.cc.Peek()), SndBytes: len(so.snd.data), Error: Errno(so.error.Peek()),
		Oobmark: int64(so.oobmark.Peek()), Sigio: int(so.sigio.Peek()) - 1,
	}
	for _, r := range so.rcv.records {
		ss.RcvBytes += len(r.data)
	}
	for _, c := range so.comp {
		ss.Comp = append(ss.Comp, c.id)
	}
	for _, c := range so.incomp {
		ss.Incomp = append(ss.Incomp, c.id)
	}
	if so.tp != nil {
		ss.TCPState = so.tp.state
	}
	return ss
}
