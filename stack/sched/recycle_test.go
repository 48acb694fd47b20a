package sched

import "testing"

// TestReleaseSameExecutions: executions that carve their clocks, reads, locksets and threads
// from the memory of released ones (Exec.Release) are the executions made with new memory,
// event for event and race for race.
func TestReleaseSameExecutions(t *testing.T) {
	runReleased := func(c Chooser, racy bool) run {
		e, _ := toyWorkload(Config{Chooser: c, LogSize: 4096}, racy)
		_, r := e.Finish()
		out := run{r.Detach(), e.Events()}
		e.Release()
		return out
	}
	for _, racy := range []bool{true, false} {
		for _, c := range choosers {
			var want []run
			for seed := uint64(0); seed < 100; seed++ {
				e, _ := toyWorkload(Config{Chooser: c.make(seed), LogSize: 4096}, racy)
				_, r := e.Finish()
				want = append(want, run{r, e.Events()})
			}
			races := 0
			for round := 0; round < 2; round++ {
				for seed := uint64(0); seed < 100; seed++ {
					got := runReleased(c.make(seed), racy)
					if err := sameExecution(want[seed], got); err != nil {
						t.Fatalf("%s racy=%v seed %d round %d: run on released memory differs: %v", c.name, racy, seed, round, err)
					}
					races += len(got.Races)
				}
			}
			if racy && races == 0 {
				t.Errorf("%s: no race found in the racy workload", c.name)
			}
		}
	}
}
