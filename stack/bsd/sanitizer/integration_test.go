package sanitizer

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// procFn is the body of one process of a test program.
type procFn func(t *sched.Thread, p *bsd.Proc, log func(string, ...any))

// run runs procs on a fresh stack with the Checker installed, then a reaper that joins them and
// tears the stack down. Like Exec.Finish, it interrupts the interruptible sleepers at each
// quiescence, calling Checker.Quiescent there first; it returns Finish's reports and the logs.
func run(cfg sched.Config, cpus int, procs ...procFn) ([]Report, []string, *bsd.Stack) {
	if cfg.StepBudget == 0 {
		cfg.StepBudget = 500_000
	}
	c := newJudge()
	e := sched.New(cfg)
	st := bsd.New(e, bsd.Config{CPUs: cpus, Observer: c})
	var logs []string
	var logMu sync.Mutex
	var threads []*sched.Thread
	for i, fn := range procs {
		name := fmt.Sprintf("p%d", i)
		var p *bsd.Proc
		th := e.Go(name, func(t *sched.Thread) {
			fn(t, p, func(f string, a ...any) {
				logMu.Lock()
				logs = append(logs, name+": "+fmt.Sprintf(f, a...))
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
	first, res := e.FinishEach(func(r *sched.Result) { c.Quiescent(st, r) })
	return c.Finish(res, st, first), logs, st
}

// handshake: a listener and a client exchange payload bytes each way and close; the client
// retries a refused connect (the listener may not be up yet).
func handshake(payload, retries int) []procFn {
	const port = 80
	server := func(t *sched.Thread, p *bsd.Proc, log func(string, ...any)) {
		fd, _ := p.Socket(t, bsd.TCP)
		if err := p.Bind(t, fd, port); err != bsd.OK {
			log("bind: %v", err)
			return
		}
		_ = p.Listen(t, fd, 5)
		_ = p.SetAsync(t, fd, true)
		_ = p.SetOwn(t, fd, p.PID())
		c, err := p.Accept(t, fd)
		if err != bsd.OK {
			log("accept: %v", err)
			return
		}
		_ = p.SetAsync(t, c, true)
		got := 0
		for got < payload {
			b, err := p.Recv(t, c, 4096, 0)
			if err != bsd.OK || len(b) == 0 {
				log("recv: %v after %d", err, got)
				return
			}
			got += len(b)
		}
		_, _ = p.Send(t, c, make([]byte, payload), 0)
		_ = p.SetAsync(t, c, false)
		b, err := p.Recv(t, c, 10, 0)
		log("eof: %d %v", len(b), err)
		_ = p.Close(t, c)
		_ = p.Close(t, fd)
	}
	client := func(t *sched.Thread, p *bsd.Proc, log func(string, ...any)) {
		fd, _ := p.Socket(t, bsd.TCP)
		var err bsd.Errno
		for try := 0; ; try++ {
			err = p.Connect(t, fd, bsd.Addr{IP: bsd.LocalIP, Port: port})
			if err != bsd.ECONNREFUSED || try == retries {
				break
			}
			_ = p.Close(t, fd)
			fd, _ = p.Socket(t, bsd.TCP)
			t.Yield("retry")
		}
		if err != bsd.OK {
			log("connect: %v", err)
			return
		}
		_, _ = p.Send(t, fd, make([]byte, payload), 0)
		got := 0
		for got < payload {
			b, err := p.Recv(t, fd, 4096, 0)
			if err != bsd.OK || len(b) == 0 {
				log("recv: %v after %d", err, got)
				return
			}
			got += len(b)
		}
		log("done: %d", got)
		_ = p.Close(t, fd)
	}
	return []procFn{server, client}
}

// TestCorrectStackUnderSchedules: the correct stack, under 200 random schedules (and some PCT
// ones), trips no oracle.
func TestCorrectStackUnderSchedules(t *testing.T) {
	done := 0
	for seed := uint64(0); seed < 200; seed++ {
		for _, kind := range []string{"random", "pct"} {
			if kind == "pct" && seed%4 != 0 {
				continue
			}
			ch := sched.Random(seed)
			if kind == "pct" {
				ch = sched.PCT(seed, 3, 3000)
			}
			rs, logs, _ := run(sched.Config{Chooser: ch}, 1+int(seed%4), handshake(1024, 30)...)
			if len(rs) > 0 {
				t.Fatalf("%s seed %d: %d reports on the correct stack:\n%v\nlogs:\n%s", kind, seed, len(rs), rs[0], strings.Join(logs, "\n"))
			}
			if strings.Contains(strings.Join(logs, "\n"), "p1: done: 1024") {
				done++
			}
		}
	}
	if done < 100 {
		t.Errorf("only %d schedules completed the exchange: the test exercises too little", done)
	}
}

// TestBacklogUnderSchedules: a listener with a small backlog and several clients, closed with
// connections still queued, exercises the queue checks, the overflow rules and the drain.
func TestBacklogUnderSchedules(t *testing.T) {
	server := func(t *sched.Thread, p *bsd.Proc, log func(string, ...any)) {
		fd, _ := p.Socket(t, bsd.TCP)
		_ = p.Bind(t, fd, 80)
		_ = p.Listen(t, fd, 1)
		if c, err := p.Accept(t, fd); err == bsd.OK {
			_ = p.Close(t, c)
		}
		_ = p.Close(t, fd)
	}
	client := func(t *sched.Thread, p *bsd.Proc, log func(string, ...any)) {
		fd, _ := p.Socket(t, bsd.TCP)
		_ = p.SetNonblock(t, fd, true)
		_ = p.Connect(t, fd, bsd.Addr{IP: bsd.LocalIP, Port: 80})
		_, _ = p.Recv(t, fd, 1, 0)
		_ = p.Close(t, fd)
	}
	for seed := uint64(0); seed < 100; seed++ {
		rs, logs, _ := run(sched.Config{Chooser: sched.Random(seed)}, 1+int(seed%2), server, client, client, client)
		if len(rs) > 0 {
			t.Fatalf("seed %d: %d reports on the correct stack:\n%v\nlogs:\n%s", seed, len(rs), rs[0], strings.Join(logs, "\n"))
		}
	}
}

// TestSocketLeakOnRealStack: a program that never tears the stack down leaves a socket with
// its pcb: the leak oracle names the cause.
func TestSocketLeakOnRealStack(t *testing.T) {
	c := newJudge()
	e := sched.New(sched.Config{})
	st := bsd.New(e, bsd.Config{Observer: c})
	var p *bsd.Proc
	th := e.Go("p0", func(t *sched.Thread) { _, _ = p.Socket(t, bsd.TCP) })
	p = st.NewProc("p0", th)
	first, res := e.Finish()
	rs := c.Finish(res, st, first)
	expect(t, "leak", rs, "socket leak: pcb still attached")
}

// TestCorrectStackFreeMode: in Free mode the Checker is called from parallel goroutines; the
// event checks still find nothing on the correct stack (and go test -race sees no race in it).
func TestCorrectStackFreeMode(t *testing.T) {
	for i := 0; i < 20; i++ {
		rs, logs, _ := run(sched.Config{Mode: sched.Free}, 1+i%4, handshake(1024, 100000)...)
		if len(rs) > 0 {
			t.Fatalf("run %d: %d reports on the correct stack:\n%v\nlogs:\n%s", i, len(rs), rs[0], strings.Join(logs, "\n"))
		}
	}
}
