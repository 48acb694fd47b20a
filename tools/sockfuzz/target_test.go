package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// otherTarget is a second registered target, so that the commands' -target can disagree with a
// program's own target line: it supports bsd's calls and has no fault; it runs nothing.
type otherTarget struct{ bsd stack.Target }

func (otherTarget) Name() string           { return "other" }
func (o otherTarget) Calls() []string      { return o.bsd.Calls() }
func (otherTarget) Faults() []stack.Fault  { return nil }
func (otherTarget) Role(string) stack.Role { return stack.RoleOther }
func (otherTarget) New(*sched.Exec, stack.Config) (stack.Instance, error) {
	return nil, errors.New("target other runs nothing")
}

func init() {
	bsd, err := stack.Lookup(stack.DefaultTarget)
	if err != nil {
		panic(err)
	}
	stack.Register(otherTarget{bsd})
}

// TestProgramTarget checks -target on the commands that read programs: a program's own target
// line wins, the flag is the target of a program naming none, and a disagreement is an error
// naming the file.
func TestProgramTarget(t *testing.T) {
	const named, unnamed = "testdata/target-bsd.prog", "testdata/clean.prog"
	mismatch := named + ": the program's target line names bsd, -target other"
	html := filepath.Join(t.TempDir(), "t.html")
	tests := []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"replay", "-trace", "0", named}, 0, named + ": clean", ""},
		{[]string{"replay", "-trace", "0", "-target", "bsd", named}, 0, named + ": clean", ""},
		{[]string{"replay", "-trace", "0", "-target", "bsd", unnamed}, 0, unnamed + ": clean", ""},
		{[]string{"replay", "-target", "other", named}, 2, "", mismatch},
		{[]string{"replay", "-target", "other", unnamed}, 2, "", "target other runs nothing"},
		{[]string{"replay", "-target", "nope", unnamed}, 2, "", `-target: unknown target "nope"`},
		{[]string{"minimize", "-target", "other", named}, 2, "", mismatch},
		{[]string{"trace", "-target", "other", "-html", html, named}, 2, "", mismatch},
		{[]string{"trace", "-target", "other", "-html", html, unnamed}, 2, "", "target other runs nothing"},
		{[]string{"convert", "-to", "text", "-target", "other", named}, 2, "", mismatch},
		{[]string{"convert", "-to", "text", "-target", "other", unnamed}, 0, "\ntarget  other\n", ""},
		{[]string{"convert", "-to", "text", named}, 0, "\ntarget  bsd\n", ""},
		{[]string{"convert", "-to", "gofuzz", "-target", "other", unnamed}, 0, "go test fuzz v1",
			"the byte form holds no target: run it with SOCKFUZZ_TARGET=other"},
		{[]string{"convert", "-to", "text", "-target", "other", "-faults", "abort-twice", unnamed}, 2, "",
			`unknown fault "abort-twice" of target other`},
		{[]string{"fuzz", "-target", "other"}, 2, "", "-target: no fuzz target runs on target other"},
		{[]string{"fuzz", "-target", "nope"}, 2, "", `-target: unknown target "nope"`},
	}
	for _, tc := range tests {
		var out, errb strings.Builder
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.errs) {
			t.Errorf("sockfuzz %q: exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout with %q, stderr with %q",
				tc.args, code, out.String(), errb.String(), tc.code, tc.out, tc.errs)
		}
	}
}
