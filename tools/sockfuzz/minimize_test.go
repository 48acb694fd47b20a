package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
)

// refusedJudge stands in for an oracle (none fires on the correct stack): a connect refused
// is reported as "test: connect refused".
func refusedJudge(p *repro.Program, opt repro.Options) (*repro.Outcome, error) {
	o, err := repro.Execute(p, opt)
	if err != nil {
		return nil, err
	}
	for _, c := range o.Calls {
		if c.Done && c.Err == stack.ECONNREFUSED && strings.HasPrefix(c.Call.String(), "connect(") {
			o.Reports = append(o.Reports, oracle.Report{Oracle: "test", Title: "test: connect refused"})
			break
		}
	}
	return o, nil
}

func TestMinimizeCmd(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.prog")
	store := filepath.Join(dir, "crashers")
	tests := []struct {
		name     string
		args     []string
		judge    bool // use refusedJudge
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"no file", nil, false, 2, nil, "want one program file, got 0"},
		{"bad flag", []string{"-seeds", "-1", "testdata/clean.prog"}, false, 2, nil, "-seeds -1: want 0 to 1000"},
		{"bad program", []string{"testdata/badport.prog"}, false, 2, nil, "testdata/badport.prog:3:"},
		{"clean", []string{"-seeds", "2", "-candidates", "5", "testdata/clean.prog"}, false, 1, nil, "does not reproduce"},
		{"minimize", []string{"-replays", "10", "-o", out, "-store", store, "testdata/refused.prog"}, true, 0,
			[]string{"title: test: connect refused [test]", "  removed process p0 (7 calls)", "  cpus 2 -> 1",
				"reliability 10/10 controlled replays", "wrote " + out, "(new title)"}, ""},
		// The written crasher minimizes again, keeping its title, and the store counts it.
		{"again", []string{"-replays", "10", "-store", store, out}, true, 0,
			[]string{"title: test: connect refused [test]", "(known title, seen 2 times)"}, ""},
		{"title not reproduced", []string{"-title", "other", "-seeds", "1", "-candidates", "1", out}, true, 1, nil, `gave "other"`},
	}
	for _, tc := range tests {
		minimizeJudge = repro.Execute
		if tc.judge {
			minimizeJudge = refusedJudge
		}
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"minimize"}, tc.args...), &stdout, &stderr)
		if code != tc.wantCode {
			t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.name, code, tc.wantCode, stdout.String(), stderr.String())
		}
		for _, w := range tc.wantOut {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("%s: stdout lacks %q:\n%s", tc.name, w, stdout.String())
			}
		}
		if !strings.Contains(stderr.String(), tc.wantErr) {
			t.Errorf("%s: stderr %q lacks %q", tc.name, stderr.String(), tc.wantErr)
		}
	}
	minimizeJudge = repro.Execute
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repro.ParseCrasher(out, src)
	if err != nil {
		t.Fatalf("the written crasher does not read: %v", err)
	}
	if c.Title != "test: connect refused" || c.FoundBy != "sockfuzz minimize testdata/refused.prog" || c.Reliability() != "10/10 controlled replays" {
		t.Errorf("written crasher: %+v", c)
	}
	s, err := repro.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Load()
	if err != nil || len(all) != 1 || all[0].Seen != 2 || all[0].FoundBy != c.FoundBy {
		t.Errorf("store: %v, %d crashers", err, len(all))
	}
}
