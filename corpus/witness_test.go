package corpus

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
)

// missingWitnesses are the faults of the bsd catalog that have no witness yet, each with the
// reason. The test fails when one of them gains a witness (take it off the list) or when any
// other fault lacks one.
var missingWitnesses = map[string]string{}

// TestWitnesses replays the witness of every fault of the bsd target
// (crashers/witnesses/FAULT.prog); TestNetstackWitnesses, in the hooked build, those of the
// netstack target.
func TestWitnesses(t *testing.T) {
	checkWitnesses(t, bsdTarget(), missingWitnesses)
}

// checkWitnesses replays the witnesses of target tg: each names exactly its fault, its oracle
// is the one the catalog expects, it reproduces its title on every controlled replay with the
// fault on, and runs clean with the fault off. Every fault of the catalog has one, but those
// listed in missing, which must not.
func checkWitnesses(t *testing.T, tg stack.Target, missing map[string]string) {
	have := map[string]bool{}
	for _, f := range Witnesses() {
		c, err := f.Crasher()
		if err != nil {
			t.Error(err)
			continue
		}
		if stack.TargetName(c.Program.Header.Target) != tg.Name() {
			continue
		}
		name := strings.TrimSuffix(path.Base(f.Name), ".prog")
		have[name] = true
		fi, _, ok := stack.FaultByName(tg, name)
		if !ok {
			t.Errorf("%s: no fault of %s's catalog is called %q", f.Name, tg.Name(), name)
			continue
		}
		if !slices.Equal(c.Program.Header.Faults, []string{name}) {
			t.Errorf("%s: faults %v, want just %s", f.Name, c.Program.Header.Faults, name)
		}
		if c.Oracle != fi.Oracle {
			t.Errorf("%s: oracle %s, the catalog expects %s", f.Name, c.Oracle, fi.Oracle)
		}
		if err := checkCrasher(f, repro.Execute, crasherReplays, crasherCleanSeeds); err != nil {
			t.Error(err)
		}
	}
	for _, fi := range tg.Faults() {
		_, miss := missing[fi.Name]
		switch {
		case have[fi.Name] && miss:
			t.Errorf("fault %s has a witness now: take it off the missing list", fi.Name)
		case !have[fi.Name] && !miss:
			t.Errorf("fault %s of %s has no witness in %s", fi.Name, tg.Name(), path.Join("crashers", "witnesses"))
		}
	}
}
