package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		line              string
		execs, rate, corp string
		ok                bool
	}{
		{"fuzz: elapsed: 3s, execs: 14473 (4819/sec), new interesting: 11 (total: 184)", "14473", "4819", "184", true},
		{"fuzz: elapsed: 1m3s, execs: 34578 (11524/sec)", "34578", "11524", "", true},
		{"fuzz: elapsed: 0s, gathering baseline coverage: 0/173 completed", "", "", "", false},
		{"--- FAIL: FuzzSockets (0.02s)", "", "", "", false},
	}
	for _, tc := range tests {
		m := progressRE.FindStringSubmatch(tc.line)
		if (m != nil) != tc.ok {
			t.Errorf("%q: matched %v, want %v", tc.line, m != nil, tc.ok)
			continue
		}
		if m != nil && (m[1] != tc.execs || m[2] != tc.rate || m[3] != tc.corp) {
			t.Errorf("%q: got execs %q rate %q corpus %q, want %q %q %q", tc.line, m[1], m[2], m[3], tc.execs, tc.rate, tc.corp)
		}
	}
}

// TestProcessIdempotent processes a crash input, then the same input again, as a runner
// killed between storing it and moving it out of pending/ would after its restart: the store
// keeps one crasher, seen once, and the second pass counts the title as known.
func TestProcessIdempotent(t *testing.T) {
	t.Setenv(fuzz.EnvFaults, "abort-lost-sofree")
	h := fuzz.NewHarness(fuzz.Sockets)
	var failing []byte
	for _, s := range h.Seeds() {
		if h.Run(s) != "" {
			failing = s
			break
		}
	}
	if failing == nil {
		t.Fatal("no seed of FuzzSockets fails with abort-lost-sofree")
	}
	tmp := t.TempDir()
	r, err := newRunner(Config{Targets: []string{"FuzzSockets"}, Faults: []string{"abort-lost-sofree"},
		WorkDir: filepath.Join(tmp, "work"), StoreDir: filepath.Join(tmp, "store")})
	if err != nil {
		t.Fatal(err)
	}
	file := corpusfile.MarshalGo(failing)
	name := corpusfile.GoName(file)
	pending := r.dir("crashers", "pending", "FuzzSockets")
	for pass := 1; pass <= 2; pass++ {
		if err := os.MkdirAll(pending, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := corpusfile.WriteFile(filepath.Join(pending, name), file, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := r.processPending("FuzzSockets"); err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
		if _, err := os.Stat(r.dir("crashers", "done", "FuzzSockets", name)); err != nil {
			t.Errorf("pass %d: the input is not in done/: %v", pass, err)
		}
	}
	st := r.stats["FuzzSockets"]
	if st.New != 1 || st.Known != 1 || st.Unreproduced != 0 {
		t.Errorf("stats: new %d known %d unreproduced %d, want 1 1 0", st.New, st.Known, st.Unreproduced)
	}
	all, err := r.store.Load()
	if err != nil || len(all) != 1 {
		t.Fatalf("store: %d crashers, %v; want 1", len(all), err)
	}
	c := all[0]
	if c.Seen != 1 || c.FoundBy != "sockfuzz fuzz FuzzSockets" || c.Reproduced != c.Replays || !strings.HasPrefix(c.Title, "socket leak") {
		t.Errorf("stored %q seen %d found-by %q reliability %s", c.Title, c.Seen, c.FoundBy, c.Reliability())
	}
	if n := len(c.Program.Procs); n == 0 {
		t.Errorf("stored program has no process")
	}
}

// TestImportLibFuzzer checks that a libFuzzer crash input is converted, processed into the
// store, and skipped by a second import.
func TestImportLibFuzzer(t *testing.T) {
	t.Setenv(fuzz.EnvFaults, "abort-lost-sofree")
	h := fuzz.NewHarness(fuzz.Sockets)
	var failing []byte
	for _, s := range h.Seeds() {
		if h.Run(s) != "" {
			failing = s
			break
		}
	}
	if failing == nil {
		t.Fatal("no seed of FuzzSockets fails with abort-lost-sofree")
	}
	tmp := t.TempDir()
	lf := filepath.Join(tmp, "libfuzzer")
	if err := os.MkdirAll(filepath.Join(lf, "FuzzSockets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lf, "FuzzSockets", "crash-0123"), corpusfile.MarshalLibFuzzer(failing), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := newRunner(Config{Targets: []string{"FuzzSockets"}, Faults: []string{"abort-lost-sofree"},
		WorkDir: filepath.Join(tmp, "work"), StoreDir: filepath.Join(tmp, "store"), LibFuzzer: lf})
	if err != nil {
		t.Fatal(err)
	}
	for pass := 1; pass <= 2; pass++ {
		if err := r.importLibFuzzer("FuzzSockets"); err != nil {
			t.Fatal(err)
		}
		if got, want := r.countPending("FuzzSockets"), 2-pass; got != want {
			t.Errorf("pass %d: %d pending after the import, want %d", pass, got, want)
		}
		if err := r.processPending("FuzzSockets"); err != nil {
			t.Fatal(err)
		}
	}
	if st := r.stats["FuzzSockets"]; st.New != 1 || st.Known != 0 {
		t.Errorf("stats: new %d known %d, want 1 0", st.New, st.Known)
	}
}

// TestSummaryInputsAndExecs checks that the summary tells inputs from executions: a byte
// target's executions are its inputs times its schedules per input, the text target has none.
func TestSummaryInputsAndExecs(t *testing.T) {
	res := &Result{Stats: []*Stats{
		{Target: "FuzzSockets", Inputs: 1000, Execs: 6000, Schedules: 6},
		{Target: TextTarget, Inputs: 70},
	}}
	var b strings.Builder
	res.Summary(&b)
	rows := map[string][]string{}
	for _, l := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(l); len(f) > 4 {
			rows[f[0]] = f
		}
	}
	tests := []struct {
		target        string
		inputs, execs string
	}{
		{"target", "inputs", "execs"},
		{"FuzzSockets", "1000", "<=6000"},
		{TextTarget, "70", "-"},
	}
	for _, tc := range tests {
		f := rows[tc.target]
		if len(f) < 5 || f[3] != tc.inputs || f[4] != tc.execs {
			t.Errorf("%s row %q: want inputs %s, execs %s\n%s", tc.target, f, tc.inputs, tc.execs, b.String())
		}
	}
	if got := execRate(250, 6); got != "<=1500" {
		t.Errorf("execRate(250, 6) = %q", got)
	}
	if got := execRate(250, 0); got != "-" {
		t.Errorf("execRate(250, 0) = %q", got)
	}
}
