package sched

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestBadUse checks that misuse of the API is returned as an error and recorded as a Bug, and
// that the execution still ends normally.
func TestBadUse(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		other := New(Config{Mode: mode})
		stranger := other.Go("stranger", func(*Thread) {})
		other.Run()

		e := New(Config{Mode: mode})
		m := e.NewMutex("m")
		tm := e.NewTimer("tm", func(*Thread) {})
		errs := map[string]error{}
		var port *Port
		owner := e.Go("owner", func(t *Thread) {
			msg, _ := port.Recv(t)
			_ = port.Reply(t, msg, nil, nil)
			errs["double reply"] = port.Reply(t, msg, nil, nil)
			errs["call own port"] = port.Call(t, &Msg{})
		})
		port = e.NewPort("port", owner)
		e.Go("user", func(t *Thread) {
			m.Unlock(t) // a Bug: not the owner
			m.Lock(t)
			m.Lock(t) // a Bug: recursive
			m.Unlock(t)
			errs["join unknown"] = t.Join(stranger)
			errs["join nil"] = t.Join(nil)
			errs["join self"] = t.Join(t)
			errs["negative timer"] = tm.Reset(t, -1)
			errs["negative timeout"] = e.NewWaitQueue("q").SleepTimeout(t, nil, 0, -5)
			_, errs["recv not owner"] = port.Recv(t)
			_ = port.Call(t, &Msg{})
		})
		r := e.Run()
		if r.Status != Done {
			t.Fatalf("%v: status %v", mode, r.Status)
		}
		want := map[string]error{
			"join unknown":     ErrUnknownThread,
			"join nil":         ErrUnknownThread,
			"join self":        ErrRecursiveLock,
			"negative timer":   ErrNegativeDuration,
			"negative timeout": ErrNegativeDuration,
			"recv not owner":   ErrNotOwner,
			"double reply":     ErrDoubleReply,
			"call own port":    ErrRecursiveLock,
		}
		for name, target := range want {
			if !errors.Is(errs[name], target) {
				t.Errorf("%v: %s: error %v, want %v", mode, name, errs[name], target)
			}
		}
		// The mutex misuses return nothing: they are the result's first two Bugs.
		if len(r.Bugs) != len(want)+2 || !errors.Is(r.Bugs[0].Err, ErrNotOwner) || r.Bugs[0].Op != "Mutex.Unlock" ||
			!errors.Is(r.Bugs[1].Err, ErrRecursiveLock) || r.Bugs[1].Op != "Mutex.Lock" {
			t.Errorf("%v: %d bugs recorded, want %d with the mutex's first: %v", mode, len(r.Bugs), len(want)+2, r.Bugs)
		}
	}
	goleak.VerifyNone(t)
}

func TestUnlockByNonOwner(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		e := New(Config{Mode: mode})
		m := e.NewMutex("so_rcv")
		q := e.NewWaitQueue("q")
		holder := e.Go("holder", func(t *Thread) {
			m.Lock(t)
			_ = q.Sleep(t, nil, Interruptible)
			m.Unlock(t)
		})
		e.Go("intruder", func(t *Thread) {
			for m.Owner() == nil {
				t.Yield("wait")
			}
			m.Unlock(t)
			_ = e.Interrupt(t, holder)
		})
		r := e.Run()
		if r.Status != Done || len(r.Bugs) != 1 || r.Bugs[0].Op != "Mutex.Unlock" || !errors.Is(r.Bugs[0].Err, ErrNotOwner) {
			t.Fatalf("%v: status %v bugs %v", mode, r.Status, r.Bugs)
		}
	}
}

// TestBudget checks that a livelock ends with Budget, in both modes, and leaves no goroutine.
func TestBudget(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		e := New(Config{Mode: mode, StepBudget: 1000, Chooser: Random(3)})
		m := e.NewMutex("m")
		q := e.NewWaitQueue("q")
		for _, name := range []string{"spin1", "spin2"} {
			e.Go(name, func(t *Thread) {
				for {
					m.Lock(t)
					t.Yield("spin")
					m.Unlock(t)
				}
			})
		}
		e.Go("sleeper", func(t *Thread) { _ = q.Sleep(t, nil, 0) })
		r := e.Run()
		if r.Status != Budget {
			t.Fatalf("%v: status %v", mode, r.Status)
		}
		if mode == Controlled && r.Steps != 1001 {
			t.Errorf("%v: steps %d, want 1001", mode, r.Steps)
		}
		found := false
		for _, b := range r.Blocked {
			found = found || b.Name == "sleeper"
		}
		// In Free mode the sleeper may not have gone to sleep before the spinners ran out.
		if !found && mode == Controlled {
			t.Errorf("%v: the sleeper is not reported blocked: %+v", mode, r.Blocked)
		}
		goleak.VerifyNone(t)
	}
}

func TestPanicIsReported(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		e := New(Config{Mode: mode})
		q := e.NewWaitQueue("q")
		e.Go("waiter", func(t *Thread) { _ = q.Sleep(t, nil, 0) })
		e.Go("crasher", func(t *Thread) {
			t.Yield("before")
			var p *Port
			_ = p.Len() // nil dereference
		})
		r := e.Run()
		if r.Status != Panicked || r.Panic == nil || r.Panic.Name != "crasher" ||
			!strings.Contains(r.Panic.Value, "nil pointer") || !strings.Contains(r.Panic.Stack, "api_test.go") {
			t.Fatalf("%v: status %v panic %+v", mode, r.Status, r.Panic)
		}
		goleak.VerifyNone(t)
	}
}

func TestTimersFireInDeadlineOrder(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		e := New(Config{Mode: mode})
		var order []string
		var at []Duration
		mk := func(name string) *Timer {
			return e.NewTimer(name, func(c *Thread) { order = append(order, name); at = append(at, e.now) })
		}
		a, b, c, d := mk("a"), mk("b"), mk("c"), mk("d")
		e.Go("arm", func(t *Thread) {
			_ = c.Reset(t, 10)
			_ = b.Reset(t, 5)
			_ = a.Reset(t, 10) // same deadline as c, created earlier: fires first
			_ = d.Reset(t, 1)
			d.Stop(t) // stopped: never fires
			_ = b.Reset(t, 7)
		})
		r := e.Run()
		if r.Status != Done {
			t.Fatalf("%v: status %v", mode, r.Status)
		}
		if got := strings.Join(order, ","); got != "b,a,c" {
			t.Errorf("%v: order %s, want b,a,c", mode, got)
		}
		if len(at) != 3 || at[0] != 7 || at[1] != 10 || at[2] != 10 || r.Now != 10 {
			t.Errorf("%v: fired at %v, now %d", mode, at, r.Now)
		}
	}
}

// TestClockAdvancesOnlyWhenChosen checks that a pending callout waits while threads run, under
// Default choices, and fires early when the clock is chosen.
func TestClockAdvancesOnlyWhenChosen(t *testing.T) {
	build := func(c Chooser) (*Exec, *int) {
		e := New(Config{Chooser: c})
		firedAfter := new(int)
		var yields int
		tm := e.NewTimer("rexmt", func(*Thread) { *firedAfter = yields })
		e.Go("busy", func(t *Thread) {
			_ = tm.Reset(t, 3)
			for yields = 0; yields < 20; yields++ {
				t.Yield("work")
			}
		})
		return e, firedAfter
	}
	e, firedAfter := build(nil)
	if r := e.Run(); r.Status != Done || *firedAfter != 20 || r.Now != 3 {
		t.Fatalf("default: status %v fired after %d yields, now %d", r.Status, *firedAfter, r.Now)
	}
	// Decision 0 is at the first yield after Reset: the clock is a candidate there.
	e, firedAfter = build(Replay([]ID{ClockID}))
	if r := e.Run(); r.Status != Done || *firedAfter != 0 {
		t.Fatalf("clock chosen: status %v fired after %d yields", r.Status, *firedAfter)
	}
}

// TestOnIdle checks the idle hook: called when the clock fires because nothing else can run,
// once per such firing, and not when a chooser fires the clock early while a thread can run.
func TestOnIdle(t *testing.T) {
	build := func(c Chooser) (*Exec, *[]int) {
		e := New(Config{Chooser: c})
		var idle []int
		e.OnIdle(func(step int) { idle = append(idle, step) })
		q := e.NewWaitQueue("q")
		tm := e.NewTimer("rexmt", func(*Thread) {})
		e.Go("busy", func(t *Thread) {
			_ = tm.Reset(t, 3)
			for i := 0; i < 5; i++ {
				t.Yield("work")
			}
			_ = q.SleepTimeout(t, nil, 0, 10) // nothing runs until a timer fires: twice idle
		})
		return e, &idle
	}
	e, idle := build(nil)
	if r := e.Run(); r.Status != Done || len(*idle) != 2 {
		t.Fatalf("default: status %v, idle at steps %v, want 2 idle points", r.Status, *idle)
	}
	// The clock chosen at the first yield fires rexmt while the thread can run: not idle.
	e, idle = build(Replay([]ID{ClockID}))
	if r := e.Run(); r.Status != Done || len(*idle) != 1 {
		t.Fatalf("clock chosen early: status %v, idle at steps %v, want 1 idle point", r.Status, *idle)
	}
}

func TestInterruptAndTimeout(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		e := New(Config{Mode: mode})
		q := e.NewWaitQueue("so_timeo")
		results := make([]error, 4)
		sleeper := e.Go("sleeper", func(t *Thread) {
			results[0] = q.Sleep(t, nil, Interruptible)           // interrupted while asleep
			results[1] = q.SleepTimeout(t, nil, Interruptible, 5) // times out
			_ = e.Interrupt(t, t)                                 // a signal pending before the sleep
			results[2] = q.Sleep(t, nil, Interruptible)
			_ = e.Interrupt(t, t)
			t.ClearSignal() // delivered on return to user: the next sleep is not interrupted
			results[3] = q.SleepTimeout(t, nil, Interruptible, 5)
		})
		e.Go("signaller", func(t *Thread) {
			for mode == Controlled && q.Sleepers() == 0 {
				t.Yield("wait")
			}
			_ = e.Interrupt(t, sleeper)
		})
		_, r := e.Finish()
		if r.Status != Done {
			t.Fatalf("%v: status %v", mode, r.Status)
		}
		// In Free mode the signaller may run before the sleeper sleeps: the signal is then
		// pending and the first sleep returns ErrInterrupted all the same.
		want := []error{ErrInterrupted, ErrTimedOut, ErrInterrupted, ErrTimedOut}
		for i := range want {
			if results[i] != want[i] {
				t.Errorf("%v: sleep %d returned %v, want %v", mode, i, results[i], want[i])
			}
		}
	}
}

// TestHoldClock checks that a held clock fires nothing, even when nothing else can run, and
// that releasing it lets the execution finish.
func TestHoldClock(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		e := New(Config{Mode: mode})
		fired := e.NewWord("fired", nil)
		tm := e.NewTimer("t", func(c *Thread) { fired.AtomicStore(c, "fire", 1) })
		e.Go("arm", func(t *Thread) { _ = tm.Reset(t, 10) })
		e.HoldClock(true)
		r := e.Run()
		if r.Status != Quiescent || fired.Peek() != 0 || r.Now != 0 {
			t.Fatalf("%v held: status %v fired %d now %d", mode, r.Status, fired.Peek(), r.Now)
		}
		e.HoldClock(false)
		r = e.Run()
		if r.Status != Done || fired.Peek() != 1 || r.Now != 10 {
			t.Fatalf("%v released: status %v fired %d now %d", mode, r.Status, fired.Peek(), r.Now)
		}
	}
}

// TestQuietMutex checks that a quiet mutex costs no scheduling point in Controlled mode, still
// excludes in Free mode, and reports a scheduling point inside its section.
func TestQuietMutex(t *testing.T) {
	e := New(Config{})
	m := e.NewQuietMutex("tables")
	e.Go("a", func(t *Thread) {
		m.Lock(t)
		m.Unlock(t)
		m.Lock(t)
		t.Yield("inside") // misuse: reported
		m.Unlock(t)
	})
	r := e.Run() // two steps: the yield and the exit
	if r.Status != Done || r.Steps != 2 || len(r.Bugs) != 1 || !errors.Is(r.Bugs[0].Err, ErrQuietSection) {
		t.Fatalf("status %v steps %d bugs %v", r.Status, r.Steps, r.Bugs)
	}
	f := New(Config{Mode: Free})
	fm := f.NewQuietMutex("tables")
	n := 0
	for i := 0; i < 4; i++ {
		f.Go("inc", func(t *Thread) {
			for j := 0; j < 100; j++ {
				fm.Lock(t)
				n++
				fm.Unlock(t)
			}
		})
	}
	if r := f.Run(); r.Status != Done || n != 400 {
		t.Fatalf("free: status %v n %d", r.Status, n)
	}
}

// TestLiveThreads checks the live-thread count: threads until the end, none after, in both
// modes and whatever the ending.
func TestLiveThreads(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		e := New(Config{Mode: mode, StepBudget: 100})
		tm := e.NewTimer("t", func(*Thread) {})
		e.Go("spin", func(t *Thread) {
			_ = tm.Reset(t, 1)
			for {
				t.Yield("spin")
			}
		})
		e.Go("idle", func(*Thread) {})
		if n := e.LiveThreads(); n != 2 {
			t.Errorf("%v: %d live threads before running, want 2", mode, n)
		}
		if r := e.Run(); r.Status != Budget || e.LiveThreads() != 0 {
			t.Errorf("%v: status %v, %d live threads after", mode, r.Status, e.LiveThreads())
		}
	}
}

// TestWakeupStaysOnItsQueue: a thread that interlocked on q1 without sleeping, then sleeps
// interlocked on q2, is not woken by a wakeup of q1 (the woken mark belongs to the queue): it
// stays asleep on q2 until the execution goes quiescent.
func TestWakeupStaysOnItsQueue(t *testing.T) {
	for _, mode := range []Mode{Controlled, Free} {
		e := New(Config{Mode: mode, Chooser: Random(1)})
		q1, q2 := e.NewWaitQueue("q1"), e.NewWaitQueue("q2")
		flag := e.NewWord("flag", nil)
		e.Go("sleeper", func(t *Thread) {
			q1.Interlock(t) // stale: the thread never sleeps on q1
			q2.Interlock(t)
			flag.AtomicStore(t, "ready", 1)
			for flag.AtomicLoad(t, "wait") != 2 {
				t.Yield("wait")
			}
			// q1 was woken meanwhile: this sleep on q2 must still wait.
			_ = q2.Sleep(t, func() bool { return false }, Interlocked|Interruptible)
		})
		e.Go("waker", func(t *Thread) {
			for flag.AtomicLoad(t, "wait") != 1 {
				t.Yield("wait")
			}
			q1.WakeAll(t)
			flag.AtomicStore(t, "woke", 2)
		})
		r := e.Run()
		if r.Status != Quiescent || len(r.Blocked) != 1 || r.Blocked[0].Obj != "q2" {
			t.Fatalf("%v: status %v, blocked %+v: the sleep on q2 ended early", mode, r.Status, r.Blocked)
		}
		e.Abort()
	}
}
