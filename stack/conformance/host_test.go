//go:build linux

package conformance

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestHostScenarios runs every scenario on the host kernel with the linux flavour.
func TestHostScenarios(t *testing.T) {
	h := NewHost()
	t.Cleanup(func() {
		if err := h.End(); err != nil {
			t.Errorf("closing the host: %v", err)
		}
	})
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			for _, m := range Run(s, h, Linux) {
				t.Error(m.String())
			}
			if n := h.Open(); n != 0 {
				t.Errorf("%d descriptors still open after the scenario", n)
			}
		})
	}
}

// TestScenarioTable checks that the table is well formed.
func TestScenarioTable(t *testing.T) {
	all := Scenarios()
	if len(all) < 45 {
		t.Errorf("%d scenarios, want at least 45", len(all))
	}
	seen := make(map[string]bool)
	for _, s := range all {
		if seen[s.Name] {
			t.Errorf("scenario name %q used twice", s.Name)
		}
		seen[s.Name] = true
		if err := Validate(s); err != nil {
			t.Error(err)
		}
		for i, st := range s.Steps {
			if st.Linux != nil && strings.TrimSpace(st.Linux.Reason) == "" {
				t.Errorf("%s step %d: linux override without a reason", s.Name, i)
			}
		}
	}
}

// TestHostNeverLeavesLoopback checks that every address the host forms is 127.0.0.1.
func TestHostNeverLeavesLoopback(t *testing.T) {
	h := NewHost()
	if err := h.Begin(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := h.End(); err != nil {
			t.Error(err)
		}
	}()
	for p := PortAny; p <= MaxPort; p++ {
		sa, e := h.sockaddr(p)
		if e != OK {
			t.Fatalf("port %s: %v", p, e)
		}
		if sa.Addr != loopback {
			t.Errorf("port %s maps to %v", p, sa.Addr)
		}
		if p != PortAny && sa.Port == 0 {
			t.Errorf("port %s has no real port", p)
		}
	}
	if _, e := h.sockaddr(MaxPort + 1); e != EINVAL {
		t.Errorf("port beyond MaxPort: got %v, want EINVAL", e)
	}
}

// TestRunReportsMismatch checks that the runner reports a wrong expectation readably.
func TestRunReportsMismatch(t *testing.T) {
	s := Scenario{
		Name: "deliberately-wrong",
		Doc:  "expects the wrong error",
		Steps: steps(
			socket(r0, TCP),
			send(r0, "x", 0).fails(EISCONN),
		),
	}
	ms := Run(s, NewHost(), Linux)
	if len(ms) != 1 {
		t.Fatalf("got %d mismatches, want 1: %v", len(ms), ms)
	}
	got := ms[0].String()
	for _, want := range []string{"deliberately-wrong", "step 1", "send(r0", "EISCONN", "EPIPE"} {
		if !strings.Contains(got, want) {
			t.Errorf("mismatch %q does not mention %q", got, want)
		}
	}
}

// TestDeviationFlavour checks on the host which expectation the netstack flavour applies:
// Linux's override where the step has no deviation, the deviation's where it has one, whose
// mismatch names its kind and reason.
func TestDeviationFlavour(t *testing.T) {
	s := Scenario{
		Name: "flavour",
		Doc:  "a Linux override, then a deviation the host does not follow",
		Steps: steps(
			socket(r0, TCP),
			send(r0, "x", 0).fails(ENOTCONN).linux(errX(EPIPE), "Linux answers EPIPE", "here"),
			send(r0, "x", 0).fails(ENOTCONN).linux(errX(EPIPE), "Linux answers EPIPE", "here").
				netstack(Finding, errX(EINVAL), "a made-up deviation", "nowhere.go:1"),
		),
	}
	if err := Validate(s); err != nil {
		t.Fatal(err)
	}
	ms := Run(s, NewHost(), Netstack)
	if len(ms) != 1 || ms[0].Step != 2 {
		t.Fatalf("got mismatches %v, want step 2's only", ms)
	}
	if got := ms[0].String(); !strings.Contains(got, "want EINVAL") || !strings.Contains(got, "netstack finding: a made-up deviation") {
		t.Errorf("mismatch %q does not name the deviation", got)
	}
}

// TestValidateRejects checks that Validate catches a malformed scenario.
func TestValidateRejects(t *testing.T) {
	bad := Scenario{
		Name: "bad",
		Doc:  "broken",
		Steps: steps(
			socket(r0, TCP).linux(okX(), "", ""),
			recv(r0, 1, 0, "").tolerate("", Result{}, Result{Err: EINVAL}),
			Step{Op: Op(99), Want: okX()},
			closefd(r0).netstack("", okX(), "", ""),
		),
	}
	err := Validate(bad)
	if err == nil {
		t.Fatal("Validate accepted a malformed scenario")
	}
	for _, want := range []string{"without a reason", "without a BSD source", "without saying why", "unknown operation",
		"deviation of unknown kind", "deviation without a reason", "without a gVisor source", "expects an answer Linux gives"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %q does not mention %q", err, want)
		}
	}
}

// TestLinuxOverridesNeeded runs every scenario on the host with the bsd flavour: the steps that
// mismatch must be exactly the steps whose Linux override really differs from the BSD answer, so
// that no override is stale and no difference goes unrecorded.
func TestLinuxOverridesNeeded(t *testing.T) {
	h := NewHost()
	h.BlockTimeout = 300 * time.Millisecond // only the two deliberate hangs wait this long
	t.Cleanup(func() {
		if err := h.End(); err != nil {
			t.Errorf("closing the host: %v", err)
		}
	})
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			mismatched := make(map[int]bool)
			for _, m := range Run(s, h, BSD) {
				if m.Step < 0 {
					t.Fatal(m.String())
				}
				mismatched[m.Step] = true
			}
			for i, st := range s.Steps {
				differs := st.Linux != nil && disjoint(st.Op, st.Want, st.Linux.Want)
				switch {
				case mismatched[i] && st.Linux == nil:
					t.Errorf("step %d %s: the host differs from BSD but the step has no linux override", i, st.Call())
				case !mismatched[i] && differs:
					t.Errorf("step %d %s: the host gives the BSD answer, the linux override is not needed", i, st.Call())
				}
			}
		})
	}
}

// disjoint reports whether no outcome of a is also an outcome of b.
func disjoint(op Op, a, b Expect) bool {
	for _, r := range b.Any {
		if matchesAny(op, a.Any, r) {
			return false
		}
	}
	return true
}

// TestHostArbitraryStepsNoPanic drives the host with a fixed pseudo-random sequence of calls,
// many of them invalid (bad descriptors, ports and operations), and checks that nothing panics
// and that every descriptor is closed at the end.
func TestHostArbitraryStepsNoPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := NewHost()
	h.BlockTimeout = 20 * time.Millisecond
	for round := 0; round < 4; round++ {
		s := Scenario{Name: "arbitrary", Doc: "pseudo-random calls"}
		for i := 0; i < 60; i++ {
			st := Step{
				Op:     Op(rng.IntN(int(OpGetSockError) + 2)),
				FD:     Slot(rng.IntN(8) - 1),
				Out:    Slot(rng.IntN(6)),
				Proto:  Proto(rng.IntN(4)),
				Port:   Port(rng.IntN(14) - 2),
				N:      rng.IntN(70) - 3,
				On:     rng.IntN(2) == 0,
				How:    How(rng.IntN(5) - 1),
				Flags:  MsgFlags(rng.IntN(32)),
				Events: PollEvents(rng.IntN(64)),
				Wait:   rng.IntN(8) == 0,
				Data:   payload(rng.IntN(40)),
				Want:   okX(),
			}
			if st.Op == OpSetLinger {
				st.N = rng.IntN(2)
			}
			s.Steps = append(s.Steps, st)
		}
		for _, m := range Run(s, h, Linux) {
			if m.Step < 0 {
				t.Errorf("round %d: %s", round, m)
			}
		}
		if n := h.Open(); n != 0 {
			t.Errorf("round %d: %d descriptors still open", round, n)
		}
	}
}
