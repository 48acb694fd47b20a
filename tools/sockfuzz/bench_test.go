package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestBenchFlags checks that every bad argument of sockfuzz bench is refused with exit status
// 2 and a message naming it, before anything is built or measured.
func TestBenchFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-duration", "2s"}, "-duration 2s: want 5s to 1h0m0s"},
		{[]string{"-duration", "7500ms"}, "whole number of seconds"},
		{[]string{"-duration", "fast"}, "invalid value"},
		{[]string{"-rounds", "0"}, "-rounds 0"},
		{[]string{"-jobs", "0"}, "-jobs 0"},
		{[]string{"-jobs", "1000"}, "-jobs 1000"},
		{[]string{"-libfuzzer", "maybe"}, `-libfuzzer "maybe": want auto, on or off`},
		{[]string{"-only", "ceiling,nope"}, `-only: unknown section "nope"`},
		{[]string{"-ref", "no-such-revision-xyz"}, `-ref "no-such-revision-xyz": not a commit`},
		{[]string{"-workdir", "testdata/bench-work"}, "inside the tree and not ignored by git"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(append([]string{"bench"}, tc.args...), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("bench %q: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
