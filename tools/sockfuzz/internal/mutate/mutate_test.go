package mutate

import (
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

// sampleMutants generates the mutants of testdata/sample.go.txt (a Go file with one site or
// more of every operator).
func sampleMutants(t *testing.T, ops []string) []Mutant {
	t.Helper()
	src, err := os.ReadFile("testdata/sample.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := dir + "/sample.go"
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := Generate([]string{file}, ops)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestOperators checks each operator's mutants of the sample: which sites it finds (none in a
// clamp or in code only a fault runs), and that each mutant is a valid Go file with the change
// made and the rest as it was.
func TestOperators(t *testing.T) {
	tests := []struct {
		op    string
		descs []string
		// has and lacks are texts the mutated file must and must not contain.
		has, lacks []string
	}{
		{"lock-pair", []string{"delete s.qlock.Lock (line 34) and s.qlock.Unlock (line 36)"}, nil, []string{"s.qlock.Lock(t)", "s.qlock.Unlock(t)"}},
		{"wakeup", []string{"delete s.q.WakeAll(t)"}, []string{"s.q.waitNotify(t)"}, []string{"s.q.WakeAll(t)"}},
		{"atomic", []string{"s.state.AtomicOr becomes Or", "atomicbitops.OrUint32(&s.dir, ...) becomes a load then a store"}, nil, nil},
		{"refcount", []string{"delete s.soreference(t)"}, nil, []string{"s.soreference(t)"}},
		{"bound", []string{"< becomes <= in n < 3"}, []string{"n <= 3"}, nil},
	}
	for _, tt := range tests {
		ms := sampleMutants(t, []string{tt.op})
		var descs []string
		for _, m := range ms {
			descs = append(descs, m.Desc)
			if m.Op != tt.op || !strings.HasPrefix(m.ID, tt.op+"/sample.go:") {
				t.Errorf("%s: mutant %s has operator %s", tt.op, m.ID, m.Op)
			}
			if _, err := parser.ParseFile(token.NewFileSet(), "m.go", m.Src, 0); err != nil {
				t.Errorf("%s: mutant %s does not parse: %v", tt.op, m.ID, err)
			}
			if !strings.Contains(string(m.Src), "func (s *sock) close(t string, n int) {") {
				t.Errorf("%s: mutant %s lost the rest of the file", tt.op, m.ID)
			}
		}
		if !slices.Equal(descs, tt.descs) {
			t.Errorf("%s: mutants %q, want %q", tt.op, descs, tt.descs)
			continue
		}
		for _, s := range tt.has {
			if !strings.Contains(string(ms[0].Src), s) {
				t.Errorf("%s: mutant lacks %q", tt.op, s)
			}
		}
		for _, s := range tt.lacks {
			if strings.Contains(string(ms[0].Src), s) {
				t.Errorf("%s: mutant still has %q", tt.op, s)
			}
		}
	}
	split := sampleMutants(t, []string{"atomic"})[1]
	if !strings.Contains(string(split.Src), "s.dir.Store(s.dir.Load() | 2)") {
		t.Errorf("atomicbitops.OrUint32 split into:\n%s", split.Src)
	}
}

// TestSwap checks that swap exchanges two adjacent method calls and leaves declarations alone.
func TestSwap(t *testing.T) {
	ms := sampleMutants(t, []string{"swap"})
	if len(ms) == 0 {
		t.Fatal("no swap in the sample")
	}
	m := ms[0]
	if m.Desc != `swap s.qlock.Lock(t) (line 34) and s.state.AtomicOr(t, "close", 1)` {
		t.Errorf("first swap: %q", m.Desc)
	}
	lock := strings.Index(string(m.Src), "s.qlock.Lock(t)")
	or := strings.Index(string(m.Src), `s.state.AtomicOr(t, "close", 1)`)
	if lock < 0 || or < 0 || or > lock {
		t.Errorf("the swap did not exchange the statements:\n%s", m.Src)
	}
}

// TestGenerateStable checks that the same source gives the same mutants with the same IDs, and
// that an unknown operator is an error naming the known ones.
func TestGenerateStable(t *testing.T) {
	a, b := sampleMutants(t, nil), sampleMutants(t, nil)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d mutants", len(a), len(b))
	}
	ids := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID || string(a[i].Src) != string(b[i].Src) {
			t.Fatalf("mutant %d: %s then %s", i, a[i].ID, b[i].ID)
		}
		if ids[a[i].ID] {
			t.Fatalf("two mutants named %s", a[i].ID)
		}
		ids[a[i].ID] = true
	}
	if _, err := Generate(nil, []string{"no-such-op"}); err == nil || !strings.Contains(err.Error(), "lock-pair") {
		t.Errorf("unknown operator: %v", err)
	}
}

// TestSkipsOwnCode checks that no mutant changes what sockfuzz adds to a hooked copy of
// gVisor (hooks, oracle bookkeeping), while gVisor's own code around it is mutated.
func TestSkipsOwnCode(t *testing.T) {
	src, err := os.ReadFile("testdata/hooked.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/hooked.go"
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := Generate([]string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var descs []string
	for _, m := range ms {
		descs = append(descs, m.Desc)
	}
	want := []string{"delete e.mu.Lock (line 25) and e.mu.Unlock (line 28)", "swap e.mu.Unlock() (line 28) and e.q.Notify(1)",
		"delete e.q.Notify(1)", "delete e.q.Notify(2)"}
	if !slices.Equal(descs, want) {
		t.Errorf("mutants %q, want %q", descs, want)
	}
}
