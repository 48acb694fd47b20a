//go:build !sockfuzz_hooked

package netstack

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestControlledNeedsHooked checks that the plain build refuses a Controlled execution with
// the error that says what to do, and leaves netstackMu free for the next execution.
func TestControlledNeedsHooked(t *testing.T) {
	for range 2 {
		_, err := Target{}.New(sched.New(sched.Config{Mode: sched.Controlled}), stack.Config{CPUs: 1})
		if err != errNeedHooked {
			t.Fatalf("New(Controlled) = %v, want %v", err, errNeedHooked)
		}
	}
}
