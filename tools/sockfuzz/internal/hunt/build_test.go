package hunt

import (
	"context"
	"strings"
	"testing"
)

// TestGoBuildEnv: the hunt's builds run with the configured environment and tag (the hooked
// build's, from a hooked tool): a GOFLAGS there reaches the go command.
func TestGoBuildEnv(t *testing.T) {
	r := &runner{cfg: Config{BuildTags: "sockfuzz_hooked"}}
	if err := r.goBuild(context.Background(), "list", "fmt"); err != nil {
		t.Fatalf("go list -tags: %v", err)
	}
	r.cfg.BuildEnv = []string{"GOFLAGS=-sockfuzz-no-such-flag"}
	if err := r.goBuild(context.Background(), "list", "fmt"); err == nil || !strings.Contains(err.Error(), "sockfuzz-no-such-flag") {
		t.Fatalf("go list with a bad GOFLAGS in BuildEnv: %v, want an error naming it", err)
	}
}
