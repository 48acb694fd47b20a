//go:build sockfuzz_hooked

package corpus

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
)

// missingNetstackWitnesses are the faults of the netstack catalog without a witness yet, each
// with the reason.
var missingNetstackWitnesses = map[string]string{}

// TestNetstackWitnesses replays the witness of every fault of the netstack target: its fault
// on, on every controlled replay; off, clean under its own and random and PCT schedules.
func TestNetstackWitnesses(t *testing.T) {
	checkWitnesses(t, stack.MustLookup("netstack"), missingNetstackWitnesses)
}
