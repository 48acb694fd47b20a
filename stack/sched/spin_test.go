package sched

import (
	"fmt"
	"testing"
)

// TestSpinYields checks that a thread busy-waiting on TryLock lets the lock's holder run under
// every chooser that would otherwise keep it running: the default, PCT, sync PCT and the walk.
// Without the yield, PCT with the spinner above the holder never ends (the step budget).
func TestSpinYields(t *testing.T) {
	choosers := map[string]func(seed uint64) Chooser{
		"default": func(uint64) Chooser { return Replay(nil) },
		"pct":     func(s uint64) Chooser { return PCT(s, 2, 20) },
		"syncpct": func(s uint64) Chooser { return SyncPCT(s, 2, 5) },
		"walk":    func(s uint64) Chooser { return Walk(s, 1000) },
		"demote":  func(s uint64) Chooser { return Demote([]int{int(s % 8)}, s >= 8) },
	}
	for _, name := range []string{"default", "pct", "syncpct", "walk", "demote"} {
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
	choosers := []struct {
		name string
		c    func() Chooser
	}{{"default", func() Chooser { return Replay(nil) }}}
	// Demote at every early decision, the holder among those demoted: a spinner that gave way
	// only to threads not demoted handed the turn to the other spinner for ever (sockfuzz
	// search reported a livelock of two gVisor TCP processors that no execution has).
	for k := 0; k < 24; k++ {
		for _, clock := range []bool{false, true} {
			choosers = append(choosers, struct {
				name string
				c    func() Chooser
			}{fmt.Sprintf("demote at %d clock first %v", k, clock), func() Chooser { return Demote([]int{k}, clock) }})
		}
	}
	for _, ch := range choosers {
		if r := runSpinners(t, ch.c()); r.Status != Done {
			t.Fatalf("%s: status %v after %d steps: the spinners starved the holder", ch.name, r.Status, r.Steps)
		}
	}
}

// runSpinners runs two spinners numbered below the holder of the lock they spin on.
func runSpinners(t *testing.T, c Chooser) *Result {
	t.Helper()
	e := New(Config{Mode: Controlled, Chooser: c, StepBudget: 20000})
	m := e.NewMutex("m")
	q, q2 := e.NewWaitQueue("locked"), e.NewWaitQueue("started")
	locked, started := false, false
	// wait sleeps on q until cond holds, interlocked: no schedule loses the wakeup.
	wait := func(th *Thread, q *WaitQueue, cond *bool) error {
		for !*cond {
			q.Interlock(th)
			if *cond {
				break
			}
			if err := q.Sleep(th, nil, Interlocked); err != nil {
				return err
			}
		}
		return nil
	}
	for i, name := range []string{"spinner0", "spinner1"} {
		e.Go(name, func(th *Thread) {
			if err := wait(th, q, &locked); err != nil {
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
		if err := wait(th, q2, &started); err != nil {
			t.Errorf("holder: %v", err)
		}
		m.Unlock(th)
	})
	return e.Run()
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
