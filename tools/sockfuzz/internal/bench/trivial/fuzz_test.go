package trivial

import (
	"sync"
	"sync/atomic"
	"testing"
)

// FuzzTrivial starts three goroutines per input and joins them with a sync.WaitGroup, the
// smallest concurrent program: its executions per second are the engine's ceiling.
func FuzzTrivial(f *testing.F) {
	f.Add([]byte("sockfuzz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var wg sync.WaitGroup
		var n atomic.Int64
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.Add(int64(len(data)))
			}()
		}
		wg.Wait()
		if got := n.Load(); got != 3*int64(len(data)) {
			t.Fatalf("three goroutines added %d, want %d", got, 3*len(data))
		}
	})
}
