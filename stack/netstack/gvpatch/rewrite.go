package gvpatch

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// HookImport is the import path of the hook package inside the generated gVisor tree.
const HookImport = "gvisor.dev/gvisor/pkg/sockfuzzhook"

// splice replaces the source bytes [start, end) with text.
type splice struct {
	start, end int
	text       string
	// lined tells that text ends with a //line directive of its own, restoring the numbering
	// of the source after it.
	lined bool
}

// fileEditor applies edits to one parsed file by splicing text at AST positions: the pristine
// text outside the edits is kept byte for byte (comments included), and go/format tidies the
// inserted code afterwards.
type fileEditor struct {
	name    string // path inside the module, for errors
	pkg     string // package name, for go statement names
	src     []byte
	fset    *token.FileSet
	file    *ast.File
	splices []splice
	imports map[string]bool
	applied []string // the IDs of the rows applied, in order
}

func newFileEditor(name string, src []byte) (*fileEditor, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("gvpatch: parse %s: %w", name, err)
	}
	return &fileEditor{name: name, pkg: f.Name.Name, src: src, fset: fset, file: f, imports: map[string]bool{}}, nil
}

func (fe *fileEditor) off(p token.Pos) int  { return fe.fset.Position(p).Offset }
func (fe *fileEditor) line(p token.Pos) int { return fe.fset.Position(p).Line }
func (fe *fileEditor) text(n ast.Node) string {
	return string(fe.src[fe.off(n.Pos()):fe.off(n.End())])
}

// add records a splice of the source bytes [start, end).
func (fe *fileEditor) add(start, end int, text string) {
	fe.splices = append(fe.splices, splice{start: start, end: end, text: text})
}

// findFunc returns the declaration of "Recv.Name" or "Name" in the file.
func (fe *fileEditor) findFunc(name string) *ast.FuncDecl {
	for _, d := range fe.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && funcName(fd) == name {
			return fd
		}
	}
	return nil
}

// funcName is "Recv.Name" for a method (the receiver's base type name) and "Name" otherwise.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.ParenExpr:
			t = x.X
			continue
		}
		break
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// normalize prints a node and collapses white space, the form matchers are compared in.
func normalize(fset *token.FileSet, n ast.Node) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, n); err != nil {
		return ""
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// normalizeSource parses a matcher (a statement list or an expression) and prints it in
// normalized form, so that a matcher's spacing does not matter.
func normalizeSource(src string) (string, error) {
	prefix := strings.HasSuffix(src, "...")
	src = strings.TrimSuffix(src, "...")
	if prefix {
		// A prefix matcher is compared as text: it need not parse.
		return strings.Join(strings.Fields(src), " ") + "...", nil
	}
	fset := token.NewFileSet()
	if e, err := parser.ParseExprFrom(fset, "matcher", src, 0); err == nil {
		return normalize(fset, e), nil
	}
	f, err := parser.ParseFile(fset, "matcher", "package p\nfunc _() {\n"+src+"\n}", 0)
	if err != nil {
		return "", fmt.Errorf("matcher %q parses neither as an expression nor as a statement: %w", src, err)
	}
	body := f.Decls[0].(*ast.FuncDecl).Body.List
	if len(body) != 1 {
		return "", fmt.Errorf("matcher %q is %d statements, want 1", src, len(body))
	}
	return normalize(fset, body[0]), nil
}

func matches(norm, want string) bool {
	if p, ok := strings.CutSuffix(want, "..."); ok {
		return strings.HasPrefix(norm, p)
	}
	return norm == want
}

// apply applies one edit row to the file.
func (fe *fileEditor) apply(e Edit) error {
	rowErr := func(format string, args ...any) error {
		return fmt.Errorf("gvpatch: edit %s (%s %s): %s", e.ID, e.File, e.Func, fmt.Sprintf(format, args...))
	}
	for _, imp := range e.Imports {
		fe.imports[imp] = true
	}
	if e.Kind == Field {
		return fe.applyField(e, rowErr)
	}
	fd := fe.findFunc(e.Func)
	if fd == nil || fd.Body == nil {
		return rowErr("function not found")
	}
	if e.Kind == Prologue {
		at := fe.off(fd.Body.Lbrace) + 1
		fe.add(at, at, "\n"+e.Code)
		fe.applied = append(fe.applied, e.ID)
		return nil
	}
	want, err := normalizeSource(e.Match)
	if err != nil {
		return rowErr("%v", err)
	}
	var found []ast.Node
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch e.Kind {
		case Guard, After, Replace, Before:
			if s, ok := n.(ast.Stmt); ok && !isBlock(s) && matches(normalize(fe.fset, s), want) {
				found = append(found, s)
			}
		case Wrap:
			if x, ok := n.(ast.Expr); ok && matches(normalize(fe.fset, x), want) {
				found = append(found, x)
			}
		case SortedRange:
			if r, ok := n.(*ast.RangeStmt); ok && matches(normalize(fe.fset, r.X), want) {
				found = append(found, r.X)
			}
		}
		return true
	})
	if want := max(e.Count, 1); len(found) != want {
		return rowErr("matcher %q matched %d times, want exactly %d", e.Match, len(found), want)
	}
	for _, n := range found {
		start, end := fe.off(n.Pos()), fe.off(n.End())
		orig := fe.text(n)
		switch e.Kind {
		case Guard:
			fe.add(start, end, "if h := sockfuzzhook.Get(); h != nil {\n"+e.Code+"\n} else {\n"+orig+"\n}")
		case After:
			fe.add(end, end, "\n"+e.Code)
		case Replace, Wrap:
			fe.add(start, end, strings.ReplaceAll(e.Code, "$0", orig))
		case SortedRange:
			fe.add(start, end, "sockfuzzhook.Sorted("+orig+", "+e.Code+")")
		case Before:
			// At the start of the statement's line, so that the directive after the code
			// gives the statement its own line number back.
			ls := bytes.LastIndexByte(fe.src[:start], '\n') + 1
			if strings.TrimSpace(string(fe.src[ls:start])) != "" {
				return rowErr("the statement at line %d does not begin its line", fe.line(n.Pos()))
			}
			fe.splices = append(fe.splices, splice{start: ls, end: ls,
				text: e.Code + fmt.Sprintf("\n//line :%d:1\n", fe.line(n.Pos())), lined: true})
		default:
			return rowErr("unknown kind %d", e.Kind)
		}
	}
	fe.applied = append(fe.applied, e.ID)
	return nil
}

func isBlock(s ast.Stmt) bool { _, ok := s.(*ast.BlockStmt); return ok }

// applyField adds e.Code as the last field of the struct type e.Func.
func (fe *fileEditor) applyField(e Edit, rowErr func(string, ...any) error) error {
	var st []*ast.StructType
	for _, d := range fe.file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			if t, ok := ts.Type.(*ast.StructType); ok && ts.Name.Name == e.Func {
				st = append(st, t)
			}
		}
	}
	if len(st) != 1 {
		return rowErr("struct type matched %d times, want exactly 1", len(st))
	}
	at := fe.off(st[0].Fields.Closing)
	fe.add(at, at, e.Code+"\n")
	fe.applied = append(fe.applied, e.ID)
	return nil
}

// rewriteGo rewrites every go statement of the file into a sockfuzzhook.Go call that starts
// the same call, with the function value and the arguments evaluated at the statement, as go
// evaluates them. It returns the number of statements rewritten.
func (fe *fileEditor) rewriteGo() (int, error) {
	n := 0
	var err error
	for _, d := range fe.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		name := fe.pkg + "." + funcName(fd)
		ast.Inspect(fd.Body, func(node ast.Node) bool {
			g, ok := node.(*ast.GoStmt)
			if !ok || err != nil {
				return err == nil
			}
			var text string
			if text, err = fe.goText(name, g.Call); err != nil {
				err = fmt.Errorf("gvpatch: %s:%d: go statement in %s: %w", fe.name, fe.line(g.Pos()), name, err)
				return false
			}
			fe.add(fe.off(g.Pos()), fe.off(g.End()), text)
			fe.imports[HookImport] = true
			n++
			return true
		})
	}
	return n, err
}

// goText is the replacement of `go call`: a block binding the function value and arguments
// to temporaries, then the hook call.
func (fe *fileEditor) goText(name string, call *ast.CallExpr) (string, error) {
	var binds, vals []string
	bind := func(x ast.Expr) string {
		if lit, ok := x.(*ast.BasicLit); ok {
			// A literal's value cannot change and an untyped constant must keep its
			// conversion to the parameter's type, so it stays in the call.
			return lit.Value
		}
		v := "sfGo" + strconv.Itoa(len(binds))
		binds = append(binds, v)
		vals = append(vals, fe.text(x))
		return v
	}
	fun := call.Fun
	if p, ok := fun.(*ast.ParenExpr); ok {
		fun = p.X
	}
	var fn string
	switch f := fun.(type) {
	case *ast.FuncLit:
		if len(call.Args) == 0 {
			// Evaluating a function literal creates the closure and nothing else.
			return "sockfuzzhook.Go(" + strconv.Quote(name) + ", " + fe.text(f) + ")", nil
		}
		fn = bind(f)
	case *ast.Ident:
		if slices.Contains([]string{"append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max", "min", "new", "panic", "print", "println", "real", "recover"}, f.Name) {
			return "", fmt.Errorf("go of builtin %s is not supported", f.Name)
		}
		fn = bind(f)
	default:
		fn = bind(f)
	}
	var args []string
	for _, a := range call.Args {
		args = append(args, bind(a))
	}
	ell := ""
	if call.Ellipsis.IsValid() {
		ell = "..."
	}
	return fmt.Sprintf("{\n%s := %s\nsockfuzzhook.Go(%q, func() { %s(%s%s) })\n}",
		strings.Join(binds, ", "), strings.Join(vals, ", "), name, fn, strings.Join(args, ", "), ell), nil
}

// addImports adds the imports the edits need that the file lacks, as one more import
// declaration after the last one.
func (fe *fileEditor) addImports() {
	have := map[string]bool{}
	var last ast.Node = fe.file.Name
	for _, im := range fe.file.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		have[p] = true
	}
	for _, d := range fe.file.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			last = gd
		}
	}
	var need []string
	for p := range fe.imports {
		if !have[p] {
			need = append(need, strconv.Quote(p))
		}
	}
	if len(need) == 0 {
		return
	}
	sort.Strings(need)
	at := fe.off(last.End())
	fe.add(at, at, "\n\nimport (\n"+strings.Join(need, "\n")+"\n)")
}

// result splices the edits into the source, adds the //line directives and formats it.
func (fe *fileEditor) result() ([]byte, error) {
	fe.addImports()
	ss := slices.Clone(fe.splices)
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].start < ss[j].start })
	for i := 1; i < len(ss); i++ {
		if ss[i].start < ss[i-1].end {
			return nil, fmt.Errorf("gvpatch: %s: two edits overlap at offset %d", fe.name, ss[i].start)
		}
	}
	tf := fe.fset.File(fe.file.Pos())
	var b bytes.Buffer
	prev, delta := 0, 0
	for i, s := range ss {
		b.Write(fe.src[prev:s.start])
		b.WriteString(s.text)
		prev = s.end
		delta += strings.Count(s.text, "\n") - bytes.Count(fe.src[s.start:s.end], []byte("\n"))
		if s.lined {
			delta = 0
		}
		next := tf.Line(tf.Pos(s.end)) + 1
		if delta == 0 || next > tf.LineCount() {
			continue
		}
		// The directive goes at the start of the next original line, unless another splice
		// starts before it: then the directive after that one does the work.
		ls := tf.Offset(tf.LineStart(next))
		if i+1 < len(ss) && ss[i+1].start < ls {
			continue
		}
		b.Write(fe.src[prev:ls])
		fmt.Fprintf(&b, "//line :%d:1\n", next)
		prev, delta = ls, 0
	}
	b.Write(fe.src[prev:])
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gvpatch: %s: edited source does not format: %w\n%s", fe.name, err, b.Bytes())
	}
	return out, nil
}
