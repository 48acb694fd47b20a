//go:build sockfuzz_hooked

package corpus

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
)

// TestNetstackSeedsRunClean runs netstack's own seeds (seeds-netstack/) with every fault off
// under their own schedule and 100 random and 100 PCT ones: each is valid for the target and
// runs clean, as the shared seeds do on bsd (TestSeedsRunClean).
func TestNetstackSeedsRunClean(t *testing.T) {
	seeds := TargetSeeds("netstack")
	if len(seeds) == 0 {
		t.Fatal("no netstack seed")
	}
	tgt := stack.MustLookup("netstack")
	for _, s := range seeds {
		p, err := s.Program()
		if err != nil {
			t.Fatal(err)
		}
		if stack.TargetName(p.Header.Target) != "netstack" {
			t.Errorf("%s: target %q, want netstack", s.Name, p.Header.Target)
		}
		if err := repro.ValidateTarget(p, tgt); err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		scheds := []repro.Schedule{p.Header.Sched}
		for seed := uint64(0); seed < 100; seed++ {
			scheds = append(scheds, repro.Schedule{Kind: repro.SchedRandom, Seed: seed},
				repro.Schedule{Kind: repro.SchedPCT, Seed: seed, Depth: 3, Steps: 5000})
		}
		for _, sc := range scheds {
			q := *p
			q.Header.Sched = sc
			o, err := repro.Execute(&q, repro.Options{})
			if err != nil {
				t.Fatalf("%s under %s: %v", s.Name, sc.Kind, err)
			}
			if o.Failed() || o.Live != 0 {
				t.Errorf("%s under %+v: %q, %d threads alive", s.Name, sc, o.Title(), o.Live)
				break
			}
		}
	}
}
