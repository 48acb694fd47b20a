package repro_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
)

// byteTargets are the fuzz targets whose inputs are a program's byte form, as
// tools/oss-fuzz/seedzip lists them.
var byteTargets = fuzz.ByteTargets()

// goldenInputs is the pinned decoding of every committed byte input.
const goldenInputs = "testdata/golden/inputs.golden"

// TestCommittedInputsDecode decodes every byte input the repository commits or builds from
// what it commits, with the profile of the target that runs it, and compares the programs'
// text with testdata/golden/inputs.golden (go test -update rewrites it): the corpus files
// under fuzz/testdata/fuzz, each target's seed encodings (Harness.Seeds, which are also what
// tools/oss-fuzz/seedzip zips for OSS-Fuzz, with those corpus files). A change to the codec
// that gives a stored input another meaning fails here; the byte form's version exists so
// that such a change comes with a conversion (sockfuzz upgrade-corpus) instead.
func TestCommittedInputsDecode(t *testing.T) {
	var b strings.Builder
	for _, tg := range byteTargets {
		// The seeds as seedzip names them, which must be the harness's f.Add seeds: the shared
		// seeds, then the target's stack's own.
		var named [][]byte
		decode := tg.Profile.Decode
		if tg.Edits {
			// The edit form's seeds are its bases by number (seedzip's base-NN).
			bases := fuzz.EditBases(tg)
			decode = func(data []byte) *repro.Program { return tg.Profile.DecodeEdits(bases, data) }
			for k := range bases {
				data := repro.EncodeBase(k)
				named = append(named, data)
				fmt.Fprintf(&b, "== %s seed base-%02d\n%s\n", tg.Name, k, decode(data))
			}
		}
		for _, s := range append(corpus.Seeds(), corpus.TargetSeeds(tg.StackName())...) {
			if tg.Edits {
				break
			}
			p, err := s.Program()
			if err != nil {
				t.Fatal(err)
			}
			data, err := tg.Profile.EncodeSeed(p)
			if err != nil {
				continue // the profile cannot express it; neither the harness nor seedzip adds it
			}
			named = append(named, data)
			name := strings.TrimSuffix(strings.ReplaceAll(s.Name, "/", "-"), ".prog")
			fmt.Fprintf(&b, "== %s seed %s\n%s\n", tg.Name, name, tg.Profile.Decode(data))
		}
		if h := fuzz.NewHarness(tg).Seeds(); !slices.EqualFunc(h, named, bytes.Equal) {
			t.Errorf("%s: the harness's %d seeds are not the %d seed programs encoded", tg.Name, len(h), len(named))
		}
		dir := filepath.Join("..", "fuzz", "testdata", "fuzz", tg.Name)
		files, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, f := range files { // ReadDir sorts by name
			path := filepath.Join(dir, f.Name())
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data, err := corpusfile.UnmarshalGo(path, src)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "== %s testdata %s\n%s\n", tg.Name, f.Name(), decode(data))
		}
	}
	got := b.String()
	// -update is declared by minimize_test.go (one flag rewrites every golden file here).
	if u := flag.Lookup("update"); u != nil && u.Value.String() == "true" {
		if err := os.WriteFile(goldenInputs, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenInputs)
	if err != nil {
		t.Fatalf("%v (go test -run TestCommittedInputsDecode -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("committed inputs decode to other programs than %s:\n%s", goldenInputs, firstDiff(string(want), got))
	}
}

// firstDiff shows the first line where got departs from want, with its neighbours.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		if i >= len(wl) || i >= len(gl) || wl[i] != gl[i] {
			lo, hi := max(0, i-3), i+3
			return fmt.Sprintf("line %d:\nwant:\n%s\ngot:\n%s", i+1,
				strings.Join(wl[lo:min(hi, len(wl))], "\n"), strings.Join(gl[lo:min(hi, len(gl))], "\n"))
		}
	}
	return "(same lines)"
}
