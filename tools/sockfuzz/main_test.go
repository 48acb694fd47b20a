package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
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
		{[]string{"hunt", "-jobs", "0"}, 2, "-jobs 0"},
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

// TestFaultsCmd checks that sockfuzz faults lists every fault of the catalog with its oracle,
// and that -names prints exactly the names.
func TestFaultsCmd(t *testing.T) {
	var out, errb strings.Builder
	if code := run([]string{"faults"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, fi := range bsdTarget(t).Faults() {
		if !strings.Contains(out.String(), fi.Name+"\n  re-creates: "+fi.Recreates+"\n  caught by:  "+fi.Oracle+"\n") {
			t.Errorf("fault %s not listed with its oracle", fi.Name)
		}
	}
	out.Reset()
	if code := run([]string{"faults", "-names"}, &out, &errb); code != 0 || out.String() != strings.Join(stack.FaultNames(bsdTarget(t)), "\n")+"\n" {
		t.Errorf("-names: exit %d, %q", code, out.String())
	}
	if code := run([]string{"faults", "extra"}, &out, &errb); code != 2 {
		t.Errorf("extra argument: exit %d, want 2", code)
	}
}

// bsdTarget is the default target.
func bsdTarget(t *testing.T) stack.Target {
	t.Helper()
	tgt, err := stack.Lookup(stack.DefaultTarget)
	if err != nil {
		t.Fatal(err)
	}
	return tgt
}

// TestReplayModeOverride checks that -mode controlled runs a program written for free mode
// under the scheduler (it ran free, printing 0 steps, when only the header was read).
func TestReplayModeOverride(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"replay", "-mode", "controlled", "-trace", "0", "testdata/free.prog"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !regexp.MustCompile(`clean, [1-9][0-9]* steps`).MatchString(out.String()) {
		t.Fatalf("output %q: want a controlled run's steps", out.String())
	}
}
