package repro

import (
	"math/rand/v2"
	"testing"

	"go.uber.org/goleak"
)

// TestExecuteFixtures runs every hand-written program: none trips an oracle on the correct
// stack, and a second run with the recorded choices replays the first exactly.
func TestExecuteFixtures(t *testing.T) {
	for _, fx := range loadFixtures(t) {
		f, p := fx.file, fx.prog
		if len(p.Header.Faults) > 0 {
			if _, err := Execute(p, Options{}); err == nil {
				t.Errorf("%s: unknown faults accepted", f)
			}
			continue
		}
		o, err := Execute(p, Options{LogSize: 4096})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range o.Reports {
			t.Errorf("%s: %v", f, r)
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
