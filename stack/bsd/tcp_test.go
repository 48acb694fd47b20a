package bsd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// peerPair is two processes that each bind a known port and connect to the other's at the
// same time: simultaneous open (RFC 793 figure 8). Then each sends a line, reads the other's,
// and both close at once: simultaneous close (figure 14).
func peerPair() []procFn {
	mk := func(i int, mine, theirs uint16) procFn {
		return func(t *sched.Thread, p *Proc, log func(string, ...any)) {
			fd, _ := p.Socket(t, TCP)
			if err := p.Bind(t, fd, mine); err != OK {
				log("bind: %v", err)
				return
			}
			if err := p.Connect(t, fd, Addr{IP: LocalIP, Port: theirs}); err != OK {
				log("connect: %v", err)
				return
			}
			if _, err := p.Send(t, fd, []byte(fmt.Sprintf("hi from %d", i)), 0); err != OK {
				log("send: %v", err)
			}
			b, err := p.Recv(t, fd, 100, 0)
			log("got %q %v", b, err)
			_ = p.Close(t, fd)
		}
	}
	return []procFn{mk(0, 5001, 5002), mk(1, 5002, 5001)}
}

func TestSimultaneousOpenAndClose(t *testing.T) {
	states := map[string]int{}
	for seed := uint64(0); seed < 200; seed++ {
		o := runProgram(sched.Config{Chooser: sched.Random(seed)}, 1+int(seed%2), peerPair()...)
		o.checkSound(t, fmt.Sprintf("seed %d", seed))
		joined := fmt.Sprint(o.logs)
		if contains(joined, `got "hi from 1" OK`) && contains(joined, `got "hi from 0" OK`) {
			states["exchanged"]++
		}
	}
	if states["exchanged"] < 100 {
		t.Fatalf("only %d of 200 schedules exchanged both lines", states["exchanged"])
	}
}

// TestSimultaneousOpenReachesSynReceived checks that the schedule where both SYNs cross does
// happen and completes: each side goes SYN_SENT -> SYN_RECEIVED -> ESTABLISHED.
func TestSimultaneousOpenReachesSynReceived(t *testing.T) {
	crossed := 0
	for seed := uint64(0); seed < 300 && crossed == 0; seed++ {
		rec := &stateRecorder{}
		e := sched.New(sched.Config{Chooser: sched.Random(seed)})
		st := New(e, Config{CPUs: 1, Observer: rec})
		rec.st = st
		procs := peerPair()
		var ths []*sched.Thread
		for i, fn := range procs {
			var p *Proc
			th := e.Go(fmt.Sprint("p", i), func(t *sched.Thread) { fn(t, p, func(string, ...any) {}) })
			p = st.NewProc(fmt.Sprint("p", i), th)
			ths = append(ths, th)
		}
		e.Go("reaper", func(t *sched.Thread) {
			for _, th := range ths {
				_ = t.Join(th)
			}
			st.Teardown(t)
		})
		if _, r := e.Finish(); r.Status != sched.Done {
			t.Fatalf("seed %d: %v", seed, r.Status)
		}
		if rec.synRcvdActive {
			crossed++
		}
	}
	if crossed == 0 {
		t.Fatal("no schedule of 300 crossed the SYNs")
	}
}

// stateRecorder notes when an actively opened connection passes through SYN_RECEIVED.
type stateRecorder struct {
	st            *Stack
	synRcvdActive bool
}

func (r *stateRecorder) Observe(st *Stack, _ ObsEvent) {
	for _, so := range st.socks {
		if so == nil {
			continue
		}
		if tp := so.tp; tp != nil && !tp.passive && tp.state == TCPS_SYN_RECEIVED {
			r.synRcvdActive = true
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestFinWait2Timer is the 2008 mail's second SS_CANTRCVMORE test: a closed socket whose peer
// never closes leaves FIN_WAIT_2 when the idle timer fires, and is freed; the passive side's
// later FIN meets a RST.
func TestFinWait2Timer(t *testing.T) {
	var freedAt sched.Duration = -1
	procs := []procFn{
		func(t *sched.Thread, p *Proc, log func(string, ...any)) {
			fd, _ := p.Socket(t, TCP)
			_ = p.Bind(t, fd, 80)
			_ = p.Listen(t, fd, 1)
			c, err := p.Accept(t, fd)
			if err != OK {
				log("accept: %v", err)
				return
			}
			b, err := p.Recv(t, c, 10, 0) // the client's FIN: EOF
			log("eof %d %v", len(b), err)
			// Stay open past the client's FIN_WAIT_2 idle timer: a timed sleep on a private
			// queue lets virtual time run.
			q := p.st.e.NewWaitQueue("idle")
			_ = q.SleepTimeout(t, nil, 0, tcpMaxIdle+tcpMSL)
			freedAt = p.st.e.Now()
			_ = p.Close(t, c)
			_ = p.Close(t, fd)
		},
		func(t *sched.Thread, p *Proc, log func(string, ...any)) {
			fd, _ := p.Socket(t, TCP)
			for i := 0; i < 30 && p.Connect(t, fd, Addr{IP: LocalIP, Port: 80}) == ECONNREFUSED; i++ {
				_ = p.Close(t, fd)
				fd, _ = p.Socket(t, TCP)
			}
			_ = p.Close(t, fd)
			log("closed")
		},
	}
	o := runProgram(sched.Config{}, 1, procs...)
	o.check(t, "fin_wait_2")
	if freedAt < tcpMaxIdle || !contains(fmt.Sprint(o.logs), "eof 0 OK") {
		t.Fatalf("server woke at %d; logs %v", freedAt, o.logs)
	}
}
