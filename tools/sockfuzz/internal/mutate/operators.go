package mutate

import (
	"fmt"
	"go/ast"
	"go/token"
	"regexp"
	"strings"
)

// operator finds the sites of one kind of change in a file.
type operator struct {
	name, doc string
	find      func(fset *token.FileSet, f *ast.File, src []byte) []site
}

// operators are the operators in the order sockfuzz mutate lists them.
var operators = []operator{
	{"lock-pair", "delete a lock and its release in the same block (Lock/Unlock, RLock/RUnlock, LockUser/UnlockUser)", findLockPairs},
	{"wakeup", "delete a wakeup (sowakeup, WakeOne, WakeAll, Notify and the like)", findWakeups},
	{"atomic", "turn an atomic update into a plain load and store (the model's Atomic* words; atomicbitops.Or/And)", findAtomics},
	{"swap", "swap two adjacent statements that both call a method (touch shared state)", findSwaps},
	{"bound", "flip a comparison's bound in a condition (< and <=, > and >=)", findBounds},
	{"refcount", "delete a step of a reference count (soreference, sofree, IncRef, DecRef)", findRefs},
}

// OperatorNames lists the operators.
func OperatorNames() []string {
	var out []string
	for _, o := range operators {
		out = append(out, o.name)
	}
	return out
}

// OperatorDoc says what an operator does.
func OperatorDoc(name string) string {
	o, _ := operatorByName(name)
	return o.doc
}

func operatorByName(name string) (operator, bool) {
	for _, o := range operators {
		if o.name == name {
			return o, true
		}
	}
	return operator{}, false
}

// callName returns the name of the function or method a call statement calls, and the
// receiver's text for a method ("" for a function).
func callName(fset *token.FileSet, src []byte, s ast.Stmt) (name, recv string, call *ast.CallExpr) {
	var x ast.Expr
	switch s := s.(type) {
	case *ast.ExprStmt:
		x = s.X
	case *ast.DeferStmt:
		x = s.Call
	default:
		return "", "", nil
	}
	call, ok := x.(*ast.CallExpr)
	if !ok {
		return "", "", nil
	}
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		return fn.Sel.Name, text(fset, src, fn.X), call
	case *ast.Ident:
		return fn.Name, "", call
	}
	return "", "", nil
}

// unlockFor is the release of a lock method, "" when name is none.
func unlockFor(name string) string {
	switch {
	case name == "RLock":
		return "RUnlock"
	case name == "WLock":
		return "WUnlock"
	case strings.HasPrefix(name, "Lock"):
		return "Unlock" + strings.TrimPrefix(name, "Lock")
	}
	return ""
}

// blocks calls fn with every statement list of the file: blocks, case and select clauses.
func blocks(f *ast.File, fn func([]ast.Stmt)) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BlockStmt:
			fn(n.List)
		case *ast.CaseClause:
			fn(n.Body)
		case *ast.CommClause:
			fn(n.Body)
		}
		return true
	})
}

func line(fset *token.FileSet, n ast.Node) int { return fset.Position(n.Pos()).Line }

// findLockPairs finds a lock statement and the first release of the same lock after it in the
// same block (a deferred release included): the mutant deletes both.
func findLockPairs(fset *token.FileSet, f *ast.File, src []byte) []site {
	var out []site
	blocks(f, func(list []ast.Stmt) {
		for i, s := range list {
			name, recv, _ := callName(fset, src, s)
			un := unlockFor(name)
			if un == "" || recv == "" {
				continue
			}
			if _, isDefer := s.(*ast.DeferStmt); isDefer {
				continue
			}
			for _, r := range list[i+1:] {
				if n2, r2, _ := callName(fset, src, r); n2 == un && r2 == recv {
					out = append(out, site{op: "lock-pair", pos: s.Pos(),
						desc:  fmt.Sprintf("delete %s.%s (line %d) and %s.%s (line %d)", recv, name, line(fset, s), recv, un, line(fset, r)),
						edits: []edit{span(fset, s, ""), span(fset, r, "")}})
					break
				}
			}
		}
	})
	return out
}

var (
	wakeName = regexp.MustCompile(`(?i)wake|notify`)
	// Registering for a notification or waiting for one is not a wakeup.
	notWake = regexp.MustCompile(`(?i)^(wait|remove|add|register|event|readiness)`)
	refName = regexp.MustCompile(`(?i)^(soreference|sofree|sorele|incref|decref)$`)
)

// findWakeups finds a statement that only calls a wakeup: the mutant deletes it.
func findWakeups(fset *token.FileSet, f *ast.File, src []byte) []site {
	return findCalls(fset, f, src, "wakeup", func(name string) bool {
		return wakeName.MatchString(name) && !notWake.MatchString(name)
	})
}

// findRefs finds a statement that only takes or drops a reference: the mutant deletes it.
func findRefs(fset *token.FileSet, f *ast.File, src []byte) []site {
	return findCalls(fset, f, src, "refcount", refName.MatchString)
}

// findCalls finds the call statements (not deferred) whose callee's name match says: the
// mutant deletes the statement.
func findCalls(fset *token.FileSet, f *ast.File, src []byte, op string, match func(string) bool) []site {
	var out []site
	blocks(f, func(list []ast.Stmt) {
		for _, s := range list {
			if _, ok := s.(*ast.ExprStmt); !ok {
				continue
			}
			if name, _, _ := callName(fset, src, s); name != "" && match(name) {
				out = append(out, site{op: op, pos: s.Pos(), desc: fmt.Sprintf("delete %s", oneLine(text(fset, src, s))),
					edits: []edit{span(fset, s, "")}})
			}
		}
	})
	return out
}

// plainOf maps the model's atomic word methods to their plain forms: a load, a scheduling
// point and a store that can lose a concurrent update (sched.Word).
var plainOf = map[string]string{"AtomicOr": "Or", "AtomicAndNot": "AndNot", "AtomicAdd": "Add",
	"AtomicLoad": "Load", "AtomicStore": "Store"}

// splitOf maps gVisor's atomicbitops read-modify-write functions on a field's address to the
// operator of a plain load then store of it.
var splitOf = map[string]string{"OrUint32": "|", "AndUint32": "&"}

// findAtomics finds an atomic access: the model's Word.Atomic* become their plain forms, and
// atomicbitops.OrUint32(&x, v) becomes x.Store(x.Load() | v).
func findAtomics(fset *token.FileSet, f *ast.File, src []byte) []site {
	var out []site
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if plain, ok := plainOf[sel.Sel.Name]; ok {
			out = append(out, site{op: "atomic", pos: call.Pos(),
				desc:  fmt.Sprintf("%s.%s becomes %s", text(fset, src, sel.X), sel.Sel.Name, plain),
				edits: []edit{span(fset, sel.Sel, plain)}})
			return true
		}
		if sel.Sel.Name == "Add" && len(call.Args) == 1 {
			// An atomic counter's Add (atomicbitops.Int32 and the like): a load then a store.
			// On a receiver that is no such type the mutant does not build and is dropped.
			x := text(fset, src, sel.X)
			out = append(out, site{op: "atomic", pos: call.Pos(), desc: fmt.Sprintf("%s.Add becomes a load then a store", x),
				edits: []edit{span(fset, call, fmt.Sprintf("%s.Store(%s.Load() + %s)", x, x, text(fset, src, call.Args[0])))}})
			return true
		}
		if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "atomicbitops" && len(call.Args) == 2 {
			if opTok, ok := splitOf[sel.Sel.Name]; ok {
				if addr, ok := call.Args[0].(*ast.UnaryExpr); ok && addr.Op == token.AND {
					x := text(fset, src, addr.X)
					repl := fmt.Sprintf("%s.Store(%s.Load() %s %s)", x, x, opTok, text(fset, src, call.Args[1]))
					out = append(out, site{op: "atomic", pos: call.Pos(),
						desc: fmt.Sprintf("atomicbitops.%s(&%s, ...) becomes a load then a store", sel.Sel.Name, x), edits: []edit{span(fset, call, repl)}})
				}
			}
		}
		return true
	})
	return out
}

// simple reports whether s is a statement that can move: a call, an assignment that declares
// nothing, an increment.
func simple(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.ExprStmt, *ast.IncDecStmt:
		return true
	case *ast.AssignStmt:
		return s.Tok != token.DEFINE
	}
	return false
}

// callsMethod reports whether n contains a method call (x.f(...)).
func callsMethod(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if c, ok := m.(*ast.CallExpr); ok {
			if _, ok := c.Fun.(*ast.SelectorExpr); ok {
				found = true
			}
		}
		return !found
	})
	return found
}

// findSwaps finds two adjacent simple statements that both call a method: the mutant swaps
// them.
func findSwaps(fset *token.FileSet, f *ast.File, src []byte) []site {
	var out []site
	blocks(f, func(list []ast.Stmt) {
		for i := 0; i+1 < len(list); i++ {
			a, b := list[i], list[i+1]
			if !simple(a) || !simple(b) || !callsMethod(a) || !callsMethod(b) || line(fset, a) == line(fset, b) {
				continue
			}
			ta, tb := text(fset, src, a), text(fset, src, b)
			if ta == tb {
				continue
			}
			out = append(out, site{op: "swap", pos: a.Pos(),
				desc:  fmt.Sprintf("swap %s (line %d) and %s", oneLine(ta), line(fset, a), oneLine(tb)),
				edits: []edit{span(fset, a, tb), span(fset, b, ta)}})
		}
	})
	return out
}

// flipped is the comparison with the other bound.
var flipped = map[token.Token]token.Token{token.LSS: token.LEQ, token.LEQ: token.LSS, token.GTR: token.GEQ, token.GEQ: token.GTR}

// findBounds finds a comparison in an if or for condition: the mutant flips its bound. A clamp,
// an if whose body is only x = c for a comparison of x with c in its condition, is left out:
// the flip changes the outcome only at x == c, where the assignment changes nothing.
func findBounds(fset *token.FileSet, f *ast.File, src []byte) []site {
	var out []site
	var clamp *ast.AssignStmt // the body of the if whose condition is being read, when a lone assignment
	cond := func(c ast.Expr) {
		if c == nil {
			return
		}
		ast.Inspect(c, func(n ast.Node) bool {
			if _, ok := n.(*ast.FuncLit); ok {
				return false
			}
			b, ok := n.(*ast.BinaryExpr)
			if !ok {
				return true
			}
			if to, ok := flipped[b.Op]; ok {
				if clamp != nil && text(fset, src, clamp.Lhs[0]) == text(fset, src, b.X) && text(fset, src, clamp.Rhs[0]) == text(fset, src, b.Y) {
					return true // a clamp to the bound: equivalent
				}
				start := fset.Position(b.OpPos).Offset
				out = append(out, site{op: "bound", pos: b.OpPos,
					desc:  fmt.Sprintf("%s becomes %s in %s", b.Op, to, oneLine(text(fset, src, b))),
					edits: []edit{{start: start, end: start + len(b.Op.String()), text: to.String()}}})
			}
			return true
		})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt:
			clamp = nil
			if len(n.Body.List) == 1 && n.Else == nil {
				if a, ok := n.Body.List[0].(*ast.AssignStmt); ok && a.Tok == token.ASSIGN && len(a.Lhs) == 1 && len(a.Rhs) == 1 {
					clamp = a
				}
			}
			cond(n.Cond)
			clamp = nil
		case *ast.ForStmt:
			cond(n.Cond)
		}
		return true
	})
	return out
}

// oneLine shortens a statement's text to one line for a description.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
