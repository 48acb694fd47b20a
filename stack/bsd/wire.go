package bsd

import (
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// fourTuple names a connection from the stack's side.
type fourTuple struct{ local, remote Addr }

// seqLen is the sequence space the segment occupies.
func seqLen(s *Segment) uint32 {
	n := uint32(len(s.Data))
	if s.Flags&TH_SYN != 0 {
		n++
	}
	if s.Flags&TH_FIN != 0 {
		n++
	}
	return n
}

// wire carries segments between the program's sockets (loopback) and to and from the scripted
// remote peer. In-flight segments wait in a queue that the wire thread delivers in order and
// that the peer's script may drop, duplicate or reorder.
type wire struct {
	st       *Stack
	t        *sched.Thread
	mu       *sched.Mutex
	inflight []*Segment
	pending  atomic.Int64 // len(inflight), for the wire thread's predicate
	q        *sched.WaitQueue
	toPeer   []*Segment // segments the stack sent to remote addresses, in order
	quit     bool
}

func newWire(st *Stack) *wire {
	e := st.e
	// The wire is the model's plumbing, not a part of BSD whose races matter: a quiet mutex.
	w := &wire{st: st, mu: e.NewQuietMutex("wire"), q: e.NewWaitQueue("wire")}
	w.t = e.Go("wire", w.loop)
	return w
}

// transmit puts a segment on the wire (ip_output).
func (w *wire) transmit(t *sched.Thread, seg *Segment) {
	w.mu.Lock(t)
	w.inflight = append(w.inflight, seg)
	w.pending.Add(1)
	w.mu.Unlock(t)
	w.q.WakeOne(t)
}

// loop is the wire thread: it delivers in-flight segments one at a time.
func (w *wire) loop(t *sched.Thread) {
	for {
		// Interlock before looking, outside the quiet mutex: a transmit after this point
		// makes the sleep below return at once.
		w.q.Interlock(t)
		w.mu.Lock(t)
		if len(w.inflight) == 0 {
			quit := w.quit
			w.mu.Unlock(t)
			if quit {
				return
			}
			if err := w.q.Sleep(t, func() bool { return w.pending.Load() > 0 }, sched.Interlocked); err != nil {
				return
			}
			continue
		}
		seg := w.inflight[0]
		w.inflight = w.inflight[1:]
		w.pending.Add(-1)
		w.mu.Unlock(t)
		w.deliver(t, seg)
	}
}

// deliver hands a segment to the protocol thread that owns its connection (ip_input and the
// netisr dispatch by tcp_soport's hash), or records it as sent to the remote peer.
func (w *wire) deliver(t *sched.Thread, seg *Segment) {
	st := w.st
	if seg.Dst.IP != LocalIP {
		w.toPeer = append(w.toPeer, seg)
		return
	}
	n := st.netisrs[st.hashPort(seg.Dst, seg.Src)]
	st.sendmsg(t, n, "ip_input", func(t *sched.Thread) Errno {
		if pr := pffindproto(seg.Proto); pr != nil { // else no such protocol: dropped
			pr.pr_input(st, t, n, seg)
		}
		return OK
	})
}

// hashPort is tcp_soport's choice of protocol thread for a connection.
func (st *Stack) hashPort(local, remote Addr) int {
	h := local.IP ^ remote.IP ^ uint32(local.Port) ^ uint32(remote.Port)<<3
	h ^= h >> 7
	return int(h % uint32(len(st.netisrs)))
}

// Inject puts a segment from the remote peer on the wire. Its acknowledgment number is
// relative to the initial sequence number of the connection it reaches, as packetdrill writes
// them, resolved when it arrives; the peer's own sequence numbers are absolute.
func (st *Stack) Inject(t *sched.Thread, seg Segment) {
	s := seg
	if s.Proto == 0 {
		s.Proto = TCP
	}
	s.RelAck = s.Proto == TCP && s.Flags&TH_ACK != 0
	s.Data = append([]byte(nil), seg.Data...)
	st.wire.transmit(t, &s)
}

// WireDrop drops the oldest in-flight segment and reports whether there was one.
func (st *Stack) WireDrop(t *sched.Thread) bool {
	w := st.wire
	w.mu.Lock(t)
	defer func() { w.mu.Unlock(t) }()
	if len(w.inflight) == 0 {
		return false
	}
	w.inflight = w.inflight[1:]
	w.pending.Add(-1)
	return true
}

// WireDup duplicates the oldest in-flight segment.
func (st *Stack) WireDup(t *sched.Thread) bool {
	w := st.wire
	w.mu.Lock(t)
	defer func() { w.mu.Unlock(t) }()
	if len(w.inflight) == 0 {
		return false
	}
	c := *w.inflight[0]
	w.inflight = append([]*Segment{&c}, w.inflight...)
	w.pending.Add(1)
	return true
}

// WireReorder swaps the two oldest in-flight segments.
func (st *Stack) WireReorder(t *sched.Thread) bool {
	w := st.wire
	w.mu.Lock(t)
	defer func() { w.mu.Unlock(t) }()
	if len(w.inflight) < 2 {
		return false
	}
	w.inflight[0], w.inflight[1] = w.inflight[1], w.inflight[0]
	return true
}

// SentToPeer returns the segments the stack sent to remote addresses so far.
func (st *Stack) SentToPeer() []*Segment { return st.wire.toPeer }

// Tick lets d of virtual time pass for thread t (a wire script's "tick"): it sleeps on a
// private queue with a timeout, so that callouts due meanwhile fire.
func (st *Stack) Tick(t *sched.Thread, d sched.Duration) {
	if d <= 0 {
		return
	}
	_ = st.e.NewWaitQueue("tick").SleepTimeout(t, nil, 0, d)
}
