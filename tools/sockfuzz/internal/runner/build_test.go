package runner

import (
	"context"
	"slices"
	"testing"
)

// TestGoCmd: the fuzz test binary's go commands carry the configured tag and environment (the
// hooked build's, from a hooked tool), and nothing more from a plain one.
func TestGoCmd(t *testing.T) {
	tests := []struct {
		cfg      Config
		wantArgs []string
		wantEnv  string // an entry of the command's environment; "" for the inherited one
	}{
		{Config{}, []string{"go", "test", "-c", "./fuzz"}, ""},
		{Config{BuildTags: "sockfuzz_hooked", BuildEnv: []string{"GOWORK=/x/go.work"}},
			[]string{"go", "test", "-tags", "sockfuzz_hooked", "-c", "./fuzz"}, "GOWORK=/x/go.work"},
	}
	for _, tt := range tests {
		r := &runner{cfg: tt.cfg}
		cmd := r.goCmd(context.Background(), "test", "-c", "./fuzz")
		if !slices.Equal(cmd.Args, tt.wantArgs) {
			t.Errorf("args %q, want %q", cmd.Args, tt.wantArgs)
		}
		if tt.wantEnv == "" && cmd.Env != nil || tt.wantEnv != "" && !slices.Contains(cmd.Env, tt.wantEnv) {
			t.Errorf("env %q, want %q", cmd.Env, tt.wantEnv)
		}
	}
}
