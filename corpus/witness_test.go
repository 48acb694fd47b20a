package corpus

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
)

// missingWitnesses are the faults of the catalog that have no witness yet, each with the
// reason. The test fails when one of them gains a witness (take it off the list) or when any
// other fault lacks one.
var missingWitnesses = map[string]string{}

// TestWitnesses replays the witness of every fault (crashers/witnesses/FAULT.prog): it names
// exactly its fault, its oracle is the one the catalog expects, it reproduces its title on
// every controlled replay with the fault on, and runs clean with the fault off.
func TestWitnesses(t *testing.T) {
	have := map[string]bool{}
	for _, f := range Witnesses() {
		name := strings.TrimSuffix(path.Base(f.Name), ".prog")
		have[name] = true
		fi, _, ok := stack.FaultByName(bsdTarget(), name)
		if !ok {
			t.Errorf("%s: no fault of the catalog is called %q", f.Name, name)
			continue
		}
		c, err := f.Crasher()
		if err != nil {
			t.Error(err)
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
	for _, fi := range bsdTarget().Faults() {
		_, missing := missingWitnesses[fi.Name]
		switch {
		case have[fi.Name] && missing:
			t.Errorf("fault %s has a witness now: take it off missingWitnesses", fi.Name)
		case !have[fi.Name] && !missing:
			t.Errorf("fault %s has no witness in %s", fi.Name, path.Join("crashers", "witnesses"))
		}
	}
}
