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

// TestSpinnersLetTheHolderRun checks the default chooser with two spinners numbered below the
// lock's holder: a spinner gives way to the next thread after it, round robin. Giving way to
// the lowest-numbered other thread made the two spinners hand the turn to each other for ever
// (two gVisor TCP processors requeueing an endpoint a user thread held).
func TestSpinnersLetTheHolderRun(t *testing.T) {
	e := New(Config{Mode: Controlled, Chooser: Replay(nil), StepBudget: 20000})
	m := e.NewMutex("m")
	q, q2 := e.NewWaitQueue("locked"), e.NewWaitQueue("started")
	locked, started := false, false
	for i, name := range []string{"spinner0", "spinner1"} {
		e.Go(name, func(th *Thread) {
			if err := q.Sleep(th, func() bool { return locked }, 0); err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			if i == 0 { // the holder is runnable from here on, but spinner0 keeps the turn
				started = true
				q2.WakeAll(th)
			}
			for !m.TryLock(th) {
				th.Yield("spin")
			}
			m.Unlock(th)
		})
	}
	e.Go("holder", func(th *Thread) {
		m.Lock(th)
		locked = true
		q.WakeAll(th)
		if err := q2.Sleep(th, func() bool { return started }, 0); err != nil {
			t.Errorf("holder: %v", err)
		}
		m.Unlock(th)
	})
	if r := e.Run(); r.Status != Done {
		t.Fatalf("status %v after %d steps: the spinners starved the holder", r.Status, r.Steps)
	}
}

func TestDecisionAfter(t *testing.T) {
	for _, tt := range []struct {
		cur   ID
		cands []ID
		want  ID
	}{
		{1, []ID{1, 2, 5}, 2},
		{2, []ID{1, 2, 5}, 5},
		{5, []ID{1, 2, 5}, 1},
		{5, []ID{ClockID, 1, 2, 5}, 1},
		{3, []ID{ClockID, 3}, ClockID},
		{3, []ID{3}, 3},
	} {
		d := &Decision{Current: tt.cur, Cands: tt.cands, Spinning: true}
		if got := Default(d); got != tt.want {
			t.Errorf("Default(spinning %d among %v) = %d, want %d", tt.cur, tt.cands, got, tt.want)
		}
	}
}
