package fuzz

import (
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// otherTarget is a registered target that is not bsd, which the fuzz targets refuse for now.
type otherTarget struct{}

func (otherTarget) Name() string           { return "fuzz-test-other" }
func (otherTarget) Calls() []string        { return nil }
func (otherTarget) Faults() []stack.Fault  { return nil }
func (otherTarget) Role(string) stack.Role { return stack.RoleOther }
func (otherTarget) New(*sched.Exec, stack.Config) (stack.Instance, error) {
	return nil, nil
}

func init() { stack.Register(otherTarget{}) }

// TestEnvTarget checks SOCKFUZZ_TARGET: empty and bsd run, an unknown name and a target no
// fuzz target runs on fail every run with a message naming the variable.
func TestEnvTarget(t *testing.T) {
	tests := []struct{ env, err string }{
		{"", ""},
		{"bsd", ""},
		{"nope", `SOCKFUZZ_TARGET="nope": unknown target "nope"`},
		{"fuzz-test-other", `SOCKFUZZ_TARGET="fuzz-test-other": no fuzz target runs on target fuzz-test-other`},
	}
	seed := NewHarness(Sockets).Seeds()[0]
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(EnvTarget, tc.env)
			msg := NewHarness(Sockets).Run(seed)
			if (tc.err == "") != (msg == "") || !strings.Contains(msg, tc.err) {
				t.Errorf("run: %q, want %q", msg, tc.err)
			}
		})
	}
}
