package repro

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestExecuteBare runs every hand-written program bare: in controlled mode it makes the same
// execution as Execute with the oracles (same steps, same trace hash), with or without the
// race detector, so that sockfuzz bench compares like with like; in free mode (faults off) it
// ends with no thread left.
func TestExecuteBare(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		f, p := fx.file, fx.prog
		if p.Header.Mode == Free {
			continue
		}
		o, err := Execute(p, Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, race := range []bool{false, true} {
			r, err := ExecuteBare(p, BareOptions{Race: race})
			if err != nil {
				t.Fatalf("%s (race %v): %v", f, race, err)
			}
			if r.Steps != o.Result.Steps || r.TraceHash != o.Result.TraceHash || r.Status != o.Result.Status {
				t.Errorf("%s (race %v): bare %d steps %v hash %x, with the oracles %d steps %v hash %x", f, race,
					r.Steps, r.Status, r.TraceHash, o.Result.Steps, o.Result.Status, o.Result.TraceHash)
			}
		}
		if len(p.Header.Faults) > 0 {
			// A fault in free mode is a real data race (fioasync-rmw's plain store), which
			// go test -race rightly reports.
			continue
		}
		if _, err := ExecuteBare(p, BareOptions{Mode: Free}); err != nil {
			t.Errorf("%s free: %v", f, err)
		}
	}
	goleak.VerifyNone(t)
}

// TestExecuteBareInvalid checks that a program that does not validate does not run.
func TestExecuteBareInvalid(t *testing.T) {
	p := *loadFixtures(t)[0].prog
	p.Header.Faults = append([]string{"no-such-fault"}, p.Header.Faults...)
	if _, err := ExecuteBare(&p, BareOptions{}); err == nil || !strings.Contains(err.Error(), "no-such-fault") {
		t.Errorf("a program with an unknown fault: %v, want an error naming it", err)
	}
}
