package control

import (
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/sockfuzz/sockfuzz/stack/netstack/gvpatch/sockfuzzhook"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The binding implements the hook contract the generated gVisor tree calls.
var _ sockfuzzhook.Hooks = (*Binding)(nil)

// fakeMutex stands for gVisor's CrossGoroutineMutex as the hooked copy has it.
type fakeMutex struct{ b *Binding }

func (m *fakeMutex) Lock()   { m.b.Lock(unsafe.Pointer(m)) }
func (m *fakeMutex) Unlock() { m.b.Unlock(unsafe.Pointer(m)) }

// fakeSleeper follows pkg/sleep's protocol between one sleeper and its wakers: waitingG is 0,
// preparingG, or the parked token; pending counts asserted wakers (sharedList).
type fakeSleeper struct {
	b        *Binding
	waitingG uintptr
	pending  atomic.Int32
}

// fetch is Sleeper.nextWaker with block set: it returns once a waker is pending, consuming it.
func (s *fakeSleeper) fetch() {
	for s.pending.Load() == 0 {
		atomic.StoreUintptr(&s.waitingG, preparingG)
		if s.pending.Load() != 0 {
			atomic.StoreUintptr(&s.waitingG, 0)
			break
		}
		s.b.Park(unsafe.Pointer(s), &s.waitingG, func() bool { return s.pending.Load() != 0 })
	}
	s.pending.Add(-1)
}

// assert is Waker.Assert: enqueue, then wake the parked thread if there is one.
func (s *fakeSleeper) assert() {
	s.pending.Add(1)
	if atomic.LoadUintptr(&s.waitingG) == 0 {
		return
	}
	switch g := atomic.SwapUintptr(&s.waitingG, 0); g {
	case 0, preparingG:
	default:
		s.b.Ready(unsafe.Pointer(s))
	}
}

// TestSleeperProtocol runs a processor that fetches three wakeups against three wakers started
// through the Go hook, over many random schedules: no wakeup is lost (every execution ends
// Done), and the threads are named after their go statement.
func TestSleeperProtocol(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		e := sched.New(sched.Config{Mode: sched.Controlled, Chooser: sched.Random(seed)})
		b := New(e)
		s := &fakeSleeper{b: b}
		mu := &fakeMutex{b: b}
		got := 0
		b.Go("tcp.processor", func() {
			for i := 0; i < 3; i++ {
				s.fetch()
				mu.Lock()
				got++
				mu.Unlock()
			}
		})
		for i := 0; i < 3; i++ {
			b.Go("waker", func() {
				mu.Lock()
				got += 0 // a critical section the processor contends for
				mu.Unlock()
				s.assert()
			})
		}
		r := e.Run()
		if r.Status != sched.Done || got != 3 || len(r.Bugs) > 0 {
			t.Fatalf("seed %d: status %v, fetched %d of 3, bugs %v, blocked %+v", seed, r.Status, got, r.Bugs, r.Blocked)
		}
		names := []string{}
		for _, th := range b.Threads() {
			names = append(names, th.Name())
		}
		if strings.Join(names, " ") != "tcp.processor#0 waker#0 waker#1 waker#2" {
			t.Fatalf("thread names %v", names)
		}
	}
}

// TestParkLostWakeupSeen checks that a parked sleeper whose waker forgot to wake it is a
// blocked thread whose condition holds: the lost-wakeup oracle's evidence.
func TestParkLostWakeupSeen(t *testing.T) {
	e := sched.New(sched.Config{Mode: sched.Controlled})
	b := New(e)
	s := &fakeSleeper{b: b}
	b.Go("processor", func() { s.fetch() })
	b.Go("waker", func() {
		b.Point("before")
		s.pending.Add(1) // asserted, but no Ready: a lost wakeup
	})
	r := e.Run()
	if r.Status != sched.Quiescent || len(r.Blocked) != 1 || !r.Blocked[0].PredTrue {
		t.Fatalf("status %v, blocked %+v: want one blocked sleeper whose condition holds", r.Status, r.Blocked)
	}
	e.Abort()
}

// TestOutsidePath checks the locks taken outside any thread: before Run they are taken and
// released with no event; at quiescence Probe answers false for a condition that needs a lock
// a blocked thread holds, and releases what the condition took before.
func TestOutsidePath(t *testing.T) {
	e := sched.New(sched.Config{Mode: sched.Controlled})
	b := New(e)
	a, c := &fakeMutex{b: b}, &fakeMutex{b: b}
	b.Lock(unsafe.Pointer(a)) // setup, before Run: names a after this function
	a.Unlock()
	q := e.NewWaitQueue("never")
	e.Go("holder", func(th *sched.Thread) {
		c.Lock()
		_ = q.Sleep(th, func() bool { return false }, 0) // blocked holding c
	})
	r := e.Run()
	if r.Status != sched.Quiescent {
		t.Fatalf("status %v", r.Status)
	}
	if b.Probe(func() bool { a.Lock(); c.Lock(); return true }) {
		t.Fatal("Probe took a lock a blocked thread holds")
	}
	if !b.Probe(func() bool { a.Lock(); defer a.Unlock(); return true }) {
		t.Fatal("Probe left a locked by the failed probe")
	}
	if name := b.mutexes[unsafe.Pointer(a)].m.Name(); !strings.HasPrefix(name, "control.TestOutsidePath") {
		t.Fatalf("mutex named %q, want after the function that first locked it", name)
	}
	e.Abort()
}

//go:noinline
func lockFromA(m *fakeMutex) { m.b.Lock(unsafe.Pointer(m)); m.b.Unlock(unsafe.Pointer(m)) }

//go:noinline
func lockFromB(m *fakeMutex) { m.b.Lock(unsafe.Pointer(m)); m.b.Unlock(unsafe.Pointer(m)) }

// TestCallerNames locks mutexes from two functions, twice each, in two executions: each mutex
// is named after the function that first locked it, whichever of the cache's paths (a miss
// resolving frames, a hit on the frame-pointer key) named it.
func TestCallerNames(t *testing.T) {
	for run := range 2 {
		e := sched.New(sched.Config{Mode: sched.Controlled})
		b := New(e)
		var ms [4]fakeMutex
		b.Go("main", func() {
			for i := range ms {
				ms[i].b = b
				if i%2 == 0 {
					lockFromA(&ms[i])
				} else {
					lockFromB(&ms[i])
				}
			}
		})
		if r := e.Run(); r.Status != sched.Done {
			t.Fatalf("run %d: status %v", run, r.Status)
		}
		want := []string{"control.lockFromA#0", "control.lockFromB#0", "control.lockFromA#1", "control.lockFromB#1"}
		for i := range ms {
			if got := b.mutexes[unsafe.Pointer(&ms[i])].m.Name(); got != want[i] {
				t.Errorf("run %d: mutex %d named %q, want %q", run, i, got, want[i])
			}
		}
	}
}

//go:noinline
func funcNameOf(skip int) string { return FuncName(skip) }

//go:noinline
func callFuncNameOf(skip int) string { return funcNameOf(skip) }

// TestFuncName names the frames above a call, twice each (a miss, then a hit of the cache):
// skip 0 is the caller, skip 1 its caller.
func TestFuncName(t *testing.T) {
	for run := range 2 {
		for _, tc := range []struct {
			skip int
			want string
		}{{0, "control.funcNameOf"}, {1, "control.callFuncNameOf"}, {2, "control.TestFuncName"}} {
			if got := callFuncNameOf(tc.skip); got != tc.want {
				t.Errorf("run %d: FuncName(%d) = %q, want %q", run, tc.skip, got, tc.want)
			}
		}
	}
}
