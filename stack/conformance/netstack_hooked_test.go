//go:build sockfuzz_hooked

package conformance_test

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/conformance"
)

// TestNetstackConformance runs the scenario table on gVisor's stack, Controlled (the hooked
// build), with the netstack flavour: Linux's expectations, except at the steps that record a
// deviation (a documented difference, or a finding kept as an expected failure).
func TestNetstackConformance(t *testing.T) {
	steps, mismatches := runTarget(t, "netstack")
	kinds := make(map[conformance.DeviationKind]int)
	for _, d := range conformance.Deviations() {
		kinds[d.Kind]++
	}
	diff, found := kinds[conformance.Difference], kinds[conformance.Finding]
	t.Logf("%d scenarios, %d steps, %d mismatches: %d steps expect Linux's answer, %d a documented difference, %d a finding",
		len(conformance.Scenarios()), steps, mismatches, steps-diff-found, diff, found)
}
