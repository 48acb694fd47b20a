package netstack_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
)

// BenchmarkNetstackFree measures one free-mode execution per op: ThreeProcesses is
// testdata/three.prog (a listener and two clients, 1 KiB each way), from the stack's New to its
// Release.
func BenchmarkNetstackFree(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "three.prog"))
	if err != nil {
		b.Fatal(err)
	}
	p, err := repro.Parse("three.prog", src)
	if err != nil {
		b.Fatal(err)
	}
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
