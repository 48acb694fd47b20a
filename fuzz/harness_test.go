package fuzz

import (
	"strings"
	"testing"
)

var targets = []Target{Sockets, AcceptQueue, AsyncWakeup, Soclose}

// TestSeedsRunClean runs every target's seeds once with leak checks: all clean, faults off.
func TestSeedsRunClean(t *testing.T) {
	for _, tg := range targets {
		if err := CheckSeeds(tg); err != nil {
			t.Error(err)
		}
	}
}

// TestTargetNames checks OSS-Fuzz's rule: no target name is a prefix of another's.
func TestTargetNames(t *testing.T) {
	names := []string{"FuzzReproText"}
	for _, tg := range targets {
		names = append(names, tg.Name)
	}
	for i, a := range names {
		for j, b := range names {
			if i != j && strings.HasPrefix(b, a) {
				t.Errorf("target %s is a prefix of %s", a, b)
			}
		}
	}
}

// TestBadEnvironment checks that an unknown fault or mode fails every run with a clear message.
func TestBadEnvironment(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{EnvFaults, "no-such-fault", `unknown fault "no-such-fault"`},
		{EnvMode, "sideways", `SOCKFUZZ_MODE="sideways": want controlled or free`},
	}
	for _, tc := range tests {
		t.Setenv(tc.key, tc.value)
		h := NewHarness(Sockets)
		if msg := h.Run(nil); !strings.Contains(msg, tc.want) {
			t.Errorf("%s=%s: run said %q, want it to contain %q", tc.key, tc.value, msg, tc.want)
		}
	}
}

// TestFreeModeRuns checks that SOCKFUZZ_MODE=free runs the seeds clean too.
func TestFreeModeRuns(t *testing.T) {
	t.Setenv(EnvMode, "free")
	if err := CheckSeeds(Sockets); err != nil {
		t.Error(err)
	}
}

// TestHarnessFor checks the fuzz targets' harness is made once per target, with its seeds
// encoded once: a libFuzzer build calls a target once per input.
func TestHarnessFor(t *testing.T) {
	a, b := HarnessFor(Sockets), HarnessFor(Sockets)
	if a != b {
		t.Error("HarnessFor(Sockets) made two harnesses")
	}
	if HarnessFor(Soclose) == a {
		t.Error("HarnessFor(Soclose) returned FuzzSockets' harness")
	}
	s1, s2 := a.Seeds(), a.Seeds()
	if len(s1) == 0 || len(s1) != len(s2) || &s1[0][0] != &s2[0][0] {
		t.Error("Seeds encoded the seeds again")
	}
	if len(TextSeeds()) == 0 || TextSeeds()[0][0] != '#' {
		t.Error("TextSeeds holds no seed program text")
	}
}
