package sched

import (
	"sync"
	"testing"
	"time"
)

// TestCurrent checks that Current names the running thread in Controlled mode, under every
// interleaving the random chooser picks, and nil outside threads and in Free mode.
func TestCurrent(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		e := New(Config{Mode: Controlled, Chooser: Random(seed)})
		wrong := 0
		body := func(th *Thread) {
			for i := 0; i < 5; i++ {
				if e.Current() != th {
					wrong++
				}
				th.Yield("loop")
			}
		}
		e.Go("a", func(th *Thread) {
			th.Go("child", body)
			body(th)
		})
		e.Go("b", body)
		if e.Current() != nil {
			t.Fatalf("seed %d: Current before Run = %v", seed, e.Current())
		}
		if r := e.Run(); r.Status != Done {
			t.Fatalf("seed %d: status %v", seed, r.Status)
		}
		if wrong > 0 || e.Current() != nil {
			t.Fatalf("seed %d: Current wrong %d times, after Run %v", seed, wrong, e.Current())
		}
	}
	e := New(Config{Mode: Free})
	var got *Thread
	th := e.Go("a", func(*Thread) { got = e.Current() })
	e.Run()
	if got != nil {
		t.Fatalf("Free: Current = %v in %v, want nil", got, th)
	}
}

// TestWakeForeign checks foreign wakeups: from a thread that does not pass itself (Controlled,
// the wakeup is the running thread's, with its scheduling point), and from a goroutine that is
// no thread at all (Free), with the interlock keeping a wakeup between Interlock and Sleep.
func TestWakeForeign(t *testing.T) {
	t.Run("controlled", func(t *testing.T) {
		e := New(Config{Mode: Controlled})
		q := e.NewWaitQueue("q")
		ready := false
		e.Go("sleeper", func(th *Thread) {
			for !ready {
				_ = q.Sleep(th, func() bool { return ready }, 0)
			}
		})
		e.Go("waker", func(th *Thread) {
			th.Yield("before")
			ready = true
			if n := q.WakeAllForeign(); n != 1 {
				t.Errorf("WakeAllForeign woke %d, want 1", n)
			}
		})
		if r := e.Run(); r.Status != Done {
			t.Fatalf("status %v, want done", r.Status)
		}
		found := false
		for _, ev := range e.Events() {
			if ev.Kind == EvWakeup && ev.Obj == "q" {
				found = true
			}
		}
		if !found {
			t.Fatal("no wakeup event on q: the foreign wakeup made no scheduling point")
		}
	})
	t.Run("free", func(t *testing.T) {
		for i := 0; i < 50; i++ {
			e := New(Config{Mode: Free})
			e.ForeignGrace(time.Second)
			q := e.NewWaitQueue("q")
			var mu sync.Mutex
			ready := false
			isReady := func() bool { mu.Lock(); defer mu.Unlock(); return ready }
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // not a thread: gVisor's goroutine in free mode
				defer wg.Done()
				mu.Lock()
				ready = true
				mu.Unlock()
				q.WakeOneForeign()
			}()
			e.Go("sleeper", func(th *Thread) {
				for {
					q.Interlock(th)
					if isReady() {
						return
					}
					_ = q.Sleep(th, isReady, Interlocked)
				}
			})
			r := e.Run()
			wg.Wait()
			if r.Status != Done {
				t.Fatalf("run %d: status %v, want done (a foreign wakeup was lost)", i, r.Status)
			}
		}
	})
}
