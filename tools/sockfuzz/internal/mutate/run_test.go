package mutate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	exit := &exec.ExitError{}
	tests := []struct {
		name     string
		out      string
		err      error
		timedOut bool
		want     string
		test     string
	}{
		{"pass", "ok  \tpkg\t1.2s\n", nil, false, Survived, ""},
		{"build", "# pkg\nx.go:3:1: undefined: y\nFAIL\tpkg [build failed]\n", exit, false, Stillborn, ""},
		{"setup", "FAIL\tpkg [setup failed]\n", exit, false, Stillborn, ""},
		{"test", "--- FAIL: TestSeeds (0.1s)\n--- FAIL: TestOther\nFAIL\n", exit, false, Killed, "TestSeeds"},
		{"timeout", "", errors.New("signal: killed"), true, Hung, ""},
		{"go test timeout", "panic: test timed out after 2m0s\n", exit, false, Hung, ""},
		{"no test named", "FAIL\tpkg\t0.1s\n", errors.New("exit status 1"), false, Killed, "(exit status 1)"},
	}
	for _, tt := range tests {
		got, test := classify([]byte(tt.out), tt.err, tt.timedOut)
		if got != tt.want || test != tt.test {
			t.Errorf("%s: %s %q, want %s %q", tt.name, got, test, tt.want, tt.test)
		}
	}
}

// TestRunResumes runs the sample's mutants through a fake suite (which kills a mutant that
// deletes the wakeup and passes the rest) and a fake fuzzer (which finds every survivor with
// a swapped lock), stops part way, and resumes: each stage runs once per mutant, the results
// file has each mutant's outcome, and the overlay puts the mutated file in place of the
// original.
func TestRunResumes(t *testing.T) {
	ms := sampleMutants(t, nil)
	dir := t.TempDir()
	results := filepath.Join(dir, "results.jsonl")
	suites, fuzzes := map[string]int{}, map[string]int{}
	cfg := Config{Mutants: ms, Results: results, WorkDir: dir, SuiteTimeout: time.Minute, Budget: time.Second}
	cfg.goTest = func(_ context.Context, overlay string) ([]byte, error) {
		data, err := os.ReadFile(overlay)
		if err != nil {
			return nil, err
		}
		var ov struct{ Replace map[string]string }
		if err := json.Unmarshal(data, &ov); err != nil || len(ov.Replace) != 1 {
			return nil, fmt.Errorf("overlay %s: %v", data, err)
		}
		var src []byte
		for orig, mutated := range ov.Replace {
			if filepath.Base(orig) != "sample.go" {
				return nil, fmt.Errorf("the overlay replaces %s", orig)
			}
			if src, err = os.ReadFile(mutated); err != nil {
				return nil, err
			}
		}
		for _, m := range ms {
			if bytes.Equal(m.Src, src) {
				suites[m.ID]++
				if m.Op == "wakeup" {
					return []byte("--- FAIL: TestWakeups (0.0s)\n"), errors.New("exit status 1")
				}
				return []byte("ok\n"), nil
			}
		}
		return nil, errors.New("the overlay's file is no mutant")
	}
	stop := 3
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Fuzz = func(_ context.Context, m Mutant, _ string, _ time.Duration) (bool, float64, string, error) {
		fuzzes[m.ID]++
		if len(fuzzes) == stop {
			cancel()
		}
		return m.Op == "swap", 0.5, "a title", nil
	}
	if err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v, want cancelled", err)
	}
	cfg.Fuzz = func(_ context.Context, m Mutant, _ string, _ time.Duration) (bool, float64, string, error) {
		fuzzes[m.ID]++
		return m.Op == "swap", 0.5, "a title", nil
	}
	if err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	got, order, err := ReadResults(results)
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != len(ms) {
		t.Fatalf("%d results for %d mutants", len(order), len(ms))
	}
	for _, m := range ms {
		r := got[m.ID]
		if suites[m.ID] != 1 {
			t.Errorf("%s: suite ran %d times", m.ID, suites[m.ID])
		}
		switch {
		case m.Op == "wakeup":
			if r.Suite != Killed || r.Test != "TestWakeups" || r.Fuzzed || fuzzes[m.ID] != 0 {
				t.Errorf("%s: %+v, fuzzed %d times", m.ID, r, fuzzes[m.ID])
			}
		default:
			if r.Suite != Survived || !r.Fuzzed || r.Found != (m.Op == "swap") || fuzzes[m.ID] != 1 {
				t.Errorf("%s: %+v, fuzzed %d times", m.ID, r, fuzzes[m.ID])
			}
		}
	}
	// A third run has nothing left to do.
	cfg.goTest = func(context.Context, string) ([]byte, error) { t.Fatal("suite ran again"); return nil, nil }
	cfg.Fuzz = func(context.Context, Mutant, string, time.Duration) (bool, float64, string, error) {
		t.Fatal("fuzzer ran again")
		return false, 0, "", nil
	}
	if err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
}

func TestReadResultsBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := os.WriteFile(path, []byte("{\"id\":\"a\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadResults(path); err == nil || !strings.Contains(err.Error(), "r.jsonl:2:") {
		t.Fatalf("bad line: %v", err)
	}
}

func TestReport(t *testing.T) {
	rs := map[string]Result{
		"a": {ID: "a", Op: "wakeup", Suite: Killed},
		"b": {ID: "b", Op: "wakeup", Suite: Survived, Fuzzed: true, Found: true, FuzzSeconds: 10},
		"c": {ID: "c", Op: "wakeup", Suite: Survived, Fuzzed: true, Found: true, FuzzSeconds: 30},
		"d": {ID: "d", Op: "bound", Suite: Survived, Fuzzed: true, File: "x.go", Line: 3, Desc: "< becomes <= in a|b"},
		"e": {ID: "e", Op: "bound", Suite: Stillborn},
		"f": {ID: "f", Op: "bound", Suite: Hung},
	}
	var b strings.Builder
	Report(&b, Header{Target: "bsd", Generated: 10, Command: "sockfuzz mutate -budget 5m"}, rs, []string{"a", "b", "c", "d", "e", "f"}, "5m")
	out := b.String()
	for _, want := range []string{
		"# The mutation benchmark: bsd",
		"6 mutants recorded of the 10 the operators make of the bsd target's sources today: the run is not over",
		"```sh\nsockfuzz mutate -budget 5m\n```",
		"| wakeup | 3 | 0 | 1 | 0 | 2 | 2 | 2 (100%) | 20.0 s |",
		"| bound | 3 | 1 | 0 | 1 | 1 | 1 | 0 (0%) | - |",
		"| **all** | 6 | 1 | 1 | 1 | 3 | 3 | 2 (67%) | 20.0 s |",
		"- `d` x.go:3: < becomes <= in a\\|b",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
