package sched

import (
	"testing"

	"go.uber.org/goleak"
)

// withPool runs f with PoolThreads(n) and ends the idle coroutines afterwards.
func withPool(t *testing.T, n int, f func()) {
	t.Helper()
	PoolThreads(n)
	defer PoolThreads(0)
	f()
}

// TestPoolThreadsSameExecutions: executions whose threads run on pooled coroutines, reused
// from earlier executions, are the executions made without the pool, event for event,
// including those that end by the budget, a panic or an abort.
func TestPoolThreadsSameExecutions(t *testing.T) {
	if chanHandoff {
		t.Skip("race builds pool nothing")
	}
	ends := []struct {
		name string
		run  func(c Chooser) run
	}{
		{"toy", runToy},
		{"budget", func(c Chooser) run {
			e, _ := toyWorkload(Config{Chooser: c, LogSize: 4096, StepBudget: 40}, true)
			_, r := e.Finish()
			return run{r, e.Events()}
		}},
		{"panic", func(c Chooser) run {
			e, w := toyWorkload(Config{Chooser: c, LogSize: 4096}, true)
			e.Go("panicker", func(t *Thread) {
				w.Load(t, "before")
				panic("boom")
			})
			_, r := e.Finish()
			r.Panic = nil // its stack differs
			return run{r, e.Events()}
		}},
		{"abort", func(c Chooser) run {
			e, _ := toyWorkload(Config{Chooser: c, LogSize: 4096}, true)
			q := e.NewWaitQueue("never")
			e.Go("sleeper", func(t *Thread) { _ = q.Sleep(t, nil, 0) })
			r := e.Run()
			if r.Status == Quiescent {
				r = e.Abort()
			}
			return run{r, e.Events()}
		}},
	}
	for _, end := range ends {
		for _, c := range choosers {
			var want []run
			for seed := uint64(0); seed < 100; seed++ {
				want = append(want, end.run(c.make(seed)))
			}
			withPool(t, 16, func() {
				for round := 0; round < 2; round++ {
					for seed := uint64(0); seed < 100; seed++ {
						got := end.run(c.make(seed))
						if err := sameExecution(want[seed], got); err != nil {
							t.Fatalf("%s/%s seed %d round %d: pooled run differs: %v", end.name, c.name, seed, round, err)
						}
						if want[seed].Status == Running || got.Status == Running {
							t.Fatalf("%s/%s seed %d: not ended", end.name, c.name, seed)
						}
					}
				}
				if idleThreads() == 0 {
					t.Fatalf("%s/%s: no idle coroutine pooled", end.name, c.name)
				}
			})
		}
	}
	goleak.VerifyNone(t)
}

// TestPoolThreadsIdle: an idle pooled coroutine is a goroutine that a leak check sees, and
// ignores with IdleThreadFunc; PoolThreads(0) ends it.
func TestPoolThreadsIdle(t *testing.T) {
	if chanHandoff {
		t.Skip("race builds pool nothing")
	}
	withPool(t, 4, func() {
		runToy(Random(1))
		if goleak.Find() == nil {
			t.Fatal("no idle coroutine seen by goleak")
		}
		if err := goleak.Find(goleak.IgnoreAnyFunction(IdleThreadFunc)); err != nil {
			t.Fatalf("IdleThreadFunc does not name the idle coroutines: %v", err)
		}
		if idle := idleThreads(); idle != 4 {
			t.Errorf("%d idle coroutines, want the pool's 4", idle)
		}
		// A thread left blocked by an execution that was never ended is still a leak.
		e := New(Config{})
		q := e.NewWaitQueue("never")
		e.Go("stuck", func(t *Thread) { _ = q.Sleep(t, nil, 0) })
		if r := e.Run(); r.Status != Quiescent {
			t.Fatalf("status %v, want quiescent", r.Status)
		}
		if goleak.Find(goleak.IgnoreAnyFunction(IdleThreadFunc)) == nil {
			t.Error("a blocked thread of a live execution is ignored as an idle coroutine")
		}
		e.Abort()
		if err := goleak.Find(goleak.IgnoreAnyFunction(IdleThreadFunc)); err != nil {
			t.Errorf("after Abort: %v", err)
		}
	})
	goleak.VerifyNone(t)
}
