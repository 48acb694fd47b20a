package stack_test

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sockfuzz/sockfuzz/"

// TestArrows checks that the arrows between the packages point one way: the program layer and
// the boundary import no target, the oracles and the substrate nothing above them. Each row
// lists every package of the module the directory's non-test files may import.
func TestArrows(t *testing.T) {
	for _, tc := range []struct {
		dir     string
		allowed []string
	}{
		{"../repro", []string{"stack", "stack/sched", "stack/oracle"}},
		{".", []string{"stack/sched", "stack/oracle"}},
		{"oracle", []string{"stack/sched"}},
		{"sched", nil},
		{"../fuzz", []string{"corpus", "fuzz/interleave", "repro", "stack", "stack/conformance", "stack/oracle", "stack/sched", "stack/targets"}},
		{"../fuzz/interleave", []string{"stack/sched"}},
		{"bsd", []string{"stack", "stack/sched"}},
		{"bsd/sanitizer", []string{"stack", "stack/bsd", "stack/oracle", "stack/sched"}},
		{"conformance", []string{"stack", "stack/sched"}},
		{"netstack/control", []string{"stack/netstack/gvpatch/sockfuzzhook", "stack/sched"}},
		{"netstack/gvpatch", nil},
		{"netstack/gvpatch/sockfuzzhook", nil},
	} {
		pkg, err := build.ImportDir(tc.dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		for _, imp := range pkg.Imports {
			if strings.HasSuffix(tc.dir, "sockfuzzhook") && strings.Contains(imp, ".") {
				// copied into gVisor, which must never import sockfuzz or anything but Go's library
				t.Errorf("%s imports %s: the hook package imports only the standard library", tc.dir, imp)
			}
			rel, ok := strings.CutPrefix(imp, module)
			if ok && !slices.Contains(tc.allowed, rel) {
				t.Errorf("%s imports %s: against the arrows (allowed: %v)", filepath.Clean(tc.dir), rel, tc.allowed)
			}
		}
	}
}
