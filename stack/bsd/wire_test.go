package bsd

import (
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// recorder is an Observer that keeps every event.
type recorder struct{ evs []ObsEvent }

func (r *recorder) Observe(_ *Stack, ev ObsEvent) { r.evs = append(r.evs, ev) }

func (r *recorder) count(k ObsKind) int {
	n := 0
	for _, ev := range r.evs {
		if ev.Kind == k {
			n++
		}
	}
	return n
}

// TestRemotePeerHandshake drives a listener from the scripted remote peer, packetdrill style:
// a SYN, then an ACK numbered relative to the stack's ISN, then data and a FIN; the stack's
// answers are checked on the wire, and the observer sees the lifecycle.
func TestRemotePeerHandshake(t *testing.T) {
	e := sched.New(sched.Config{})
	rec := &recorder{}
	st := New(e, Config{CPUs: 2, Observer: rec})
	peer := Addr{IP: 0x0a000002, Port: 4000}
	local := Addr{IP: LocalIP, Port: 80}
	var accepted, got []byte
	var acceptErr Errno = -1
	var listened bool
	var p *Proc
	pt := e.Go("p0", func(t *sched.Thread) {
		fd, _ := p.Socket(t, TCP)
		_ = p.Bind(t, fd, 80)
		_ = p.Listen(t, fd, 2)
		listened = true
		c, err := p.Accept(t, fd)
		acceptErr = err
		if err != OK {
			return
		}
		accepted = []byte("yes")
		for {
			b, err := p.Recv(t, c, 100, 0)
			if err != OK || len(b) == 0 {
				break
			}
			got = append(got, b...)
		}
		_ = p.Close(t, c)
		_ = p.Close(t, fd)
	})
	p = st.NewProc("p0", pt)
	e.Go("peer", func(t *sched.Thread) {
		for !listened {
			t.Yield("wait-listen")
		}
		st.Inject(t, Segment{Src: peer, Dst: local, Seq: 0, Flags: TH_SYN, Win: 1000})
		st.Inject(t, Segment{Src: peer, Dst: local, Seq: 1, Ack: 1, Flags: TH_ACK, Win: 1000})
		st.Inject(t, Segment{Src: peer, Dst: local, Seq: 1, Ack: 1, Flags: TH_ACK | TH_PSH, Win: 1000, Data: []byte("hello")})
		st.Inject(t, Segment{Src: peer, Dst: local, Seq: 6, Ack: 1, Flags: TH_ACK | TH_FIN, Win: 1000})
	})
	r := e.Run()
	if r.Panic != nil {
		t.Fatalf("panic: %s\n%s", r.Panic.Value, r.Panic.Stack)
	}
	if acceptErr != OK || string(accepted) != "yes" || string(got) != "hello" {
		t.Fatalf("accept %v, got %q; status %v blocked %+v", acceptErr, got, r.Status, r.Blocked)
	}
	var flags []string
	for _, s := range st.SentToPeer() {
		flags = append(flags, s.String())
	}
	sent := strings.Join(flags, "\n")
	if len(flags) < 3 || !strings.Contains(flags[0], " S ") || !strings.Contains(flags[0], "ack 1 ") {
		t.Fatalf("the stack's answers:\n%s", sent)
	}
	if !strings.Contains(sent, "F") {
		t.Fatalf("no FIN from the stack after close:\n%s", sent)
	}
	for _, k := range []ObsKind{ObsSockCreated, ObsQueueInsert, ObsQueueRemove, ObsCompleted, ObsAccepted, ObsState, ObsFdInstall, ObsFdClose} {
		if rec.count(k) == 0 {
			t.Errorf("the observer saw no %v event", k)
		}
	}
	// The connection waits in LAST_ACK for the peer's ACK of our FIN: the stack is not idle
	// until the retransmissions give up, which a held clock prevents here.
	e.Abort()
}

// TestWireFaults checks drop, duplicate and reorder of in-flight segments: a dropped SYN is
// retransmitted, a duplicated one is harmless, and the exchange completes.
func TestWireFaults(t *testing.T) {
	for _, op := range []string{"drop", "dup", "reorder"} {
		found := false
		for seed := uint64(0); seed < 100 && !found; seed++ {
			found = wireFault(t, op, seed)
		}
		if !found {
			t.Errorf("%s: no schedule of 100 found a segment in flight", op)
		}
	}
}

// wireFault runs the handshake with one wire fault under one random schedule and reports
// whether the fault found a segment to act on; the run must be sound either way.
func wireFault(t *testing.T, op string, seed uint64) bool {
	{
		e := sched.New(sched.Config{StepBudget: 200000, Chooser: sched.Random(seed)})
		st := New(e, Config{CPUs: 1})
		hs := handshake(100, 30)
		var threads []*sched.Thread
		for i, fn := range hs {
			var p *Proc
			th := e.Go("p", func(t *sched.Thread) { fn(t, p, func(string, ...any) {}) })
			p = st.NewProc(string(rune('a'+i)), th)
			threads = append(threads, th)
		}
		did := false
		e.Go("script", func(t *sched.Thread) {
			for i := 0; i < 200 && !did; i++ {
				switch op {
				case "drop":
					did = st.WireDrop(t)
				case "dup":
					did = st.WireDup(t)
				case "reorder":
					did = st.WireReorder(t)
				}
				t.Yield("script")
			}
		})
		e.Go("reaper", func(t *sched.Thread) {
			for _, th := range threads {
				_ = t.Join(th)
			}
			st.Teardown(t)
		})
		_, r := e.Finish()
		if r.Status != sched.Done || r.Panic != nil || len(r.Races) > 0 {
			t.Fatalf("%s: status %v panic %v races %v", op, r.Status, r.Panic, r.Races)
		}
		for _, so := range st.Sockets() {
			if !so.freed.Load() {
				t.Fatalf("%s: %v not freed", op, so)
			}
		}
		return did
	}
}

// TestRSTOnEmbryonicConnection: the remote peer sends a SYN, then a RST before completing the
// handshake; the embryonic socket leaves so_incomp and is freed, and the listener's counts
// return to zero.
func TestRSTOnEmbryonicConnection(t *testing.T) {
	e := sched.New(sched.Config{})
	st := New(e, Config{CPUs: 2})
	peer := Addr{IP: 0x0a000002, Port: 4000}
	local := Addr{IP: LocalIP, Port: 80}
	listened := false
	var lso *Socket
	var p *Proc
	pt := e.Go("p0", func(t *sched.Thread) {
		fd, _ := p.Socket(t, TCP)
		_ = p.Bind(t, fd, 80)
		_ = p.Listen(t, fd, 2)
		f, _ := st.getfile(t, fd)
		lso = f.so
		listened = true
	})
	p = st.NewProc("p0", pt)
	var incompAfterSYN int64 = -1
	e.Go("peer", func(t *sched.Thread) {
		for !listened {
			t.Yield("wait-listen")
		}
		st.Inject(t, Segment{Src: peer, Dst: local, Seq: 100, Flags: TH_SYN, Win: 1000})
		st.Tick(t, 1) // let the SYN be processed
		incompAfterSYN = int64(lso.incqlen.Peek())
		st.Inject(t, Segment{Src: peer, Dst: local, Seq: 101, Flags: TH_RST})
		st.Tick(t, 1)
	})
	r := e.Run()
	if r.Panic != nil {
		t.Fatalf("panic: %s", r.Panic.Value)
	}
	ls := lso.Snapshot()
	if incompAfterSYN != 1 || ls.Incqlen != 0 || len(ls.Incomp) != 0 || ls.Qlen != 0 {
		t.Fatalf("incqlen after SYN %d; listener now %+v", incompAfterSYN, ls)
	}
	embryo := st.Sockets()[1]
	if !embryo.freed.Load() {
		t.Fatalf("the embryonic connection was not freed: %+v", embryo.Snapshot())
	}
	e.Abort()
}
