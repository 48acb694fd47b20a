package gvpatch

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the repository's root, the directory of its go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// TestEditsApply applies the whole edit table to the pinned gVisor in memory: every row must
// match exactly once (Tree fails otherwise, naming the row), every edited file must be gofmt'd,
// and the go statement rewrite must find the seven statements of docs/netstack-design.md §1.2.
// TestEnsureHookedBuild compiles the result.
func TestEditsApply(t *testing.T) {
	root := repoRoot(t)
	mod, err := locate(root)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := packages(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Roots {
		if !slices.Contains(pkgs, r) {
			t.Errorf("package list lacks root %s", r)
		}
	}
	files, err := Tree(mod.Dir, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	rows, gos, ranges := 0, 0, 0
	for _, f := range files {
		for _, id := range f.Edits {
			switch id {
			case "go":
				gos += bytes.Count(f.Data, []byte("sockfuzzhook.Go("))
			case "range":
				ranges += bytes.Count(f.Data, []byte(", sockfuzzhook.Compare)"))
			case "F":
			default:
				rows++
			}
		}
		if len(f.Edits) > 0 && strings.HasSuffix(f.Path, ".go") {
			if out, err := format.Source(f.Data); err != nil || !bytes.Equal(out, f.Data) {
				t.Errorf("%s is not gofmt'd (%v)", f.Path, err)
			}
		}
		if strings.HasSuffix(f.Path, ".go") && !strings.HasPrefix(f.Path, "pkg/sockfuzzhook/") && bytes.Contains(f.Data, []byte("\n\tgo ")) {
			t.Errorf("%s keeps a go statement", f.Path)
		}
	}
	if rows != len(Edits) {
		t.Errorf("%d rows applied, the table has %d", rows, len(Edits))
	}
	if gos != 7 {
		t.Errorf("%d go statements rewritten, want 7", gos)
	}
	// The map ranges found by syntax: at least those of the stack package named in the design
	// (addressable endpoints, the demuxer, the NICs).
	if ranges < 50 {
		t.Errorf("%d map ranges rewritten, want at least 50", ranges)
	}
	t.Logf("%d map ranges rewritten", ranges)
}

// newModroot makes a repository stand-in in a temporary directory: the repository's go.mod and
// go.sum (so the same gVisor is required), and the smoke program.
func newModroot(t *testing.T) string {
	t.Helper()
	root, dir := repoRoot(t), t.TempDir()
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	smoke, err := os.ReadFile(filepath.Join("testdata", "smoke", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "smoke"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "smoke", "main.go"), smoke, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestEnsureHookedBuild runs two Ensures at once on a fresh repository stand-in (one build
// directory must come out of it, used by both), then builds the hooked gVisor packages with
// the build's environment and runs the smoke program in it, with no hooks installed.
func TestEnsureHookedBuild(t *testing.T) {
	modroot := newModroot(t)
	var wg sync.WaitGroup
	builds := make([]Build, 2)
	errs := make([]error, 2)
	for i := range builds {
		wg.Go(func() { builds[i], errs[i] = Ensure(modroot) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if builds[0].Dir != builds[1].Dir {
		t.Fatalf("two Ensures gave %s and %s", builds[0].Dir, builds[1].Dir)
	}
	ents, err := os.ReadDir(filepath.Join(modroot, ".sockfuzz", "build"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || filepath.Join(modroot, ".sockfuzz", "build", ents[0].Name()) != builds[0].Dir {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("build root holds %v, want only %s", names, filepath.Base(builds[0].Dir))
	}
	// A third call finds the stamp.
	if b, err := Ensure(modroot); err != nil || b.Dir != builds[0].Dir {
		t.Fatalf("Ensure again: %v, %v", b.Dir, err)
	}

	if testing.Short() {
		t.Skip("-short: the hooked build compiles 38 gVisor packages (about 10 s cold)")
	}
	b := builds[0]
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = modroot
		cmd.Env = append(os.Environ(), b.Env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	args := []string{"build", "-tags", b.Tags}
	for _, r := range Roots {
		args = append(args, Module+"/"+r)
	}
	run(append(args, Module+"/pkg/sockfuzzhook")...)
	// Two endpoints numbered, EndpointState's one atomic access seen by the hooks (edit A),
	// and one leaked packet buffer drained by refs.SockfuzzTakeLive, which finds none the
	// second time.
	if out, want := strings.TrimSpace(run("run", "-tags", b.Tags, "./smoke")), "ok 2 tcp.Endpoint.state 1 0"; out != want {
		t.Fatalf("smoke program printed %q, want %q", out, want)
	}
	// gVisor's go.sum as go.work.sum holds every sum the hooked build needs: the go command
	// added none (it would have asked the checksum database).
	mod, err := locate(modroot)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(mod.Dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(b.Dir, "go.work.sum")); err != nil || !bytes.Equal(got, want) {
		t.Errorf("go.work.sum changed by the build (%v)", err)
	}
}
