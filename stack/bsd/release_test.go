package bsd

import (
	"slices"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestReleaseReuse checks that pooled sockets carry nothing from one execution to the next:
// the same program, run again on sockets released by earlier runs (with data left in their
// buffers by the transfers), makes the same execution event for event and logs the same
// results.
func TestReleaseReuse(t *testing.T) {
	procs := threeProcs(1024, 30)
	cfg := sched.Config{Chooser: sched.Random(7), LogSize: -1}
	first := runProgram(cfg, 2, procs...)
	first.check(t, "first run")
	first.st.Release()
	if first.st.socks != nil {
		t.Fatal("Release left the stack's sockets")
	}
	for i := 0; i < 20; i++ {
		cfg.Chooser = sched.Random(7)
		o := runProgram(cfg, 2, procs...)
		o.check(t, "rerun")
		if o.res.TraceHash != first.res.TraceHash || !slices.Equal(o.logs, first.logs) {
			t.Fatalf("run %d on released sockets differs from the first: hash %x vs %x\n%v\nvs\n%v", i, o.res.TraceHash, first.res.TraceHash, o.logs, first.logs)
		}
		o.st.Release()
	}
}
