package sched

import (
	"math"
	"testing"
)

// depth2Bug builds the toy ordering bug of depth 2: the reader sees the flag raised only if
// it runs after the writer's first store and before its second, two ordering constraints.
// work is the number of yields each thread does around its accesses.
func depth2Bug(c Chooser, work int) (e *Exec, found *bool) {
	e = New(Config{Chooser: c})
	flag := e.NewWord("flag", nil)
	found = new(bool)
	e.Go("writer", func(t *Thread) {
		for i := 0; i < work; i++ {
			t.Yield("writer-work")
		}
		flag.AtomicStore(t, "raise", 1)
		flag.AtomicStore(t, "lower", 0)
		for i := 0; i < work; i++ {
			t.Yield("writer-work")
		}
	})
	e.Go("reader", func(t *Thread) {
		for i := 0; i < work; i++ {
			t.Yield("reader-work")
		}
		if flag.AtomicLoad(t, "check") == 1 {
			*found = true
		}
		for i := 0; i < work; i++ {
			t.Yield("reader-work")
		}
	})
	return e, found
}

// TestPCTFindsDepth2Bug checks PCT's guarantee on a bug of depth 2. With n threads and k steps
// one PCT run with d=2 finds it with probability at least p = 1/(n*k). The test allows
// N = ceil(10/p) runs, after which a miss has probability at most (1-p)^N <= e^-10.
func TestPCTFindsDepth2Bug(t *testing.T) {
	const work = 10
	e, _ := depth2Bug(Replay(nil), work)
	r := e.Run()
	n, k := 2, r.Steps // threads, and the steps of one execution
	p := 1 / float64(n*k)
	bound := int(math.Ceil(10 / p))
	for seed := 0; seed < bound; seed++ {
		e, found := depth2Bug(PCT(uint64(seed), 2, k), work)
		if r := e.Run(); r.Status != Done {
			t.Fatalf("seed %d: status %v", seed, r.Status)
		}
		if *found {
			t.Logf("PCT(d=2) found the depth-2 bug at run %d (bound %d = 10*n*k, n=%d, k=%d)", seed+1, bound, n, k)
			return
		}
	}
	t.Fatalf("PCT(d=2) did not find the depth-2 bug in %d runs", bound)
}

// lostUpdate builds two threads incrementing a word without its lock.
func lostUpdate(cfg Config) (*Exec, *Word) {
	e := New(cfg)
	m := e.NewMutex("m")
	w := e.NewWord("counter", m)
	for _, name := range []string{"a", "b"} {
		e.Go(name, func(t *Thread) {
			w.Add(t, "increment-"+t.Name(), 1)
		})
	}
	return e, w
}

func TestLostUpdateReportedOnEveryReplay(t *testing.T) {
	lost := 0
	for seed := uint64(0); seed < 100; seed++ {
		e, w := lostUpdate(Config{Chooser: Random(seed)})
		r := e.Run()
		if w.Peek() == 1 {
			lost++
		}
		if len(r.Races) == 0 {
			t.Fatalf("seed %d: no race reported", seed)
		}
		race := r.Races[0]
		if race.Word != "counter" || race.Prev.Thread == race.Cur.Thread || !(race.Prev.Write || race.Cur.Write) {
			t.Fatalf("seed %d: unexpected report %v", seed, race)
		}
		for i := 0; i < 5; i++ {
			e2, _ := lostUpdate(Config{Chooser: Replay(r.Choices)})
			r2 := e2.Run()
			if len(r2.Races) != len(r.Races) || r2.Races[0].String() != race.String() {
				t.Fatalf("seed %d replay %d: report %v, want %v", seed, i, r2.Races, race)
			}
		}
	}
	// The update is really lost under some schedules, not only reported.
	if lost == 0 {
		t.Errorf("no schedule of 100 lost an update")
	}
}

// TestLockedIncrementsDoNotRace checks the detector's negatives: the same increments under the
// declared lock, atomic increments, and increments ordered by a message are not races.
func TestLockedIncrementsDoNotRace(t *testing.T) {
	tests := []struct {
		name string
		body func(e *Exec, w *Word, m *Mutex, p **Port)
	}{
		{"under lock", func(e *Exec, w *Word, m *Mutex, _ **Port) {
			for _, n := range []string{"a", "b"} {
				e.Go(n, func(t *Thread) { m.Lock(t); w.Add(t, "inc", 1); m.Unlock(t) })
			}
		}},
		{"atomic", func(e *Exec, w *Word, _ *Mutex, _ **Port) {
			for _, n := range []string{"a", "b"} {
				e.Go(n, func(t *Thread) { w.AtomicAdd(t, "inc", 1) })
			}
		}},
		{"ordered by a call", func(e *Exec, w *Word, _ *Mutex, p **Port) {
			owner := e.Go("owner", func(t *Thread) {
				m, err := (*p).Recv(t)
				if err != nil {
					return
				}
				w.Add(t, "owner-inc", 1)
				_ = (*p).Reply(t, m, nil, nil)
			})
			*p = e.NewPort("port", owner)
			e.Go("caller", func(t *Thread) {
				_ = (*p).Call(t, &Msg{})
				w.Add(t, "caller-inc", 1)
			})
		}},
		{"ordered by join", func(e *Exec, w *Word, _ *Mutex, _ **Port) {
			e.Go("parent", func(t *Thread) {
				c := t.Go("child", func(c *Thread) { w.Add(c, "child-inc", 1) })
				_ = t.Join(c)
				w.Add(t, "parent-inc", 1)
			})
		}},
	}
	for _, tc := range tests {
		for seed := uint64(0); seed < 50; seed++ {
			e := New(Config{Chooser: Random(seed)})
			m := e.NewMutex("m")
			w := e.NewWord("counter", m)
			var p *Port
			tc.body(e, w, m, &p)
			r := e.Run()
			if r.Status != Done || len(r.Races) != 0 || w.Peek() != 2 && tc.name != "ordered by join" {
				t.Fatalf("%s seed %d: status %v, races %v, counter %d", tc.name, seed, r.Status, r.Races, w.Peek())
			}
		}
	}
}

// lostWakeup builds the toy lost wakeup: the sleeper checks the flag, then sleeps with no
// interlock, so a wakeup issued between the two is lost. With interlock it uses
// Interlock/Interlocked, and the wakeup cannot be lost.
func lostWakeup(c Chooser, interlock bool) *Exec {
	e := New(Config{Chooser: c})
	flag := e.NewWord("flag", nil)
	q := e.NewWaitQueue("flag-q")
	pred := func() bool { return flag.Peek() != 0 }
	e.Go("sleeper", func(t *Thread) {
		for {
			if interlock {
				q.Interlock(t)
			}
			if flag.AtomicLoad(t, "check") != 0 {
				return
			}
			flags := SleepFlags(0)
			if interlock {
				flags = Interlocked
			}
			_ = q.Sleep(t, pred, flags)
		}
	})
	e.Go("waker", func(t *Thread) {
		flag.AtomicStore(t, "set", 1)
		q.WakeAll(t)
	})
	return e
}

func TestLostWakeupAtQuiescence(t *testing.T) {
	lost := 0
	for seed := uint64(0); seed < 200; seed++ {
		e := lostWakeup(Random(seed), false)
		r := e.Run()
		switch r.Status {
		case Done:
		case Quiescent:
			if len(r.Blocked) != 1 || r.Blocked[0].Name != "sleeper" || !r.Blocked[0].HasPred || !r.Blocked[0].PredTrue {
				t.Fatalf("seed %d: blocked %+v, want the sleeper with its predicate true", seed, r.Blocked)
			}
			lost++
			if a := e.Abort(); a.Status != Aborted {
				t.Fatalf("seed %d: abort gave %v", seed, a.Status)
			}
		default:
			t.Fatalf("seed %d: status %v", seed, r.Status)
		}
	}
	if lost == 0 {
		t.Fatal("no schedule of 200 lost the wakeup")
	}
	for seed := uint64(0); seed < 200; seed++ {
		if r := lostWakeup(Random(seed), true).Run(); r.Status != Done {
			t.Fatalf("interlocked, seed %d: status %v, blocked %+v", seed, r.Status, r.Blocked)
		}
	}
}

func TestLegitimateBlock(t *testing.T) {
	e := New(Config{})
	flag := e.NewWord("flag", nil)
	q := e.NewWaitQueue("accept-q")
	e.Go("acceptor", func(t *Thread) {
		for flag.AtomicLoad(t, "check") == 0 {
			if err := q.Sleep(t, func() bool { return flag.Peek() != 0 }, Interruptible); err != nil {
				flag.AtomicStore(t, "eintr", 2)
				return
			}
		}
	})
	r := e.Run()
	if r.Status != Quiescent || len(r.Blocked) != 1 {
		t.Fatalf("status %v blocked %+v", r.Status, r.Blocked)
	}
	b := r.Blocked[0]
	if !b.HasPred || b.PredTrue || !b.Interruptible || b.Kind != "sleep" || b.Obj != "accept-q" {
		t.Fatalf("blocked %+v, want an interruptible sleep on accept-q with its predicate false", b)
	}
	first, final := e.Finish()
	if first == nil || first.Status != Quiescent || final.Status != Done || flag.Peek() != 2 {
		t.Fatalf("after interrupt: first %v final %v flag %d", first, final.Status, flag.Peek())
	}
}

// holdBackBug builds a race that needs one thread held back for a long stretch: the checker
// reads a flag, yields once, and acts; the bug is seen when the whole of the other thread's
// long message (stretch yields between raising and lowering the flag) runs between the two.
func holdBackBug(c Chooser, stretch int) (e *Exec, found *bool) {
	e = New(Config{Chooser: c})
	flag := e.NewWord("flag", nil)
	done := e.NewWord("done", nil)
	found = new(bool)
	e.Go("checker", func(t *Thread) {
		t.Yield("checker-start")
		if flag.AtomicLoad(t, "check") != 0 {
			return
		}
		t.Yield("checker-gap")
		if done.AtomicLoad(t, "act") == 1 {
			*found = true
		}
	})
	e.Go("message", func(t *Thread) {
		t.Yield("message-start")
		for i := 0; i < stretch; i++ {
			t.Yield("message-work")
		}
		done.AtomicStore(t, "done", 1)
	})
	return e, found
}

// TestWalkHoldsBack checks what Walk is for: with the same number of runs, it finds the
// hold-back race far more often than Random, which preempts at nearly every decision and so
// almost never lets the message run 30 steps in a row while the checker waits.
func TestWalkHoldsBack(t *testing.T) {
	const runs, stretch = 2000, 30
	count := func(mk func(uint64) Chooser) int {
		n := 0
		for seed := uint64(0); seed < runs; seed++ {
			e, found := holdBackBug(mk(seed), stretch)
			if r := e.Run(); r.Status != Done {
				t.Fatalf("seed %d: status %v", seed, r.Status)
			}
			if *found {
				n++
			}
		}
		return n
	}
	w := count(func(s uint64) Chooser { return Walk(s, 16) })
	r := count(func(s uint64) Chooser { return Random(s) })
	t.Logf("hold-back race found in %d of %d runs by Walk(16), %d by Random", w, runs, r)
	if w < 20 || w < 10*max(r, 1) {
		t.Errorf("Walk found the hold-back race %d times in %d runs, Random %d: want at least 20 and 10x Random", w, runs, r)
	}
}

// lockWindowBug is a check-then-act race whose window ends at a lock, after a long stretch of
// the checker's own steps: the checker tests flag, which the other thread sets first thing,
// then takes a lock and finds done, which the other thread sets after a stretch of work. The
// bug is the whole of the other thread running between the checker's test and its lock.
func lockWindowBug(c Chooser, noise, stretch int) (e *Exec, found *bool) {
	e = New(Config{Chooser: c})
	flag := e.NewWord("flag", nil)
	done := e.NewWord("done", nil)
	m := e.NewMutex("m")
	found = new(bool)
	e.Go("checker", func(t *Thread) {
		for i := 0; i < noise; i++ {
			t.Yield("checker-work")
		}
		if flag.AtomicLoad(t, "check") != 0 {
			return
		}
		m.Lock(t)
		if done.AtomicLoad(t, "act") == 1 {
			*found = true
		}
		m.Unlock(t)
	})
	e.Go("other", func(t *Thread) {
		flag.AtomicStore(t, "flag", 1)
		for i := 0; i < stretch; i++ {
			t.Yield("other-work")
		}
		done.AtomicStore(t, "done", 1)
	})
	return e, found
}

// TestSyncPCTAtLocks checks what SyncPCT is for: with one change point each and the same
// number of runs, placing it among the synchronization points finds a window that ends at a
// lock far more often than placing it among all the steps.
func TestSyncPCTAtLocks(t *testing.T) {
	const runs, noise, stretch = 2000, 200, 20
	count := func(mk func(uint64) Chooser) int {
		n := 0
		for seed := uint64(0); seed < runs; seed++ {
			e, found := lockWindowBug(mk(seed), noise, stretch)
			if r := e.Run(); r.Status != Done {
				t.Fatalf("seed %d: status %v", seed, r.Status)
			}
			if *found {
				n++
			}
		}
		return n
	}
	const steps = noise + stretch + 10
	s := count(func(seed uint64) Chooser { return SyncPCT(seed, 2, 4) })
	p := count(func(seed uint64) Chooser { return PCT(seed, 2, steps) })
	t.Logf("lock-window race found in %d of %d runs by SyncPCT(2), %d by PCT(2)", s, runs, p)
	if s < 100 || s < 5*max(p, 1) {
		t.Errorf("SyncPCT found the lock-window race %d times in %d runs, PCT %d: want at least 100 and 5x PCT", s, runs, p)
	}
}
