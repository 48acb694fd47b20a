package repro

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
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

// TestNamedSchedules checks that a schedule named in the header runs the execution its
// registered chooser makes: the same choices as the chooser given directly.
func TestNamedSchedules(t *testing.T) {
	for _, tc := range []struct {
		sched   string
		chooser sched.Chooser
	}{
		{"walk seed=0x2a odds=32", sched.Walk(0x2a, 32)},
		{"syncpct seed=0x7 depth=2 syncs=40", sched.SyncPCT(7, 2, 40)},
		{"pct seed=0x9 depth=2 steps=300", sched.PCT(9, 2, 300)},
		{"random seed=0x1f", sched.Random(0x1f)},
	} {
		src := "cpus 2\nsched " + tc.sched + "\nproc p0\n  r0 = socket(tcp)\n  bind(r0, :80)\n  listen(r0, 1)\n" +
			"  r1 = accept(r0)\n  close(r1)\nproc p1\n  r2 = socket(tcp)\n  connect(r2, :80)\n  close(r2)\n"
		p, err := Parse("t", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", tc.sched, err)
		}
		if got := p.Header.Sched.String(); got != tc.sched {
			t.Errorf("%s: printed as %q", tc.sched, got)
		}
		named, err := Execute(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		direct, err := Execute(p, Options{Chooser: tc.chooser})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(named.Result.Choices, direct.Result.Choices) {
			t.Errorf("%s: the named schedule made other choices than its chooser", tc.sched)
		}
	}
}
