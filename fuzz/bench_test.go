package fuzz

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkTargets measures one input's run per target (decode, execute with the oracles,
// teardown) without the fuzzing engine, over the seeds and random inputs: the ceiling of a
// target's execs/s per core.
func BenchmarkTargets(b *testing.B) {
	for _, tg := range targets {
		b.Run(tg.Name, func(b *testing.B) {
			h := NewHarness(tg)
			inputs := h.Seeds()
			r := rand.New(rand.NewPCG(1, 1))
			for i := 0; i < 64; i++ {
				in := make([]byte, 8+r.IntN(200))
				for j := range in {
					in[j] = byte(r.UintN(256))
				}
				inputs = append(inputs, in)
			}
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
