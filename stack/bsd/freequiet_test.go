package bsd

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestFreeQuiescenceIsReal runs a listener and a client that resets its connection, in Free
// mode, with a reaper that joins them and tears the stack down: whenever the execution looks
// quiescent, the reaper must be among the blocked threads (it never finishes before the stack
// is torn down). A join racing the joined thread's exit used to make the count say quiescent
// while the reaper went on, and the teardown was cut short (a socket leak).
func TestFreeQuiescenceIsReal(t *testing.T) {
	for i := 0; i < 2000; i++ {
		e := sched.New(sched.Config{Mode: sched.Free})
		st := New(e, Config{CPUs: 1})
		var p0, p1 *Proc
		t0 := e.Go("p0", func(t *sched.Thread) {
			fd, _ := p0.Socket(t, TCP)
			_ = p0.Bind(t, fd, 80)
			_ = p0.Listen(t, fd, 1)
			c, _ := p0.Accept(t, fd)
			_, _ = p0.Recv(t, c, 1, 0)
			_ = p0.Close(t, c)
		})
		p0 = st.NewProc("p0", t0)
		t1 := e.Go("p1", func(t *sched.Thread) {
			fd, _ := p1.Socket(t, TCP)
			_ = p1.SetLinger(t, fd, true, 0)
			_ = p1.Connect(t, fd, Addr{IP: LocalIP, Port: 80})
			_ = p1.Close(t, fd)
		})
		p1 = st.NewProc("p1", t1)
		e.Go("reaper", func(t *sched.Thread) {
			_ = t.Join(t0)
			_ = t.Join(t1)
			st.Teardown(t)
		})
		for round := 0; ; round++ {
			r := e.Run()
			if r.Status != sched.Quiescent {
				if r.Status != sched.Done {
					t.Fatalf("run %d: status %v", i, r.Status)
				}
				break
			}
			reaper := false
			for _, b := range r.Blocked {
				reaper = reaper || b.Name == "reaper"
				if b.Interruptible {
					_ = e.Interrupt(nil, e.Threads()[b.Thread])
				}
			}
			if !reaper || round > 10 {
				t.Fatalf("run %d round %d: quiescent without the reaper blocked: %+v", i, round, r.Blocked)
			}
		}
	}
}
