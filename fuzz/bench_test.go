package fuzz

import "testing"

// BenchmarkTargets measures one input's run per target (decode, execute with the oracles,
// teardown) without the fuzzing engine, over the seeds and random inputs: the ceiling of a
// target's execs/s per core.
func BenchmarkTargets(b *testing.B) {
	for _, tg := range targets {
		b.Run(tg.Name, func(b *testing.B) {
			h := NewHarness(tg)
			inputs := benchInputs(h)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if msg := h.Run(inputs[i%len(inputs)]); msg != "" {
					b.Fatal(msg)
				}
			}
		})
	}
}
