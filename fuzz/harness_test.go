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
