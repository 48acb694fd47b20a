package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
)

const testdata = "../../../fuzz/testdata/fuzz"

// fuzzTargets lists the fuzz targets fuzz_test.go declares, as build.sh finds them.
func fuzzTargets(t *testing.T) []string {
	src, err := os.ReadFile("../../../fuzz/fuzz_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^func (Fuzz[A-Za-z0-9_]*)\(f \*testing\.F\) \{$`).FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) == 0 {
		t.Fatal("no fuzz target found in fuzz_test.go")
	}
	return names
}

// readZip returns a zip's entries' contents by name, in order.
func readZip(t *testing.T, path string) (names []string, files [][]byte) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		names, files = append(names, f.Name), append(files, b)
	}
	return names, files
}

// TestEveryTarget writes the zips of every target of fuzz_test.go, and checks that each byte
// target's zip holds exactly its f.Add seeds and its kept inputs, as libFuzzer inputs.
func TestEveryTarget(t *testing.T) {
	out := t.TempDir()
	targets := fuzzTargets(t)
	var errb bytes.Buffer
	if code := run(append([]string{"-o", out, "-testdata", testdata}, targets...), &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, name := range targets {
		opts, err := os.ReadFile(filepath.Join(out, name+".options"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := "[libfuzzer]\nentropic_scale_per_exec_time = 1\n"; string(opts) != want {
			t.Errorf("%s.options = %q, want %q", name, opts, want)
		}
		_, files := readZip(t, filepath.Join(out, name+"_seed_corpus.zip"))
		var got [][]byte
		for _, f := range files {
			data, exact, err := corpusfile.UnmarshalLibFuzzer(f)
			if err != nil || !exact {
				t.Fatalf("%s: entry %x: exact %v, %v", name, f, exact, err)
			}
			got = append(got, data)
		}
		var want [][]byte
		for _, tg := range byteTargets {
			if tg.Name == name {
				want = fuzz.NewHarness(tg).Seeds()
			}
		}
		if name == fuzz.NetstackLinux {
			want = fuzz.DifferHarness().Seeds()
		}
		if name == reproTextTarget {
			continue // the seeds' text, checked by TestReproTextSeeds
		}
		kept, _ := filepath.Glob(filepath.Join(testdata, name, "*"))
		if len(got) != len(want)+len(kept) {
			t.Fatalf("%s: %d inputs, want %d seeds and %d kept", name, len(got), len(want), len(kept))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("%s: input %d = %x, want the f.Add seed %x", name, i, got[i], want[i])
			}
		}
	}
}

// TestReproTextSeeds checks FuzzReproText's seeds are the seed programs' text, as stored.
func TestReproTextSeeds(t *testing.T) {
	entries, err := seeds(reproTextTarget, testdata)
	if err != nil {
		t.Fatal(err)
	}
	want := corpus.Seeds()
	if len(entries) != len(want) {
		t.Fatalf("%d inputs, want the %d seed programs", len(entries), len(want))
	}
	for i, e := range entries {
		data, _, _ := corpusfile.UnmarshalLibFuzzer(e.data)
		if !bytes.Equal(data, want[i].Text) {
			t.Errorf("%s: %q, want the text of %s", e.name, data, want[i].Name)
		}
	}
}

// TestDeterministic checks two runs write the same zip: no time or order leaks into it.
func TestDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if code := run([]string{"-o", dir, "-testdata", testdata, "FuzzSockets"}, io.Discard); code != 0 {
			t.Fatal("exit", code)
		}
	}
	za, _ := os.ReadFile(filepath.Join(a, "FuzzSockets_seed_corpus.zip"))
	zb, _ := os.ReadFile(filepath.Join(b, "FuzzSockets_seed_corpus.zip"))
	if len(za) == 0 || !bytes.Equal(za, zb) {
		t.Error("two runs wrote different zips")
	}
}

func TestErrors(t *testing.T) {
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, "FuzzSockets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "FuzzSockets", "x"), []byte("go test fuzz v1\nint(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"FuzzSockets"}, "usage"},
		{[]string{"-o", t.TempDir(), "FuzzNothing"}, "FuzzNothing: not a fuzz target seedzip knows"},
		{[]string{"-o", t.TempDir(), "-testdata", bad, "FuzzSockets"}, filepath.Join(bad, "FuzzSockets", "x") + ":2: expected []byte"},
		{[]string{"-o", filepath.Join(t.TempDir(), "nosuch"), "FuzzSockets"}, "no such file"},
	}
	for _, tc := range tests {
		var errb bytes.Buffer
		if code := run(tc.args, &errb); code != 2 || !strings.Contains(errb.String(), tc.wantErr) {
			t.Errorf("seedzip %q = exit %d, %q; want 2 and %q", tc.args, code, errb.String(), tc.wantErr)
		}
	}
}
