package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestKindsCmd: the table counts, per kind, the schedules that expose a witness's failure
// (listen-close-drain: some preempt2 seeds do; the fault off, none do), says when the default
// schedule exposes it already, and bad arguments exit 2 naming what was wrong.
func TestKindsCmd(t *testing.T) {
	dir := t.TempDir()
	on, off := witnessFiles(t, dir, "listen-close-drain")

	var stdout, stderr bytes.Buffer
	if code := run([]string{"kinds", "-runs", "100", "-kinds", "random,preempt2", on, off}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rows [][]string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if f := strings.Fields(l); len(f) == 6 {
			rows = append(rows, f)
		}
	}
	if len(rows) != 3 || rows[0][3] != "default" || rows[0][5] != "preempt2" {
		t.Fatalf("want a header and two rows of 6 columns:\n%s", stdout.String())
	}
	if rows[1][3] != "clean" || rows[1][5] == "0" {
		t.Errorf("witness: default %s, preempt2 %s hits: want clean and some\n%s", rows[1][3], rows[1][5], stdout.String())
	}
	if rows[2][4] != "0" || rows[2][5] != "0" {
		t.Errorf("fault off: %s and %s hits, want none\n%s", rows[2][4], rows[2][5], stdout.String())
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"kinds", "-kinds", "pct0", on}, `kind "pct0": pct depth 0 out of 1..16`},
		{[]string{"kinds", "-kinds", "lottery", on}, `want random, pctN, syncpctN, walkN or preemptN`},
		{[]string{"kinds", "-runs", "0", on}, "-runs 0: want 1 to 1000000"},
		{[]string{"kinds"}, "want one or more program files"},
		{[]string{"kinds", filepath.Join(dir, "missing.prog")}, "missing.prog"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
