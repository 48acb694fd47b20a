// Package interleave turns an execution's interleaving features (sched.Features) into code
// coverage that go test -fuzz and libFuzzer see: Hit(i) runs the i-th of sched.FeatureBits
// distinct branches of a generated switch (table.go), each its own basic block, so the
// compiler's coverage counters count it. An input whose schedules reach a feature no input
// reached before is kept in the corpus as if it had reached new code. The table is fixed: a
// run adds at most sched.FeatureBits such inputs, however noisy its schedules.
package interleave

import "github.com/sockfuzz/sockfuzz/stack/sched"

//go:generate go run gen.go

// Report hits every feature of f, once each.
func Report(f *sched.Features) {
	if f != nil {
		f.Each(Hit)
	}
}
