package netstack_test

import (
	"path/filepath"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
)

// BenchmarkNetstackFree measures one free-mode execution per op: ThreeProcesses is
// testdata/three.prog (a listener and two clients, 1 KiB each way), from the stack's New to its
// Release.
func BenchmarkNetstackFree(b *testing.B) {
	p := readProgram(b, filepath.Join("testdata", "three.prog"))
	b.Run("ThreeProcesses", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o, err := repro.Execute(p, repro.Options{})
			if err != nil {
				b.Fatal(err)
			}
			if o.Failed() {
				b.Fatalf("report: %v", o.Reports[0])
			}
		}
	})
}
