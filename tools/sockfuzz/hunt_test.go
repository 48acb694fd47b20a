package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHuntArgs(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-faults", "nosuch", "-results", "x"}, `unknown fault "nosuch"`},
		{[]string{"-strategies", "sockfuzz,guess"}, `unknown strategy "guess"`},
		{[]string{"-trials", "0"}, "-trials 0"},
		{[]string{"-trials-by", "stress"}, `-trials-by: "stress"`},
		{[]string{"-cap", "10ms"}, "-cap 10ms"},
		{[]string{"-jobs", "0"}, "-jobs 0"},
		{[]string{"-fuzz-target", "FuzzNothing"}, `-fuzz-target: unknown fuzz target "FuzzNothing"`},
		{[]string{"-target", "FuzzSockets"}, `-target: unknown target "FuzzSockets"`},
		{[]string{"-target", "other"}, `-target: no fuzz target runs on target other`},
		{[]string{"-faults", "nosuch"}, `-faults: unknown fault "nosuch" of target bsd`},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		if code := run(append([]string{"hunt"}, tc.args...), &out, &errb); code != 2 {
			t.Errorf("hunt %q = %d, want 2", tc.args, code)
		}
		if !strings.Contains(errb.String(), tc.wantErr) {
			t.Errorf("hunt %q stderr = %q, want %q", tc.args, errb.String(), tc.wantErr)
		}
	}
}

func TestHuntReportOnly(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "hunt.md")
	var out, errb bytes.Buffer
	code := run([]string{"hunt", "-report-only", "-results", "internal/hunt/testdata/results.jsonl", "-report", report}, &out, &errb)
	if code != 0 {
		t.Fatalf("hunt -report-only = %d: %s", code, errb.String())
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(md, []byte("| abort-twice | sockfuzz | 2/3 |")) {
		t.Errorf("report lacks the fixture's row:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join(dir, "hunt.svg")); err != nil {
		t.Errorf("no SVG beside the report: %v", err)
	}
}
