package gvpatch

import (
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// synth is a small file shaped like the gVisor code the kinds edit.
const synth = `package p

import "runtime"

type T struct {
	a int
}

func (t *T) Lock() {
	t.a++
	marker()
}

func (t *T) start(n int, s ...string) {}

func spawn(t *T, xs []string) {
	go t.start(t.a, xs...)
	go func() {
		marker()
	}()
	go func(n int) {}(t.a)
	marker()
}

func procs() int {
	return runtime.GOMAXPROCS(0)
}

func wait(ch chan struct{}, m map[int]string) {
	for k, v := range m {
		_, _ = k, v
	}
	<-ch
	marker()
}

func twice(t *T) {
	t.a++
	t.a++
}

func repeated(t *T) {
	if t.a == 1 {
		marker()
	}
	if t.a == 1 {
		t.a++
	}
	marker()
}

func inline(t *T) { t.a-- }

func marker() {}
`

func TestEditKinds(t *testing.T) {
	tests := []struct {
		name string
		rows []Edit
		want []string // substrings of the output
	}{
		{"prologue", []Edit{{ID: "X1", Func: "T.Lock", Kind: Prologue, Imports: hookImports,
			Code: "if h := sockfuzzhook.Get(); h != nil {\nh.Lock(unsafe.Pointer(t))\nreturn\n}"}},
			[]string{"func (t *T) Lock() {\n\tif h := sockfuzzhook.Get(); h != nil {\n\t\th.Lock(unsafe.Pointer(t))\n\t\treturn\n\t}\n", `"unsafe"`, `"` + HookImport + `"`}},
		{"guard", []Edit{{ID: "X2", Func: "wait", Kind: Guard, Match: "<-ch", Code: "h.ChanWait(nil, nil)\n<-ch"}},
			[]string{"if h := sockfuzzhook.Get(); h != nil {\n\t\th.ChanWait(nil, nil)\n\t\t<-ch\n\t} else {\n\t\t<-ch\n\t}"}},
		{"after", []Edit{{ID: "X3", Func: "T.Lock", Kind: After, Match: "t.a++", Code: "sockfuzzhook.Point(\"x\")"}},
			[]string{"t.a++\n\tsockfuzzhook.Point(\"x\")\n"}},
		{"wrap", []Edit{{ID: "X4", Func: "procs", Kind: Wrap, Match: "runtime.GOMAXPROCS( 0 )", Code: "sockfuzzhook.Processors($0)"}},
			[]string{"return sockfuzzhook.Processors(runtime.GOMAXPROCS(0))"}},
		{"replace", []Edit{{ID: "X5", Func: "procs", Kind: Replace, Match: "return runtime.GOMAXPROCS(0)", Code: "n := 1\n$0"}},
			[]string{"n := 1\n\treturn runtime.GOMAXPROCS(0)"}},
		{"sorted range", []Edit{{ID: "X6", Func: "wait", Kind: SortedRange, Match: "m", Code: "cmp.Compare"}},
			[]string{"for k, v := range sockfuzzhook.Sorted(m, cmp.Compare) {"}},
		{"field", []Edit{{ID: "X7", Func: "T", Kind: Field, Code: "sfID uint64"}},
			[]string{"a    int\n\tsfID uint64\n}"}},
		{"prefix matcher", []Edit{{ID: "X8", Func: "wait", Kind: After, Match: "for k, v := range m {...", Code: "sockfuzzhook.Point(\"y\")"}},
			[]string{"\t}\n\tsockfuzzhook.Point(\"y\")\n//line :33:1\n\t<-ch"}},
		{"before", []Edit{
			{ID: "X9", Func: "repeated", Kind: Before, Count: 2, Match: "if t.a == 1 {...", Code: "sockfuzzhook.Point(\"r\")"},
			{ID: "X9", Func: "repeated", Kind: Before, Count: 2, Match: "marker()", Code: "sockfuzzhook.Atomic(\"t.a\", unsafe.Pointer(&t.a), false)"}},
			[]string{
				// Each statement keeps its line: the directive follows the inserted code.
				"\tsockfuzzhook.Point(\"r\")\n//line :43:1\n\tif t.a == 1 {\n\t\tsockfuzzhook.Atomic(\"t.a\", unsafe.Pointer(&t.a), false)\n//line :44:1\n\t\tmarker()",
				"\tsockfuzzhook.Point(\"r\")\n//line :46:1\n\tif t.a == 1 {\n\t\tt.a++",
				"\tsockfuzzhook.Atomic(\"t.a\", unsafe.Pointer(&t.a), false)\n//line :49:1\n\tmarker()\n}",
			}},
		{"go statements", nil, []string{
			// The function value (a method value) and the arguments are bound at the
			// statement, as go evaluates them; the spread argument stays spread.
			"sfGo0, sfGo1, sfGo2 := t.start, t.a, xs\n\t\tsockfuzzhook.Go(\"p.spawn\", func() { sfGo0(sfGo1, sfGo2...) })",
			// A literal without arguments needs no binding.
			"sockfuzzhook.Go(\"p.spawn\", func() {\n\t\tmarker()\n\t})",
			"sfGo0, sfGo1 := func(n int) {}, t.a\n\t\tsockfuzzhook.Go(\"p.spawn\", func() { sfGo0(sfGo1) })",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.rows {
				tt.rows[i].File = "p.go"
			}
			out, ids, err := EditFile("p.go", []byte(synth), tt.rows, MapFields{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if len(ids) == 0 {
				t.Errorf("no edit recorded")
			}
			if f, err := format.Source(out); err != nil || string(f) != string(out) {
				t.Errorf("output is not gofmt'd (%v)", err)
			}
			checkLines(t, out)
		})
	}
}

// checkLines asserts that, with the //line directives honoured, every call of marker in the
// edited source sits on its original line.
func checkLines(t *testing.T, out []byte) {
	t.Helper()
	lines := func(src []byte) []int {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "p.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		var ls []int
		ast.Inspect(f, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "marker" {
					ls = append(ls, fset.Position(c.Pos()).Line)
				}
			}
			return true
		})
		return ls
	}
	want, got := lines([]byte(synth)), lines(out)
	if len(want) != len(got) {
		t.Fatalf("marker calls: got %d, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("marker call %d on line %d, want %d:\n%s", i, got[i], want[i], out)
		}
	}
}

func TestEditMatchesExactlyOnce(t *testing.T) {
	tests := []struct {
		name string
		row  Edit
		want string
	}{
		{"no match", Edit{ID: "Z0", File: "p.go", Func: "T.Lock", Kind: Guard, Match: "t.b++"}, `edit Z0 (p.go T.Lock): matcher "t.b++" matched 0 times`},
		{"two matches", Edit{ID: "Z2", File: "p.go", Func: "twice", Kind: Guard, Match: "t.a++"}, `edit Z2 (p.go twice): matcher "t.a++" matched 2 times`},
		{"no function", Edit{ID: "Z3", File: "p.go", Func: "T.Unlock", Kind: Prologue}, `edit Z3 (p.go T.Unlock): function not found`},
		{"no struct", Edit{ID: "Z4", File: "p.go", Func: "U", Kind: Field}, `edit Z4 (p.go U): struct type matched 0 times`},
		{"count", Edit{ID: "Z5", File: "p.go", Func: "twice", Kind: Before, Count: 3, Match: "t.a++"}, `edit Z5 (p.go twice): matcher "t.a++" matched 2 times, want exactly 3`},
		{"before mid-line", Edit{ID: "Z6", File: "p.go", Func: "inline", Kind: Before, Match: "t.a--"}, `edit Z6 (p.go inline): the statement at line 52 does not begin its line`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := EditFile("p.go", []byte(synth), []Edit{tt.row}, MapFields{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
