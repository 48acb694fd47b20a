package conformance_test

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/conformance"
	_ "github.com/sockfuzz/sockfuzz/stack/targets"
)

// targetFlavours gives each built-in target the expectations it is held to: the model
// DragonFly's own, gVisor's stack Linux's with its recorded deviations.
var targetFlavours = map[string]conformance.Flavour{
	"bsd":      conformance.BSD,
	"netstack": conformance.Netstack,
}

// notHere are the built-in targets TestConformanceTargets leaves to a test of their own, with
// the reason.
var notHere = map[string]string{
	// The scenarios run Controlled; the plain build runs netstack in Free mode only.
	"netstack": "netstack runs Controlled only on the hooked build: TestNetstackConformance, which go test ./stack/netstack/launch runs",
}

// TestConformanceTargets runs every scenario on every registered target, through the target
// interface, with its flavour's expectations.
func TestConformanceTargets(t *testing.T) {
	for _, name := range stack.Targets() {
		if why, skip := notHere[name]; skip {
			t.Run(name, func(t *testing.T) { t.Skip(why) })
			continue
		}
		runTarget(t, name)
	}
}

// runTarget runs every scenario on the named target with its flavour, a subtest each, and
// returns the number of steps run and of mismatches.
func runTarget(t *testing.T, name string) (steps, mismatches int) {
	flavour, ok := targetFlavours[name]
	if !ok {
		t.Errorf("target %s has no conformance flavour: add it to targetFlavours", name)
		return 0, 0
	}
	tgt, err := stack.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	socks := conformance.TargetSockets(tgt)
	for _, s := range conformance.Scenarios() {
		steps += len(s.Steps)
		t.Run(name+"/"+s.Name, func(t *testing.T) {
			for _, mm := range conformance.Run(s, socks, flavour) {
				mismatches++
				t.Error(mm.String())
			}
		})
	}
	return steps, mismatches
}
