package covloop

import (
	"hash/fnv"
	"sync"
	"testing"

	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/bench"
)

var seeds = sync.OnceValues(bench.NewSeeds)

// BenchmarkHarnessSeeds runs FuzzSockets' seed inputs in turn through its harness with one
// schedule per input: one execution per op. Run it with -cpu 1, as a fuzzing worker runs. It
// reports the process's CPU time per op (bench.CPUMetric) beside the wall time.
func BenchmarkHarnessSeeds(b *testing.B) {
	s, err := seeds()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := bench.ProcessCPU()
	for i := 0; i < b.N; i++ {
		if msg := s.Harness.Run(s.Inputs[i%len(s.Inputs)]); msg != "" {
			b.Fatalf("seed %d: %s", i%len(s.Inputs), msg)
		}
	}
	if cpu := bench.ProcessCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), bench.CPUMetric)
	}
}

// FuzzSeedMix runs, for each input the engine makes, the seed input its bytes' hash picks
// through FuzzSockets' harness: the programs are BenchmarkHarnessSeeds' (the same mix, in
// expectation), the mutation, the coverage bookkeeping and the workers' coordination the
// engine's. Its executions per second beside BenchmarkHarnessSeeds' are the engine's own cost.
func FuzzSeedMix(f *testing.F) {
	s, err := seeds()
	if err != nil {
		f.Fatal(err)
	}
	for _, in := range s.Inputs {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h := fnv.New32a()
		h.Write(data)
		i := int(h.Sum32() % uint32(len(s.Inputs)))
		if msg := s.Harness.Run(s.Inputs[i]); msg != "" {
			t.Fatalf("seed %d: %s", i, msg)
		}
	})
}
