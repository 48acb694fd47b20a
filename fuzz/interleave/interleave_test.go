package interleave

import (
	"bytes"
	"os"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestTableCurrent checks that table.go is what gen.go writes today (go generate).
func TestTableCurrent(t *testing.T) {
	got, err := os.ReadFile("table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Table()) {
		t.Fatal("table.go is stale: run go generate ./fuzz/interleave")
	}
}

// TestHitBranches checks that each feature runs a branch of its own, and that an index out of
// range runs none.
func TestHitBranches(t *testing.T) {
	seen := map[uint64]int{}
	for i := 0; i < sched.FeatureBits; i++ {
		Hit(i)
		v := sink.Load()
		if v != branchValue(i) {
			t.Fatalf("Hit(%d) stored %#x, want %#x", i, v, branchValue(i))
		}
		if j, dup := seen[v]; dup {
			t.Fatalf("Hit(%d) and Hit(%d) store the same value", i, j)
		}
		seen[v] = i
	}
	before := sink.Load()
	Hit(-1)
	Hit(sched.FeatureBits)
	if sink.Load() != before {
		t.Fatal("an index out of range ran a branch")
	}
}
