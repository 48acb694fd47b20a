package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
)

// TestCorpusStats counts a corpus of two seed inputs of FuzzSockets: two programs, and nothing
// beyond the seeds; a file that is no corpus file is an error naming it.
func TestCorpusStats(t *testing.T) {
	dir := t.TempDir()
	seeds := fuzz.NewHarness(fuzz.Sockets).Seeds()
	for i, s := range seeds[:2] {
		if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))), corpusfile.MarshalGo(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"corpus-stats", "-fuzz-target", "FuzzSockets", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "2 inputs, 2 distinct programs,") || !strings.Contains(out.String(), "(0 no seed has)") ||
		!strings.Contains(out.String(), "(0 no seed combines)") {
		t.Errorf("output %q", out.String())
	}
	bad := filepath.Join(dir, "z")
	if err := os.WriteFile(bad, []byte("not a corpus file"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"corpus-stats", dir}, &out, &errb); code != 2 || !strings.Contains(errb.String(), bad) {
		t.Errorf("bad file: exit %d, %q", code, errb.String())
	}
}
