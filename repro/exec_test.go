package repro

import (
	"math/rand/v2"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// TestExecuteFixtures runs every hand-written program: none trips an oracle on the correct
// stack (those naming faults may), and a second run with the recorded choices replays the first
// exactly.
func TestExecuteFixtures(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		f, p := fx.file, fx.prog
		o, err := Execute(p, Options{LogSize: 4096})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(p.Header.Faults) == 0 {
			for _, r := range o.Reports {
				t.Errorf("%s: %v", f, r)
			}
		}
		if p.Header.Mode == Free {
			continue
		}
		o2, err := Execute(o.Replayable(p), Options{LogSize: 4096})
		if err != nil {
			t.Fatal(err)
		}
		if o2.Result.TraceHash != o.Result.TraceHash || o2.Result.Steps != o.Result.Steps {
			t.Errorf("%s: replay differs: %d/%d steps", f, o.Result.Steps, o2.Result.Steps)
		}
	}
	goleak.VerifyNone(t)
}

// TestExecuteUnknownFault checks that a program naming a fault outside the catalog does not run.
func TestExecuteUnknownFault(t *testing.T) {
	p := Decode(nil)
	p.Header.Faults = []string{"no-such-fault"}
	if _, err := Execute(p, Options{}); err == nil || !strings.Contains(err.Error(), `unknown fault "no-such-fault"`) {
		t.Errorf("Execute with an unknown fault: err = %v", err)
	}
}

// TestExecuteDecoded runs programs decoded from random bytes on the correct stack: no oracle
// fires, and every execution ends with no goroutine left.
func TestExecuteDecoded(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	n := 2000
	if testing.Short() {
		n = 200
	}
	for i := 0; i < n; i++ {
		data := randomBytes(r, r.IntN(300))
		p := Decode(data)
		p.Header.Mode = Controlled
		o, err := Execute(p, Options{StepBudget: 50_000})
		if err != nil {
			t.Fatalf("input %x: %v", data, err)
		}
		for _, rep := range o.Reports {
			t.Fatalf("input %x: %v\n%s", data, rep, p)
		}
	}
	goleak.VerifyNone(t)
}
