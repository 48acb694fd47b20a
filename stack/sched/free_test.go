package sched

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestFreeToyWorkload(t *testing.T) {
	for i := 0; i < 200; i++ {
		e, counter := toyWorkload(Config{Mode: Free}, false)
		_, r := e.Finish()
		if !r.Status.Terminal() || r.Panic != nil {
			t.Fatalf("run %d: status %v panic %v", i, r.Status, r.Panic)
		}
		if r.Status == Done && counter.Peek() == 0 {
			t.Fatalf("run %d: done but the counter never moved", i)
		}
	}
	goleak.VerifyNone(t)
}

func TestFreeLostWakeupAndDeadlock(t *testing.T) {
	// A sleeper with no waker: quiescent, predicate false; then interrupted to the end.
	e := New(Config{Mode: Free})
	q := e.NewWaitQueue("q")
	flag := e.NewWord("flag", nil)
	e.Go("sleeper", func(t *Thread) {
		if err := q.Sleep(t, func() bool { return flag.Peek() != 0 }, Interruptible); err == ErrInterrupted {
			flag.Store(t, "eintr", 7)
		}
	})
	r := e.Run()
	if r.Status != Quiescent || len(r.Blocked) != 1 || !r.Blocked[0].HasPred || r.Blocked[0].PredTrue {
		t.Fatalf("status %v blocked %+v", r.Status, r.Blocked)
	}
	if err := e.Interrupt(nil, e.Threads()[0]); err != nil {
		t.Fatal(err)
	}
	if r := e.Run(); r.Status != Done || flag.Peek() != 7 {
		t.Fatalf("after interrupt: status %v flag %d", r.Status, flag.Peek())
	}

	// An ABBA deadlock is quiescence with both threads on mutexes, not a hang.
	for i := 0; i < 50; i++ {
		e = New(Config{Mode: Free})
		a, b := e.NewMutex("A"), e.NewMutex("B")
		started := e.NewWaitQueue("started")
		var n int
		both := e.NewMutex("n")
		lockBoth := func(first, second *Mutex) func(*Thread) {
			return func(t *Thread) {
				first.Lock(t)
				both.Lock(t)
				n++
				if n == 2 {
					started.WakeAll(t)
					both.Unlock(t)
				} else {
					both.Unlock(t)
					_ = started.SleepTimeout(t, nil, 0, 1)
				}
				second.Lock(t)
			}
		}
		e.Go("ab", lockBoth(a, b))
		e.Go("ba", lockBoth(b, a))
		r := e.Run()
		if r.Status != Quiescent || len(r.Blocked) != 2 || r.Blocked[0].Kind != "mutex" || r.Blocked[1].Kind != "mutex" {
			t.Fatalf("run %d: status %v blocked %+v", i, r.Status, r.Blocked)
		}
		if r := e.Abort(); r.Status != Aborted {
			t.Fatalf("abort: %v", r.Status)
		}
	}
	goleak.VerifyNone(t)
}

// TestFreeLostUpdateSeenByGoRace runs the toy lost update in Free mode in a child process and
// checks that go test -race reports it: in Free mode words are plain memory.
func TestFreeLostUpdateSeenByGoRace(t *testing.T) {
	if os.Getenv("SOCKFUZZ_SCHED_RACE_CHILD") == "1" {
		for i := 0; i < 100; i++ {
			e, _ := lostUpdate(Config{Mode: Free})
			e.Run()
		}
		return
	}
	if !raceEnabled {
		t.Skip("needs a -race build: CI's `go test -race ./...` runs this test")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFreeLostUpdateSeenByGoRace$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SOCKFUZZ_SCHED_RACE_CHILD=1", "GORACE=halt_on_error=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child passed: -race saw no race on the word\n%s", out)
	}
	s := string(out)
	if !strings.Contains(s, "WARNING: DATA RACE") || !strings.Contains(s, "sched.(*Word).rmw") {
		t.Fatalf("the child failed without a race report on Word.rmw:\n%s", s)
	}
}

// TestFreeDoneAfterInterrupt: threads that an Interrupt resumes may finish the execution on
// their own between runs; the next Run must still tear it down (the idle callout thread).
func TestFreeDoneAfterInterrupt(t *testing.T) {
	for i := 0; i < 200; i++ {
		e := New(Config{Mode: Free})
		q := e.NewWaitQueue("q")
		tm := e.NewTimer("t", func(*Thread) {})
		s := e.Go("sleeper", func(t *Thread) {
			_ = tm.Reset(t, 1) // fires while the sleeper sleeps: the callout thread exists
			_ = q.Sleep(t, nil, Interruptible)
		})
		if r := e.Run(); r.Status != Quiescent {
			t.Fatalf("run %d: %v", i, r.Status)
		}
		_ = e.Interrupt(nil, s)
		for !s.Exited() && i%2 == 0 {
			runtime.Gosched() // half the time, let the sleeper finish before Run
		}
		if r := e.Run(); r.Status != Done || e.LiveThreads() != 0 {
			t.Fatalf("run %d: status %v, %d threads alive", i, r.Status, e.LiveThreads())
		}
	}
	goleak.VerifyNone(t)
}
