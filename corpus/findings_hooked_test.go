//go:build sockfuzz_hooked

package corpus

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
)

// findingReplays is how many controlled replays of a finding must all fail with its title.
const findingReplays = 20

// TestNetstackFindings replays every stored finding of a real stack (findings/*.prog): each
// fails with its stored title and oracle on every replay, faults off. When a gVisor bump fixes
// one, this fails: move its write-up to the fixed ones and the program to a regression test.
func TestNetstackFindings(t *testing.T) {
	files := Findings()
	if len(files) == 0 {
		t.Fatal("no finding stored")
	}
	for _, f := range files {
		c, err := f.Crasher()
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Program.Header.Faults) != 0 {
			t.Errorf("%s: faults %v: a finding is of the stack as it is", f.Name, c.Program.Header.Faults)
		}
		for i := 0; i < findingReplays; i++ {
			o, err := repro.Execute(c.Program, repro.Options{})
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			if o.Title() != c.Title || len(o.Reports) == 0 || o.Reports[0].Oracle != c.Oracle {
				t.Fatalf("%s: replay %d gave %q, want %q (%s): fixed upstream?", f.Name, i, o.Title(), c.Title, c.Oracle)
			}
		}
	}
}
