package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/repro"
)

// TestSearchCmd: the search finds a witness's bug from its default schedule and writes a
// crasher that replays it; with the fault off it finds nothing (exit 1); bad arguments and
// files exit 2 naming what was wrong.
func TestSearchCmd(t *testing.T) {
	dir := t.TempDir()
	on, off := witnessFiles(t, dir, "wakeup-before-append")
	c, err := corpus.Witness("wakeup-before-append")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.prog")
	if err := os.WriteFile(bad, []byte("proc p0\n  r0 = socket(sctp)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "found.prog")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout (code 0, 1) or stderr (code 2)
	}{
		{"found", []string{"-changes", "1", "-title", c.Title, "-o", out, on}, 0, "found: " + c.Title},
		{"faults off", []string{"-changes", "1", off}, 1, "nothing found"},
		{"bad changes", []string{"-changes", "3", on}, 2, "-changes 3"},
		{"bad budget", []string{"-budget", "0", on}, 2, "-budget 0"},
		{"no file", []string{}, 2, "want one program file"},
		{"bad file", []string{bad}, 2, "bad.prog:2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"search"}, tc.args...), &stdout, &stderr)
			got := stdout.String()
			if tc.code == 2 {
				got = stderr.String()
			}
			if code != tc.code || !strings.Contains(got, tc.want) {
				t.Fatalf("exit %d, %q; want %d and %q", code, got, tc.code, tc.want)
			}
		})
	}
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	found, err := repro.ParseCrasher(out, src)
	if err != nil {
		t.Fatal(err)
	}
	o, err := repro.Execute(found.Program, repro.Options{})
	if err != nil || !o.HasTitle(c.Title) || found.Program.Header.Sched.Kind != repro.SchedReplay {
		t.Fatalf("the crasher written replays %v, %q under %s; want %q under an explicit replay", err, o.Title(), found.Program.Header.Sched.Kind, c.Title)
	}
}

// witnessFiles writes a fault's witness program to dir with its schedule replaced by the
// default one, as on.prog (the fault on) and off.prog (faults off), and returns their paths.
func witnessFiles(t *testing.T, dir, fault string) (on, off string) {
	t.Helper()
	c, err := corpus.Witness(fault)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, p *repro.Program) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(p.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p := *c.Program
	p.Header.Sched = repro.Schedule{Kind: repro.SchedDefault}
	on = write("on.prog", &p)
	p.Header.Faults = nil
	return on, write("off.prog", &p)
}
