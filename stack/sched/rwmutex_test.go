package sched

import (
	"errors"
	"testing"
)

// TestRWMutexExclusion runs two readers and two writers over many random schedules, in both
// modes: a writer never overlaps another holder, every execution ends, and (Controlled) the
// detector sees no race on a word read under RLock and written under Lock.
func TestRWMutexExclusion(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		for seed := uint64(0); seed < 30; seed++ {
			e := New(Config{Mode: mode, Chooser: Random(seed)})
			rw := e.NewRWMutex("rw")
			w := e.NewWord("w", nil)
			overlap := 0
			reader := func(th *Thread) {
				for i := 0; i < 3; i++ {
					rw.RLock(th)
					if rw.Writer() != nil {
						overlap++
					}
					w.Load(th, "read")
					th.Yield("in read")
					rw.RUnlock(th)
				}
			}
			writer := func(th *Thread) {
				for i := 0; i < 3; i++ {
					rw.Lock(th)
					if rw.Readers() != 0 || rw.Writer() != th {
						overlap++
					}
					w.Store(th, "write", w.Load(th, "write")+1)
					th.Yield("in write")
					rw.Unlock(th)
				}
			}
			e.Go("r1", reader)
			e.Go("r2", reader)
			e.Go("w1", writer)
			e.Go("w2", writer)
			r := e.Run()
			if r.Status != Done || overlap != 0 || len(r.Bugs) != 0 {
				t.Fatalf("%v seed %d: status %v, overlaps %d, bugs %v", mode, seed, r.Status, overlap, r.Bugs)
			}
			if mode == Controlled && len(r.Races) != 0 {
				t.Fatalf("seed %d: races under the lock: %v", seed, r.Races)
			}
			if got := w.Peek(); mode == Controlled && got != 6 {
				t.Fatalf("seed %d: w = %d, want 6", seed, got)
			}
		}
	}
}

// TestRWMutexWriterPreference checks that a waiting writer holds new readers back: a thread
// that read-locks twice while a writer waits deadlocks, and that deadlock is seen as
// quiescence with both threads blocked on the mutex (never a hang), under some schedule.
func TestRWMutexWriterPreference(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		deadlocks := 0
		for seed := uint64(0); seed < 40; seed++ {
			e := New(Config{Mode: mode, Chooser: Random(seed)})
			rw := e.NewRWMutex("rw")
			e.Go("reader", func(th *Thread) {
				rw.RLock(th)
				th.Yield("between")
				th.Yield("between")
				rw.RLock(th) // recursive: blocks behind a waiting writer
				rw.RUnlock(th)
				rw.RUnlock(th)
			})
			e.Go("writer", func(th *Thread) {
				rw.Lock(th)
				rw.Unlock(th)
			})
			r := e.Run()
			switch r.Status {
			case Done:
			case Quiescent:
				deadlocks++
				if len(r.Blocked) != 2 || r.Blocked[0].Kind != "mutex" || r.Blocked[1].Kind != "mutex" {
					t.Fatalf("%v seed %d: blocked %+v, want both on the mutex", mode, seed, r.Blocked)
				}
				e.Abort()
			default:
				t.Fatalf("%v seed %d: status %v", mode, seed, r.Status)
			}
		}
		if mode == Controlled && deadlocks == 0 {
			t.Fatalf("no schedule of 40 put the writer between the two read locks")
		}
	}
}

// TestRWMutexEdges checks the happens-before edges: writer to a later reader, and reader to a
// later writer, while an unordered pair is reported.
func TestRWMutexEdges(t *testing.T) {
	tests := []struct {
		name      string
		locked    bool
		wantRaces bool
	}{
		{"locked", true, false},
		{"unlocked", false, true},
	}
	for _, tc := range tests {
		e := New(Config{Mode: Controlled})
		rw := e.NewRWMutex("rw")
		w := e.NewWord("w", nil)
		e.Go("a", func(th *Thread) {
			if tc.locked {
				rw.RLock(th)
			}
			w.Load(th, "reader")
			if tc.locked {
				rw.RUnlock(th)
			}
		})
		e.Go("c", func(th *Thread) {
			for i := 0; i < 4; i++ { // after a in time (default choices), with no edge but rw's
				th.Yield("wait")
			}
			if tc.locked {
				rw.Lock(th)
			}
			w.Store(th, "writer", 1)
			if tc.locked {
				rw.Unlock(th)
			}
		})
		r := e.Run()
		if got := len(r.Races) > 0; got != tc.wantRaces {
			t.Errorf("%s: races %v, want some: %v", tc.name, r.Races, tc.wantRaces)
		}
	}
}

// TestCrossMutex checks that any thread may unlock a cross mutex, with the unlocker's clock
// released, while a plain mutex reports the same unlock as a Bug.
func TestCrossMutex(t *testing.T) {
	for _, cross := range []bool{true, false} {
		for _, mode := range []Mode{Controlled, Free} {
			e := New(Config{Mode: mode})
			var m *Mutex
			if cross {
				m = e.NewCrossMutex("m")
			} else {
				m = e.NewMutex("m")
			}
			locker := e.Go("locker", func(th *Thread) { m.Lock(th) })
			e.Go("unlocker", func(th *Thread) {
				_ = th.Join(locker)
				m.Unlock(th)
				m.Lock(th) // free again only if the unlock took
				m.Unlock(th)
			})
			r := e.Run()
			if cross {
				if r.Status != Done || len(r.Bugs) != 0 {
					t.Errorf("cross %v: status %v, bugs %v", mode, r.Status, r.Bugs)
				}
				continue
			}
			if len(r.Bugs) == 0 || !errors.Is(r.Bugs[0].Err, ErrNotOwner) {
				t.Errorf("plain %v: bugs %v, want a not-owner Bug", mode, r.Bugs)
			}
			if r.Status == Quiescent {
				e.Abort()
			}
		}
	}
}
