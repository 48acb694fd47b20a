package bsd

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// procFn is the body of one process of a test program.
type procFn func(t *sched.Thread, p *Proc, log func(format string, args ...any))

// outcome is what running a test program produced.
type outcome struct {
	res   *sched.Result
	first *sched.Result // the first quiescent result, if any
	st    *Stack
	logs  []string
	leaks []Leak
}

// runProgram runs processes on a fresh stack with cpus protocol threads, then a reaper thread
// that joins them and tears the stack down; it drives the execution to its end.
func runProgram(cfg sched.Config, cpus int, procs ...procFn) *outcome {
	if cfg.StepBudget == 0 {
		cfg.StepBudget = 500_000
	}
	e := sched.New(cfg)
	st := New(e, Config{CPUs: cpus})
	out := &outcome{st: st}
	var logMu sync.Mutex // Free mode: processes log concurrently
	var threads []*sched.Thread
	for i, fn := range procs {
		name := fmt.Sprintf("p%d", i)
		var p *Proc
		th := e.Go(name, func(t *sched.Thread) {
			fn(t, p, func(format string, args ...any) {
				logMu.Lock()
				out.logs = append(out.logs, name+": "+fmt.Sprintf(format, args...))
				logMu.Unlock()
			})
		})
		p = st.NewProc(name, th)
		threads = append(threads, th)
	}
	e.Go("reaper", func(t *sched.Thread) {
		for _, th := range threads {
			_ = t.Join(th)
		}
		st.Teardown(t)
	})
	out.first, out.res = e.Finish()
	if out.res.Status != sched.Done {
		out.leaks = st.Leaks()
	}
	return out
}

// check fails the test on any sign of trouble in an outcome, including a quiescent moment
// (strict: the program must never block for good).
func (o *outcome) check(t *testing.T, what string) {
	t.Helper()
	o.checkSound(t, what)
	if o.first != nil {
		t.Fatalf("%s: went quiescent first: %+v\nlogs:\n%s", what, o.first.Blocked, strings.Join(o.logs, "\n"))
	}
}

// checkSound fails the test on what the correct stack must never do under any schedule: a
// panic (a kernel assertion), substrate misuse, a lost wakeup, a race, a socket not freed.
func (o *outcome) checkSound(t *testing.T, what string) {
	t.Helper()
	r := o.res
	if r.Panic != nil {
		t.Fatalf("%s: panic in %s: %s\n%s", what, r.Panic.Name, r.Panic.Value, r.Panic.Stack)
	}
	if r.Status != sched.Done {
		t.Fatalf("%s: status %v, blocked %+v, leaks %v, logs:\n%s", what, r.Status, r.Blocked, o.leaks, strings.Join(o.logs, "\n"))
	}
	if o.first != nil {
		for _, b := range o.first.Blocked {
			if b.PredTrue {
				t.Fatalf("%s: lost wakeup: %+v\nlogs:\n%s", what, b, strings.Join(o.logs, "\n"))
			}
		}
	}
	if len(r.Races) > 0 {
		t.Fatalf("%s: races on the correct stack: %v", what, r.Races)
	}
	if len(r.Bugs) > 0 {
		t.Fatalf("%s: substrate misuse: %v", what, r.Bugs)
	}
	for _, so := range o.st.Sockets() {
		if !so.freed.Load() {
			t.Fatalf("%s: %v not freed", what, so)
		}
	}
}

// handshake is a two-process program: a listener and a client exchange payload bytes each way
// and close. The client retries a refused connect up to retries times (the listener may not be
// up yet): a bounded loop, because under PCT a client with a high priority can starve the
// listener for as long as it spins.
func handshake(payload, retries int) []procFn {
	const port = 80
	server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
		fd, err := p.Socket(t, TCP)
		if err != OK {
			log("socket: %v", err)
			return
		}
		if err := p.Bind(t, fd, port); err != OK {
			log("bind: %v", err)
			return
		}
		if err := p.Listen(t, fd, 5); err != OK {
			log("listen: %v", err)
			return
		}
		c, err := p.Accept(t, fd)
		if err != OK {
			log("accept: %v", err)
			return
		}
		got := 0
		for got < payload {
			b, err := p.Recv(t, c, 4096, 0)
			if err != OK || len(b) == 0 {
				log("recv: %v after %d", err, got)
				return
			}
			got += len(b)
		}
		if n, err := p.Send(t, c, make([]byte, payload), 0); err != OK || n != payload {
			log("send: %d %v", n, err)
		}
		b, err := p.Recv(t, c, 10, 0)
		log("eof: %d %v", len(b), err)
		p.Close(t, c)
		p.Close(t, fd)
	}
	client := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
		fd, err := p.Socket(t, TCP)
		if err != OK {
			log("socket: %v", err)
			return
		}
		for try := 0; ; try++ {
			err = p.Connect(t, fd, Addr{IP: LocalIP, Port: port})
			if err != ECONNREFUSED || try == retries {
				break
			}
			// The listener was not up yet: a new socket and again.
			p.Close(t, fd)
			fd, _ = p.Socket(t, TCP)
			t.Yield("retry")
		}
		if err != OK {
			log("connect: %v", err)
			return
		}
		if n, err := p.Send(t, fd, make([]byte, payload), 0); err != OK || n != payload {
			log("send: %d %v", n, err)
		}
		got := 0
		for got < payload {
			b, err := p.Recv(t, fd, 4096, 0)
			if err != OK || len(b) == 0 {
				log("recv: %v after %d", err, got)
				return
			}
			got += len(b)
		}
		log("done: %d", got)
		p.Close(t, fd)
	}
	return []procFn{server, client}
}

func TestHandshakeBothModes(t *testing.T) {
	for _, mode := range []sched.Mode{sched.Controlled, sched.Free} {
		for cpus := 1; cpus <= 4; cpus++ {
			o := runProgram(sched.Config{Mode: mode}, cpus, handshake(1024, 100000)...)
			o.check(t, fmt.Sprintf("%v cpus=%d", mode, cpus))
			joined := strings.Join(o.logs, "\n")
			if !strings.Contains(joined, "p1: done: 1024") || !strings.Contains(joined, "p0: eof: 0 OK") {
				t.Fatalf("%v cpus=%d: logs:\n%s", mode, cpus, joined)
			}
		}
	}
}

// threeProcs is the listener and two clients: each client connects, sends payload bytes,
// reads payload bytes back and closes; the listener serves both.
func threeProcs(payload, retries int) []procFn {
	hs := handshake(payload, retries)
	client := hs[1]
	server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
		fd, _ := p.Socket(t, TCP)
		if err := p.Bind(t, fd, 80); err != OK {
			log("bind: %v", err)
			return
		}
		_ = p.Listen(t, fd, 5)
		for i := 0; i < 2; i++ {
			c, err := p.Accept(t, fd)
			if err != OK {
				log("accept: %v", err)
				break
			}
			got := 0
			for got < payload {
				b, err := p.Recv(t, c, 4096, 0)
				if err != OK || len(b) == 0 {
					break
				}
				got += len(b)
			}
			_, _ = p.Send(t, c, make([]byte, payload), 0)
			_ = p.Close(t, c)
		}
		_ = p.Close(t, fd)
	}
	return []procFn{server, client, client}
}

// TestThreeProcessesUnderSchedules is the soundness test: the listener and two clients
// under 1,000 random and 1,000 PCT schedules, faults off, trip none of the stack's assertions,
// race nowhere, lose no wakeup and free every socket.
func TestThreeProcessesUnderSchedules(t *testing.T) {
	runs := 1000
	if testing.Short() {
		runs = 100
	}
	for _, kind := range []string{"random", "pct"} {
		done := 0
		for seed := uint64(0); seed < uint64(runs); seed++ {
			c := sched.Random(seed)
			if kind == "pct" {
				c = sched.PCT(seed, 3, 5000)
			}
			o := runProgram(sched.Config{Chooser: c}, 1+int(seed%4), threeProcs(1024, 30)...)
			o.checkSound(t, fmt.Sprintf("%s seed %d", kind, seed))
			if strings.Count(strings.Join(o.logs, "\n"), "done: 1024") == 2 {
				done++
			}
		}
		t.Logf("%s: %d of %d schedules completed both exchanges", kind, done, runs)
		if done < runs/3 {
			t.Errorf("%s: only %d of %d schedules completed both exchanges", kind, done, runs)
		}
	}
}

// TestHandshakeRandomSchedules runs the handshake under many random and PCT schedules: the
// correct stack must stay sound under all of them, and most must complete the exchange (a
// schedule may fire the connection timers early and time the connection out legitimately).
func TestHandshakeRandomSchedules(t *testing.T) {
	const runs = 300
	for _, kind := range []string{"random", "pct"} {
		done := 0
		for seed := uint64(0); seed < runs; seed++ {
			c := sched.Random(seed)
			if kind == "pct" {
				c = sched.PCT(seed, 3, 3000)
			}
			o := runProgram(sched.Config{Chooser: c}, 1+int(seed%4), handshake(1024, 30)...)
			o.checkSound(t, fmt.Sprintf("%s seed %d", kind, seed))
			if strings.Contains(strings.Join(o.logs, "\n"), "p1: done: 1024") {
				done++
			}
		}
		if done < runs/2 {
			t.Errorf("%s: only %d of %d schedules completed the exchange", kind, done, runs)
		}
		t.Logf("%s: %d of %d schedules completed the exchange", kind, done, runs)
	}
}
