package conformance_test

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/conformance"
	_ "github.com/sockfuzz/sockfuzz/stack/targets"
)

// targetFlavours gives each built-in target the expectations it is held to: the model
// DragonFly's own.
var targetFlavours = map[string]conformance.Flavour{
	"bsd": conformance.BSD,
}

// notHere are the built-in targets this build cannot hold to a flavour, with the reason.
var notHere = map[string]string{
	// The scenarios run Controlled; the plain build runs netstack in Free mode only.
	"netstack": "netstack's conformance (the Linux flavour) needs the hooked build: milestone B2",
}

// TestConformanceTargets runs every scenario on every registered target, through the target
// interface, with its flavour's expectations.
func TestConformanceTargets(t *testing.T) {
	for _, name := range stack.Targets() {
		if why, skip := notHere[name]; skip {
			t.Run(name, func(t *testing.T) { t.Skip(why) })
			continue
		}
		flavour, ok := targetFlavours[name]
		if !ok {
			t.Errorf("target %s has no conformance flavour: add it to targetFlavours", name)
			continue
		}
		tgt, err := stack.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		socks := conformance.TargetSockets(tgt)
		for _, s := range conformance.Scenarios() {
			t.Run(name+"/"+s.Name, func(t *testing.T) {
				for _, mm := range conformance.Run(s, socks, flavour) {
					t.Error(mm.String())
				}
			})
		}
	}
}
