package netstack

import (
	"strings"
	"testing"
	"time"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestClockControlled checks the clock on sched's virtual clock, with no gVisor: a timer fires
// at its deadline in ticks (rounded up) on a thread of its own named after it, a stopped timer
// does not fire, Stop and Reset report as tcpip.Timer says, and Now follows virtual time.
func TestClockControlled(t *testing.T) {
	e := sched.New(sched.Config{Mode: sched.Controlled})
	c := newClock(e)
	var (
		firedAt  sched.Duration = -1
		firedOn  string
		stopped  bool
		stopOK   bool
		lateStop bool
		now      time.Duration
	)
	e.Go("main", func(th *sched.Thread) {
		tm := c.AfterFunc(2500*time.Microsecond, func() { // 2.5 ms: 3 ticks
			firedAt = e.Now()
			firedOn = e.Current().Name()
		})
		never := c.AfterFunc(time.Millisecond, func() { stopped = true })
		stopOK = never.Stop()
		q := e.NewWaitQueue("wait")
		_ = q.SleepTimeout(th, nil, 0, 10)
		lateStop = tm.Stop()
		now = c.NowMonotonic().Sub(c.NowMonotonic().Add(-c.Now().Sub(time.Unix(0, 0))))
	})
	if r := e.Run(); r.Status != sched.Done {
		t.Fatalf("status %v, want done", r.Status)
	}
	if firedAt != 3 {
		t.Errorf("timer fired at tick %d, want 3", firedAt)
	}
	if !strings.HasPrefix(firedOn, "timer:") {
		t.Errorf("timer function ran on %q, want a thread of its own named timer:...", firedOn)
	}
	if stopped || !stopOK {
		t.Errorf("stopped timer: fired %v, Stop returned %v; want false, true", stopped, stopOK)
	}
	if lateStop {
		t.Error("Stop after the timer fired returned true")
	}
	if now != 10*time.Millisecond {
		t.Errorf("clock read %v after 10 ticks, want 10ms", now)
	}
	if _, armed := c.nextDeadline(); armed {
		t.Error("a timer is still armed")
	}
}
