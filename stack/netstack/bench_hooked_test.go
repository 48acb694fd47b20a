//go:build sockfuzz_hooked

package netstack_test

import (
	"path/filepath"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// BenchmarkNetstackControlled measures one controlled execution per op on the hooked build:
// ThreeProcesses is testdata/bench/three.prog (a listener and two clients, 1 KiB each way, one
// TCP processor), from the stack's New to its Release, with every oracle. ThreeProcesses/pooled
// runs it as a go test -fuzz worker does (fuzz.NewHarness): thread coroutines pooled across
// executions (sched.PoolThreads), so that a thread's grown stack is not made again each time,
// and the choices of a clean execution not kept (repro.Options.ChoicesOnFailure).
func BenchmarkNetstackControlled(b *testing.B) {
	p := readProgram(b, filepath.Join("testdata", "bench", "three.prog"))
	run := func(b *testing.B, opt repro.Options) {
		b.ReportAllocs()
		steps := 0
		for b.Loop() {
			o, err := repro.Execute(p, opt)
			if err != nil {
				b.Fatal(err)
			}
			if o.Failed() {
				b.Fatalf("report: %v", o.Reports[0])
			}
			steps = o.Result.Steps
		}
		b.ReportMetric(float64(steps), "steps/op")
	}
	b.Run("ThreeProcesses", func(b *testing.B) { run(b, repro.Options{}) })
	b.Run("ThreeProcesses/pooled", func(b *testing.B) {
		sched.PoolThreads(64)
		defer sched.PoolThreads(0)
		run(b, repro.Options{ChoicesOnFailure: true})
	})
}
