package sched

import "testing"

// TestSpinYields checks that a thread busy-waiting on TryLock lets the lock's holder run under
// every chooser that would otherwise keep it running: the default, PCT, sync PCT and the walk.
// Without the yield, PCT with the spinner above the holder never ends (the step budget).
func TestSpinYields(t *testing.T) {
	choosers := map[string]func(seed uint64) Chooser{
		"default": func(uint64) Chooser { return Replay(nil) },
		"pct":     func(s uint64) Chooser { return PCT(s, 2, 20) },
		"syncpct": func(s uint64) Chooser { return SyncPCT(s, 2, 5) },
		"walk":    func(s uint64) Chooser { return Walk(s, 1000) },
	}
	for _, name := range []string{"default", "pct", "syncpct", "walk"} {
		for seed := uint64(0); seed < 40; seed++ {
			e := New(Config{Mode: Controlled, Chooser: choosers[name](seed), StepBudget: 20000})
			m := e.NewMutex("m")
			e.Go("spinner", func(th *Thread) {
				th.Yield("start")
				for !m.TryLock(th) {
					th.Yield("spin")
				}
				m.Unlock(th)
			})
			e.Go("holder", func(th *Thread) {
				m.Lock(th)
				for i := 0; i < 3; i++ {
					th.Yield("hold")
				}
				m.Unlock(th)
			})
			if r := e.Run(); r.Status != Done {
				t.Fatalf("%s seed %d: status %v after %d steps: the spinner starved the holder", name, seed, r.Status, r.Steps)
			}
		}
	}
}
