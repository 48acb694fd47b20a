package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNetstackEnv: the export lines select an existing workspace of the hooked build and give
// its tag.
func TestNetstackEnv(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"netstack-env"}, &stdout, &stderr); code != 0 {
		t.Fatalf("netstack-env: exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "export "+hookedTagsVar+"='sockfuzz_hooked'\n") {
		t.Errorf("no tag line in:\n%s", out)
	}
	var work string
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "export GOWORK='"); ok {
			work = strings.TrimSuffix(v, "'")
		}
	}
	if work == "" || filepath.Base(work) != "go.work" {
		t.Fatalf("no GOWORK line naming a go.work in:\n%s", out)
	}
	if _, err := os.Stat(work); err != nil {
		t.Errorf("GOWORK names a missing file: %v", err)
	}
}
