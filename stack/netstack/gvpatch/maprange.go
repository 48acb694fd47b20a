package gvpatch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
)

// MapFields are the names a package uses for maps: struct fields and package variables
// declared with a map type (directly or through a named map type of the package). Names holds
// those the package declares with no other type; ByType the fields of each struct type, so
// that a range over a method receiver's field is resolved even when another struct uses the
// name for something else. The rewrite works on syntax: wrapping a non-map would not compile.
type MapFields struct {
	Names  map[string]bool
	ByType map[string]map[string]bool // struct type name -> field -> is a map
}

// packageMapFields collects the map names of a package from the sources of its files.
func packageMapFields(srcs map[string][]byte) (MapFields, error) {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range sortedKeys(srcs) {
		f, err := parser.ParseFile(fset, name, srcs[name], parser.SkipObjectResolution)
		if err != nil {
			return MapFields{}, err
		}
		files = append(files, f)
	}
	mapTypes := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if _, ok := ts.Type.(*ast.MapType); ok {
					mapTypes[ts.Name.Name] = true
				}
			}
			return true
		})
	}
	isMap := func(e ast.Expr) bool {
		switch t := e.(type) {
		case *ast.MapType:
			return true
		case *ast.Ident:
			return mapTypes[t.Name]
		}
		return false
	}
	maps, other := map[string]bool{}, map[string]bool{}
	byType := map[string]map[string]bool{}
	note := func(names []*ast.Ident, typ ast.Expr) {
		for _, id := range names {
			if typ != nil && isMap(typ) {
				maps[id.Name] = true
			} else {
				other[id.Name] = true
			}
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if st, ok := ts.Type.(*ast.StructType); ok {
					fs := map[string]bool{}
					for _, fl := range st.Fields.List {
						for _, id := range fl.Names {
							fs[id.Name] = isMap(fl.Type)
						}
					}
					byType[ts.Name.Name] = fs
				}
			}
			switch x := n.(type) {
			case *ast.StructType:
				for _, fl := range x.Fields.List {
					note(fl.Names, fl.Type)
				}
			case *ast.GenDecl:
				if x.Tok == token.VAR {
					for _, sp := range x.Specs {
						vs := sp.(*ast.ValueSpec)
						typ := vs.Type
						if typ == nil && len(vs.Values) == 1 {
							typ = mapValueType(vs.Values[0])
						}
						note(vs.Names, typ)
					}
				}
			}
			return true
		})
	}
	out := MapFields{Names: map[string]bool{}, ByType: byType}
	for name := range maps {
		if !other[name] {
			out.Names[name] = true
		}
	}
	return out, nil
}

// mapValueType is the map type of make(map...) or a map literal, or nil.
func mapValueType(e ast.Expr) ast.Expr {
	switch v := e.(type) {
	case *ast.CallExpr:
		if id, ok := v.Fun.(*ast.Ident); ok && id.Name == "make" && len(v.Args) > 0 {
			if mt, ok := v.Args[0].(*ast.MapType); ok {
				return mt
			}
		}
	case *ast.CompositeLit:
		if mt, ok := v.Type.(*ast.MapType); ok {
			return mt
		}
	}
	return nil
}

// rewriteMapRanges makes every range over a map of the file iterate in a fixed order when hooks
// are installed (sockfuzzhook.Sorted with sockfuzzhook.Compare): Go randomises map order, and
// where the body takes locks or wakes threads that order would decide the order of scheduling
// points, and replay would fail. A map is recognised by syntax: a selector or identifier
// naming one of the package's map fields or variables, or a local variable the function
// declares with a map type (var, make, a literal, a parameter). Ranges an edit row already
// rewrote are left to it. It returns the number of ranges rewritten.
func (fe *fileEditor) rewriteMapRanges(fields MapFields) int {
	taken := func(start, end int) bool {
		for _, s := range fe.splices {
			if s.start < end && start < s.end {
				return true
			}
		}
		return false
	}
	var sites [][2]int
	for _, d := range fe.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		locals := localMaps(fd)
		recv, recvType := receiver(fd)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			r, ok := n.(*ast.RangeStmt)
			if !ok {
				return true
			}
			var name string
			switch x := r.X.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && recv != "" && id.Name == recv {
					if fields.ByType[recvType][x.Sel.Name] {
						name = x.Sel.Name
					}
				} else if fields.Names[x.Sel.Name] {
					name = x.Sel.Name
				}
			case *ast.Ident:
				if locals[x.Name] || fields.Names[x.Name] {
					name = x.Name
				}
			}
			if name == "" {
				return true
			}
			start, end := fe.off(r.X.Pos()), fe.off(r.X.End())
			if !taken(start, end) {
				sites = append(sites, [2]int{start, end})
			}
			return true
		})
	}
	sort.Slice(sites, func(i, j int) bool { return sites[i][0] < sites[j][0] })
	for _, s := range sites {
		fe.add(s[0], s[1], "sockfuzzhook.Sorted("+string(fe.src[s[0]:s[1]])+", sockfuzzhook.Compare)")
	}
	if len(sites) > 0 {
		fe.imports[HookImport] = true
	}
	return len(sites)
}

// receiver returns the name and base type name of a method's receiver, or "".
func receiver(fd *ast.FuncDecl) (name, typ string) {
	if fd.Recv == nil || len(fd.Recv.List) != 1 || len(fd.Recv.List[0].Names) != 1 {
		return "", ""
	}
	t := fd.Recv.List[0].Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	id, ok := t.(*ast.Ident)
	if !ok {
		return "", ""
	}
	return fd.Recv.List[0].Names[0].Name, id.Name
}

// localMaps names the function's parameters and local variables declared with a map type.
func localMaps(fd *ast.FuncDecl) map[string]bool {
	out := map[string]bool{}
	if fd.Type.Params != nil {
		for _, p := range fd.Type.Params.List {
			if _, ok := p.Type.(*ast.MapType); ok {
				for _, id := range p.Names {
					out[id.Name] = true
				}
			}
		}
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE && len(x.Lhs) == len(x.Rhs) {
				for i, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok && mapValueType(x.Rhs[i]) != nil {
						out[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			if _, ok := x.Type.(*ast.MapType); ok {
				for _, id := range x.Names {
					out[id.Name] = true
				}
			}
		}
		return true
	})
	return out
}
