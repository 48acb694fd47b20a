// Package mutate is `sockfuzz mutate`: mutants of a stack target's source, made
// automatically, to score the fuzzer on bugs nobody listed. An operator finds its sites in
// the source (a lock taken and released, a wakeup, an atomic update, a comparison, a
// reference taken or dropped, two adjacent statements that touch shared state) and a mutant
// is the source with one site changed, gofmt'd. Mutants that survive the regression suite
// are then fuzzed for a fixed budget each; the kill rate and the time to kill are the score
// (go-mutesting and gremlins score a test suite; this scores the fuzzer on what the suite
// misses).
package mutate

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Mutant is one changed copy of one file of the target's source.
type Mutant struct {
	// ID names the mutant across runs: the operator, the file's base name, the line and a
	// digest of the change, so that an edit elsewhere in the file does not rename it.
	ID string
	// Op is the operator's name.
	Op string
	// File is the file's path as given; Line and Col the site's position in it.
	File      string
	Line, Col int
	// Desc says what changed, in a line.
	Desc string
	// Src is the mutated file, gofmt'd.
	Src []byte
}

// edit replaces the bytes [start, end) of a file with text.
type edit struct {
	start, end int
	text       string
}

// site is one place an operator changes: the edits that make the mutant.
type site struct {
	op    string
	pos   token.Pos
	desc  string
	edits []edit
}

// Generate returns the mutants that ops make of the Go files given (paths), in file order and
// then by position; ops nil means every operator. A file that does not parse is an error; a
// mutant whose source does not format is left out (the change broke the syntax).
func Generate(files []string, ops []string) ([]Mutant, error) {
	use := map[string]bool{}
	for _, o := range ops {
		if _, ok := operatorByName(o); !ok {
			return nil, fmt.Errorf("mutate: unknown operator %q (known: %s)", o, strings.Join(OperatorNames(), ", "))
		}
		use[o] = true
	}
	var out []Mutant
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("mutate: %w", err)
		}
		ms, err := generateFile(file, src, func(o string) bool { return len(use) == 0 || use[o] })
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// generateFile returns the mutants of one file's source.
func generateFile(file string, src []byte, use func(string) bool) ([]Mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("mutate: %w", err)
	}
	if ast.IsGenerated(f) {
		return nil, nil // generated code (state tables, lock wrappers): not what a person wrote
	}
	var sites []site
	for _, op := range operators {
		if use(op.name) {
			sites = append(sites, op.find(fset, f, src)...)
		}
	}
	sort.SliceStable(sites, func(i, j int) bool { return sites[i].pos < sites[j].pos })
	guarded := faultGuarded(fset, f, src)
	var out []Mutant
	seen := map[string]bool{}
	for _, s := range sites {
		if ours(src, s) || inside(guarded, s.pos) {
			continue
		}
		mutated, err := apply(src, s.edits)
		if err != nil {
			return nil, fmt.Errorf("mutate: %s: %s at %v: %w", file, s.op, fset.Position(s.pos), err)
		}
		formatted, err := format.Source(mutated)
		if err != nil || bytes.Equal(formatted, src) {
			continue
		}
		pos := fset.Position(s.pos)
		sum := sha256.Sum256(formatted)
		id := fmt.Sprintf("%s/%s:%d/%s", s.op, filepath.Base(file), pos.Line, hex.EncodeToString(sum[:3]))
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, Mutant{ID: id, Op: s.op, File: file, Line: pos.Line, Col: pos.Column, Desc: s.desc, Src: formatted})
	}
	return out, nil
}

// faultGuard matches a condition that turns a fault of the catalog on: the model's
// st.faults.Has(...) and the hooked gVisor's sockfuzzhook.Fault(n).
var faultGuard = regexp.MustCompile(`\.faults\.Has\(|sockfuzzhook\.Fault\(`)

// faultGuarded returns the bodies of the if statements whose condition turns a fault on: code
// that runs only with that fault, so that with the faults off, as the fuzz stage runs, no
// mutant of it can be told apart (the suite's faults-on witnesses may still kill one, by
// accident). Their else branches stay: they run with the faults off.
func faultGuarded(fset *token.FileSet, f *ast.File, src []byte) []*ast.BlockStmt {
	var out []*ast.BlockStmt
	ast.Inspect(f, func(n ast.Node) bool {
		if is, ok := n.(*ast.IfStmt); ok && faultGuard.MatchString(text(fset, src, is.Cond)) {
			out = append(out, is.Body)
		}
		return true
	})
	return out
}

// inside reports whether pos falls in one of the blocks.
func inside(blocks []*ast.BlockStmt, pos token.Pos) bool {
	for _, b := range blocks {
		if b.Pos() <= pos && pos < b.End() {
			return true
		}
	}
	return false
}

// ownCode matches what sockfuzz adds to a hooked copy of gVisor (its hooks, its oracles'
// bookkeeping, its faults): no mutant of it says anything of gVisor.
var ownCode = regexp.MustCompile(`sockfuzzhook\.|\bsf[A-Z]\w*|\.sf[a-z]\w*`)

// ours reports whether a site changes code of sockfuzz's own.
func ours(src []byte, s site) bool {
	if ownCode.MatchString(s.desc) {
		return true
	}
	for _, e := range s.edits {
		if e.start < e.end && e.end <= len(src) && ownCode.Match(src[e.start:e.end]) {
			return true
		}
	}
	return false
}

// apply makes the edits, which must not overlap, to a copy of src.
func apply(src []byte, edits []edit) ([]byte, error) {
	es := slices.Clone(edits)
	slices.SortFunc(es, func(a, b edit) int { return cmp.Compare(a.start, b.start) })
	var b bytes.Buffer
	at := 0
	for _, e := range es {
		if e.start < at || e.end < e.start || e.end > len(src) {
			return nil, fmt.Errorf("edits overlap or leave the file ([%d, %d) after %d)", e.start, e.end, at)
		}
		b.Write(src[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.Write(src[at:])
	return b.Bytes(), nil
}

// text returns the source of node n.
func text(fset *token.FileSet, src []byte, n ast.Node) string {
	return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
}

// span is the edit that replaces node n with repl.
func span(fset *token.FileSet, n ast.Node, repl string) edit {
	return edit{start: fset.Position(n.Pos()).Offset, end: fset.Position(n.End()).Offset, text: repl}
}
