package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/runner"
)

func TestMutateArgs(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-sample", "-1"}, "want a sample of 0 or more"},
		{[]string{"-suite-timeout", "0s"}, "a positive time limit"},
		{[]string{"-ops", "nope", "-list"}, `unknown operator "nope"`},
		{[]string{"-target", "vax"}, "vax"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-report-only"}, "-report-only needs -report"},
	} {
		var out, errb bytes.Buffer
		if code := run(append([]string{"mutate"}, tt.args...), &out, &errb); code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("mutate %v: exit %d, %q; want 2 and %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

// TestMutateList lists a sample of the bsd model's mutants: the same sample for the same seed,
// each line an ID and a description, the files relative to the module.
func TestMutateList(t *testing.T) {
	list := func(seed string) []string {
		var out, errb bytes.Buffer
		if code := run([]string{"mutate", "-list", "-sample", "4", "-seed", seed}, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 5 || !regexp.MustCompile(`^4 mutants of \d+ files in `).MatchString(lines[4]) {
			t.Fatalf("output:\n%s", out.String())
		}
		for _, l := range lines[:4] {
			if !regexp.MustCompile(`^(lock-pair|wakeup|atomic|swap|bound|refcount)/\w+\.go:\d+/[0-9a-f]{6} +\S`).MatchString(l) {
				t.Errorf("line %q", l)
			}
		}
		return lines[:4]
	}
	a, b, c := list("1"), list("1"), list("2")
	if !slices.Equal(a, b) {
		t.Errorf("seed 1 gave %q then %q", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 1 and 2 gave the same sample %q", a)
	}
}

func TestMutateReportOnly(t *testing.T) {
	dir := t.TempDir()
	results, report := filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "m.md")
	if err := os.WriteFile(results, []byte(`{"id":"wakeup/x.go:3/abcdef","op":"wakeup","suite":"survived","fuzzed":true,"found":true,"fuzz_s":12}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"mutate", "-report-only", "-results", results, "-report", report}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "| wakeup | 1 | 0 | 0 | 0 | 1 | 1 | 1 (100%) | 12.0 s |") {
		t.Errorf("report:\n%s", got)
	}
}

// TestFuzzUntilKill drives the fuzzing stage with a fake runner: the time to kill counts from
// the end of the build, the first crash input the unmutated source does not reproduce kills
// (and stops the run), a crasher it reproduces does not, and a run with neither is a survivor
// fuzzed for the whole budget.
func TestFuzzUntilKill(t *testing.T) {
	fake := func(lines ...string) func(context.Context, runner.Config) error {
		return func(ctx context.Context, rc runner.Config) error {
			for _, l := range lines {
				if l == "sleep" {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				fmt.Fprintln(rc.Out, l)
			}
			<-ctx.Done() // a kill cancels the run
			return ctx.Err()
		}
	}
	rc := runner.Config{Duration: time.Minute}
	killed, secs, title, err := fuzzUntilKill(context.Background(), rc, fake("building the fuzz test binary (x)", "sleep", "built in 2s",
		"FuzzSockets: new title \"netstack: refs leak\" from 1 (...); minimizing", "sleep",
		"FuzzSockets: crash-1 does not reproduce in a controlled replay (no report); kept in d"))
	if err != nil || !killed || !strings.Contains(title, "crash-1") || secs < 0.04 || secs > 5 {
		t.Errorf("kill: %v %v %q %v", killed, secs, title, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	survivor := func(ctx context.Context, rc runner.Config) error {
		fmt.Fprintln(rc.Out, "built in 1s")
		fmt.Fprintln(rc.Out, "FuzzSockets: new title \"x\" from 1; minimizing")
		return nil
	}
	killed, secs, _, err = fuzzUntilKill(ctx, rc, survivor)
	if err != nil || killed || secs != 60 {
		t.Errorf("survivor: %v %v %v", killed, secs, err)
	}
}
