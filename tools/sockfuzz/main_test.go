package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{nil, 0, ""},
		{[]string{"help"}, 0, ""},
		{[]string{"fuzz", "-jobs", "0"}, 2, "-jobs 0"},
		{[]string{"fuzz", "-targets", "FuzzNope"}, 2, `unknown target "FuzzNope"`},
		{[]string{"fuzz", "-faults", "no-such-fault"}, 2, "no-such-fault"},
		{[]string{"fuzz", "extra"}, 2, "unexpected argument"},
		{[]string{"hunt"}, 2, "not built yet"},
		{[]string{"minimize", "x.txt"}, 2, "no such file"},
		{[]string{"replay"}, 2, "no program file given"},
		{[]string{"replay", "testdata/nosuch.prog"}, 2, "no such file"},
		{[]string{"replay", "testdata/badport.prog"}, 2, "testdata/badport.prog:3:"},
		{[]string{"replay", "-runs", "0", "testdata/clean.prog"}, 2, "-runs 0"},
		{[]string{"replay", "-mode", "sideways", "testdata/clean.prog"}, 2, "want controlled or free"},
		{[]string{"replay", "testdata/clean.prog"}, 0, ""},
		{[]string{"replay", "-mode", "free", "-runs", "20", "testdata/clean.prog"}, 0, ""},
		{[]string{"nosuch"}, 2, `unknown command "nosuch"`},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.wantCode {
			t.Errorf("run(%q) = %d, want %d", tc.args, code, tc.wantCode)
		}
		if !strings.Contains(errb.String(), tc.wantErr) {
			t.Errorf("run(%q) stderr = %q, want it to contain %q", tc.args, errb.String(), tc.wantErr)
		}
	}
}
