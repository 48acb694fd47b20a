package bsd

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// BenchmarkThreeProcesses measures one execution of the listener and two clients (connect,
// 1 KiB each way, close, teardown) on one protocol thread. "controlled" runs executions on both
// cores in parallel (RunParallel), as fuzzing workers do: ns/op is the wall time per execution
// over the machine; "controlled-serial" is one at a time; "free" runs the same operations with
// no scheduler (real goroutines, sync locks), the baseline the issue compares against.
func BenchmarkThreeProcesses(b *testing.B) {
	procs := threeProcs(1024, 30)
	run := func(mode sched.Mode) {
		o := runProgram(sched.Config{Mode: mode, LogSize: -1}, 1, procs...)
		if o.res.Status != sched.Done {
			b.Fatalf("%v: %v", mode, o.res.Status)
		}
		o.st.Release()
	}
	b.Run("controlled", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				run(sched.Controlled)
			}
		})
	})
	b.Run("controlled-serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			run(sched.Controlled)
		}
	})
	b.Run("free", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			run(sched.Free)
		}
	})
}
