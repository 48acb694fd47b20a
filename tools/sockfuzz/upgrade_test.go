package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
)

// TestUpgradeCorpus converts a work directory's first-form inputs in place, leaves the other
// files alone, and changes nothing when run again.
func TestUpgradeCorpus(t *testing.T) {
	dir := t.TempDir()
	v0 := []byte("\x08\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x02\x00\x02\x00\x00\x04\x00\x00\x00\x00")
	want, changed, err := repro.AllCalls.Upgrade(v0)
	if err != nil || !changed {
		t.Fatalf("Upgrade: %v, %v", changed, err)
	}
	files := map[string][]byte{
		"cache/FuzzSockets/a":   corpusfile.MarshalGo(v0),
		"cache/FuzzSockets/b":   []byte("not a corpus file\n"),
		"cache/FuzzReproText/c": corpusfile.MarshalGo([]byte("proc p0\n")),
	}
	for name, src := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, summary := range []string{"1 converted, 0 already current, 2 left alone", "0 converted, 1 already current, 2 left alone"} {
		var out, errb bytes.Buffer
		if code := run([]string{"upgrade-corpus", dir}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), summary) {
			t.Fatalf("run %d: exit %d, %q, want %q\n%s", i, code, out.String(), summary, errb.String())
		}
		src, err := os.ReadFile(filepath.Join(dir, "cache/FuzzSockets/a"))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := corpusfile.UnmarshalGo("a", src); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("run %d: converted file holds %x (%v), want %x", i, got, err, want)
		}
		for _, name := range []string{"cache/FuzzSockets/b", "cache/FuzzReproText/c"} {
			if src, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(src, files[name]) {
				t.Errorf("run %d: %s changed", i, name)
			}
		}
	}
}
