package repro

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
)

// TestWireVariantsText checks the text of unreach and stackclose: the fixture's operations
// parse to their kinds in order and print back as written; misspelt or with arguments, they
// are syntax errors at their file:line:col.
func TestWireVariantsText(t *testing.T) {
	const file = "testdata/roundtrip/wire-variants.prog"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []WireKind
	for _, op := range p.Wire {
		kinds = append(kinds, op.Kind)
	}
	want := []WireKind{WireDrop, WireUnreach, WireTick, WireUnreach, WireStackClose, WireReorder}
	if !slices.Equal(kinds, want) {
		t.Errorf("wire kinds %v, want %v", kinds, want)
	}
	if text := p.String(); !strings.Contains(text, "\n  unreach\n  tick 1\n  unreach\n  stackclose\n") {
		t.Errorf("printed wire section lost the operations:\n%s", text)
	}
	for _, tc := range []struct{ src, want string }{
		{"wire\n  unreach 1\n", `t:2:11: expected end of line, found "1"`},
		{"wire\n  stackclose now\n", `t:2:14: expected end of line, found "now"`},
		{"wire\n  unreachable\n", `t:2:3: expected wire operation (<, drop, dup, reorder, unreach, stackclose, tick), found "unreachable"`},
		{"wire\n  tick 1\n  stack close\n", `t:3:3: expected wire operation (<, drop, dup, reorder, unreach, stackclose, tick), found "stack"`},
	} {
		_, err := Parse("t", []byte(tc.src))
		var se *SyntaxError
		if !errors.As(err, &se) || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
	if err := Validate(&Program{Header: NewProgram().Header, Wire: []WireOp{{Kind: WireUnreach, Ms: 1}}}); err == nil ||
		!strings.Contains(err.Error(), "unreach with tick fields set") {
		t.Errorf("unreach with a tick length: %v", err)
	}
}

// TestValidateTargetWireVariants checks that a target which does not list a wire variant
// refuses a program using it, naming the operation, its place and the target: bsd refuses
// both; netstack, which lists them, and a target listing only one take what they list.
func TestValidateTargetWireVariants(t *testing.T) {
	prog := func(op string) *Program {
		p, err := Parse("t", []byte("proc p0\n  r0 = socket(tcp)\nwire\n  tick 1\n  "+op+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	bsd, netstack := stack.MustLookup("bsd"), stack.MustLookup("netstack")
	onlyUnreach := namedTarget{profileTarget{calls: []string{"socket", stack.CallWireUnreach}}, "profile-test-unreach"}
	for _, tc := range []struct {
		op   string
		tgt  stack.Target
		want string // the error; "" for none
	}{
		{"unreach", bsd, `validate: wire operation 1: unreach is not a wire operation of target bsd (it does not list "wire:unreach")`},
		{"stackclose", bsd, `validate: wire operation 1: stackclose is not a wire operation of target bsd (it does not list "wire:stackclose")`},
		{"drop", bsd, ""},
		{"unreach", netstack, ""},
		{"stackclose", netstack, ""},
		{"unreach", onlyUnreach, ""},
		{"stackclose", onlyUnreach, `validate: wire operation 1: stackclose is not a wire operation of target profile-test-unreach (it does not list "wire:stackclose")`},
	} {
		err := ValidateTarget(prog(tc.op), tc.tgt)
		if got := fmtErr(err); got != tc.want {
			t.Errorf("%s on %s: got %q, want %q", tc.op, tc.tgt.Name(), got, tc.want)
		}
	}
	// The executor refuses it too, before anything runs.
	p := prog("stackclose")
	if _, err := Execute(p, Options{}); err == nil || !strings.Contains(err.Error(), "stackclose is not a wire operation of target bsd") {
		t.Errorf("Execute on bsd: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
