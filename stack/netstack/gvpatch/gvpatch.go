// Package gvpatch generates the hooked build of gVisor (docs/netstack-design.md §2): a copy of
// the gVisor packages a netstack program needs, edited so that sockfuzz can control their
// goroutines, locks and sleeps through gvisor.dev/gvisor/pkg/sockfuzzhook, and a go.work that
// replaces gvisor.dev/gvisor with the copy. go.mod is never touched: a build selects the copy
// with Build.Env and Build.Tags.
package gvpatch

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
)

// Module is the module path of gVisor.
const Module = "gvisor.dev/gvisor"

// Tags is the build tag of the hooked build.
const Tags = "sockfuzz_hooked"

// Roots are the gVisor packages a netstack program imports; the copy holds their dependencies
// inside gVisor.
var Roots = []string{
	"pkg/tcpip/stack", "pkg/tcpip/transport/tcp", "pkg/tcpip/transport/udp",
	"pkg/tcpip/network/ipv4", "pkg/tcpip/link/channel", "pkg/tcpip/header",
	"pkg/buffer", "pkg/waiter", "pkg/refs", "pkg/log", "pkg/sync", "pkg/sleep",
}

// The hook package's sources (copied into the tree) and the generator's own (hashed into the
// key, so that a change of an edit makes a new tree).
//
//go:embed sockfuzzhook/*.go
var hookFS embed.FS

//go:embed *.go
var selfFS embed.FS

// Build is a generated hooked build.
type Build struct {
	// Dir is the build directory: Dir/gvisor is the edited copy of gVisor.
	Dir string
	// GoWork is Dir/go.work.
	GoWork string
	// Env are the environment entries a go command of the hooked build needs: GOWORK, and
	// GOFLAGS without -mod (workspace mode refuses it).
	Env []string
	// Tags is the build tag of the hooked build's own files.
	Tags string
}

// Stamp is the record of a generated build, written last: a directory without a matching
// stamp is not a build.
type Stamp struct {
	Key       string
	Version   string // gVisor's
	GoVersion string
	ModRoot   string
	Packages  []string
	Files     []StampFile
}

// StampFile records one edited or added file.
type StampFile struct {
	File   string
	Edits  []string `json:",omitempty"` // the row IDs, "go" for go statements, "F" for added
	SHA256 string
}

// staleAge is the age after which another key's build directory is removed.
const staleAge = 7 * 24 * time.Hour

// Ensure returns the hooked build for the repository at modroot, generating it if needed. It is
// safe to call from several processes at once: each builds in a temporary directory and
// renames it into place; a loser uses the winner's build.
func Ensure(modroot string) (Build, error) {
	modroot, err := filepath.Abs(modroot)
	if err != nil {
		return Build{}, fmt.Errorf("gvpatch: %w", err)
	}
	mod, err := locate(modroot)
	if err != nil {
		return Build{}, err
	}
	key := buildKey(mod.Version, modroot)
	root := filepath.Join(modroot, ".sockfuzz", "build")
	dir := filepath.Join(root, "gvisor-"+key)
	b, err := newBuild(modroot, dir)
	if err != nil {
		return Build{}, err
	}
	if stampOK(dir, key) {
		return b, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return Build{}, fmt.Errorf("gvpatch: %w", err)
	}
	cleanStale(root, dir)
	tmp, err := os.MkdirTemp(root, fmt.Sprintf("tmp-%d-", os.Getpid()))
	if err != nil {
		return Build{}, fmt.Errorf("gvpatch: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := generate(tmp, modroot, key, mod); err != nil {
		return Build{}, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another process won the rename: use its build if it is whole.
		if stampOK(dir, key) {
			return b, nil
		}
		return Build{}, fmt.Errorf("gvpatch: install %s: %w", dir, err)
	}
	return b, nil
}

func newBuild(modroot, dir string) (Build, error) {
	work := filepath.Join(dir, "go.work")
	b := Build{Dir: dir, GoWork: work, Env: []string{"GOWORK=" + work}, Tags: Tags}
	// GOFLAGS may come from the environment or from go env's file: ask the go command, and
	// override it only when it holds a -mod flag, so that the user's other flags stay.
	out, err := goCmd(modroot, "env", "GOFLAGS")
	if err != nil {
		return b, err
	}
	if flags := strings.TrimSpace(string(out)); strings.Contains(flags, "-mod=") {
		b.Env = append(b.Env, "GOFLAGS="+cleanFlags(flags))
	}
	return b, nil
}

// cleanFlags drops -mod=... from GOFLAGS: workspace mode refuses it.
func cleanFlags(flags string) string {
	var keep []string
	for _, f := range strings.Fields(flags) {
		if !strings.HasPrefix(f, "-mod=") && !strings.HasPrefix(f, "--mod=") {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

// moduleInfo is the part of `go list -m -json` Ensure uses.
type moduleInfo struct {
	Version string
	Dir     string
}

// goCmd runs the go command in dir in module mode (a hooked build's GOWORK must not leak into
// the lookup of the pristine module) and returns its standard output.
func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("gvpatch: go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// locate finds the gVisor version modroot's go.mod requires and its directory in the module
// cache, downloading it if needed.
func locate(modroot string) (moduleInfo, error) {
	var m moduleInfo
	out, err := goCmd(modroot, "list", "-mod=readonly", "-m", "-json", Module)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(out, &m); err != nil {
		return m, fmt.Errorf("gvpatch: go list -m %s: %w", Module, err)
	}
	if m.Dir == "" {
		if out, err = goCmd(modroot, "mod", "download", "-json", Module+"@"+m.Version); err != nil {
			return m, err
		}
		if err := json.Unmarshal(out, &m); err != nil {
			return m, fmt.Errorf("gvpatch: go mod download %s: %w", Module, err)
		}
	}
	if m.Version == "" || m.Dir == "" {
		return m, fmt.Errorf("gvpatch: %s not found from %s", Module, modroot)
	}
	return m, nil
}

// buildKey hashes what the build depends on: gVisor's version, this generator's sources (the
// edit table and the hook package), the Go toolchain and the repository's path (go.work names
// it).
func buildKey(version, modroot string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s/%s\n%s\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH, modroot)
	for _, fsys := range []embed.FS{selfFS, hookFS} {
		fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := fsys.ReadFile(p)
				fmt.Fprintf(h, "%s %d\n", p, len(data))
				h.Write(data)
			}
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func stampOK(dir, key string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "stamp"))
	if err != nil {
		return false
	}
	var s Stamp
	return json.Unmarshal(data, &s) == nil && s.Key == key
}

// cleanStale removes other keys' build directories older than staleAge, and temporary
// directories older than a day (left by a crash).
func cleanStale(root, keep string) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !e.IsDir() || filepath.Join(root, e.Name()) == keep {
			continue
		}
		age := time.Since(info.ModTime())
		if (strings.HasPrefix(e.Name(), "gvisor-") && age > staleAge) ||
			(strings.HasPrefix(e.Name(), "tmp-") && age > 24*time.Hour) {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// packages lists the gVisor packages the roots need, as paths inside the module.
func packages(modroot string) ([]string, error) {
	// -mod=readonly overrides a GOFLAGS=-mod=mod, which would let the lookup add gVisor's
	// requirements to the repository's go.sum.
	args := []string{"list", "-mod=readonly", "-e", "-deps", "-f", "{{.ImportPath}}"}
	for _, r := range Roots {
		args = append(args, Module+"/"+r)
	}
	out, err := goCmd(modroot, args...)
	if err != nil {
		return nil, err
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		if rel, ok := strings.CutPrefix(p, Module+"/"); ok {
			pkgs = append(pkgs, rel)
		}
	}
	sort.Strings(pkgs)
	return pkgs, nil
}

// generate writes a whole build into dir.
func generate(dir, modroot, key string, mod moduleInfo) error {
	pkgs, err := packages(modroot)
	if err != nil {
		return err
	}
	files, err := Tree(mod.Dir, pkgs)
	if err != nil {
		return err
	}
	gv := filepath.Join(dir, "gvisor")
	stamp := Stamp{Key: key, Version: mod.Version, GoVersion: runtime.Version(), ModRoot: modroot, Packages: pkgs}
	for _, f := range files {
		p := filepath.Join(gv, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("gvpatch: %w", err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("gvpatch: %w", err)
		}
		if len(f.Edits) > 0 {
			sum := sha256.Sum256(f.Data)
			stamp.Files = append(stamp.Files, StampFile{File: f.Path, Edits: f.Edits, SHA256: hex.EncodeToString(sum[:])})
		}
	}
	// gVisor's go.sum as go.work.sum: the hooked build needs the sums of gVisor's own
	// requirements (x/time, x/exp, btree), which the repository's go.sum may lack; with them
	// here the go command needs neither the checksum database nor a write.
	sums, err := os.ReadFile(filepath.Join(mod.Dir, "go.sum"))
	if err != nil {
		return fmt.Errorf("gvpatch: %w", err)
	}
	work := fmt.Sprintf("go %s\n\nuse %s\n\nreplace %s => ./gvisor\n", goVersion(modroot), modroot, Module)
	stampData, err := json.MarshalIndent(stamp, "", "\t")
	if err != nil {
		return fmt.Errorf("gvpatch: %w", err)
	}
	for name, data := range map[string][]byte{"go.work": []byte(work), "go.work.sum": sums} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("gvpatch: %w", err)
		}
	}
	// The stamp last: it marks the directory whole.
	if err := os.WriteFile(filepath.Join(dir, "stamp"), append(stampData, '\n'), 0o644); err != nil {
		return fmt.Errorf("gvpatch: %w", err)
	}
	return nil
}

// goVersion is the go line of modroot's go.mod, which go.work must not be below.
func goVersion(modroot string) string {
	data, err := os.ReadFile(filepath.Join(modroot, "go.mod"))
	if err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return strings.TrimPrefix(runtime.Version(), "go")
}

// File is one file of the generated tree.
type File struct {
	Path  string // inside the module, slash-separated
	Data  []byte
	Edits []string // the edit rows applied, "go" for rewritten go statements, "F" for added files
}

// Tree returns the files of the edited copy of the packages pkgs (paths inside the module) of
// the gVisor module at src: every file of each package directory but tests, with the edit
// table and the go statement rewrite applied, the added files and the hook package, and
// gVisor's go.mod and LICENSE. It fails, naming the row, when an edit does not match exactly
// once.
func Tree(src string, pkgs []string) ([]File, error) {
	var files []File
	for _, name := range []string{"go.mod", "LICENSE"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return nil, fmt.Errorf("gvpatch: %w", err)
		}
		files = append(files, File{Path: name, Data: data})
	}
	rows := map[string][]Edit{}
	for _, e := range Edits {
		rows[e.File] = append(rows[e.File], e)
	}
	done := map[string]bool{}
	for _, pkg := range pkgs {
		ents, err := os.ReadDir(filepath.Join(src, filepath.FromSlash(pkg)))
		if err != nil {
			return nil, fmt.Errorf("gvpatch: %w", err)
		}
		srcs := map[string][]byte{}
		for _, e := range ents {
			if e.IsDir() || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			rel := pkg + "/" + e.Name()
			data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(rel)))
			if err != nil {
				return nil, fmt.Errorf("gvpatch: %w", err)
			}
			srcs[rel] = data
		}
		goSrcs := map[string][]byte{}
		for rel, data := range srcs {
			if strings.HasSuffix(rel, ".go") {
				goSrcs[rel] = data
			}
		}
		fields, err := packageMapFields(goSrcs)
		if err != nil {
			return nil, fmt.Errorf("gvpatch: %s: %w", pkg, err)
		}
		for _, rel := range sortedKeys(srcs) {
			data := srcs[rel]
			var err error
			f := File{Path: rel, Data: data}
			if strings.HasSuffix(rel, ".go") {
				if f.Data, f.Edits, err = EditFile(rel, data, rows[rel], fields); err != nil {
					return nil, err
				}
				done[rel] = true
			}
			files = append(files, f)
		}
	}
	for _, e := range Edits {
		if !done[e.File] {
			return nil, fmt.Errorf("gvpatch: edit %s (%s %s): file not in the copied packages", e.ID, e.File, e.Func)
		}
	}
	for _, rel := range sortedKeys(Added) {
		if !slices.Contains(pkgs, filepath.ToSlash(filepath.Dir(rel))) {
			return nil, fmt.Errorf("gvpatch: added file %s: package not copied", rel)
		}
		files = append(files, File{Path: rel, Data: []byte(Added[rel]), Edits: []string{"F"}})
	}
	hooks, err := hookFiles()
	if err != nil {
		return nil, err
	}
	return append(files, hooks...), nil
}

// hookFiles are the hook package's non-test sources, as pkg/sockfuzzhook.
func hookFiles() ([]File, error) {
	ents, err := hookFS.ReadDir("sockfuzzhook")
	if err != nil {
		return nil, fmt.Errorf("gvpatch: %w", err)
	}
	var files []File
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		data, err := hookFS.ReadFile("sockfuzzhook/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("gvpatch: %w", err)
		}
		// An import comment would pin the package to its path in this repository.
		data = importComment.ReplaceAll(data, []byte("package sockfuzzhook\n"))
		files = append(files, File{Path: "pkg/sockfuzzhook/" + e.Name(), Data: data, Edits: []string{"F"}})
	}
	return files, nil
}

// EditFile applies the rows of one file, the go statement rewrite and the map range rewrite
// (with the map names of its package) to its source. It
// returns the source unchanged (and no edit names) when there is nothing to do.
func EditFile(name string, src []byte, rows []Edit, fields MapFields) ([]byte, []string, error) {
	if len(rows) == 0 && !bytes.Contains(src, []byte("go ")) && !bytes.Contains(src, []byte("range ")) {
		return src, nil, nil
	}
	fe, err := newFileEditor(name, src)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range rows {
		if err := fe.apply(e); err != nil {
			return nil, nil, err
		}
	}
	n, err := fe.rewriteGo()
	if err != nil {
		return nil, nil, err
	}
	if n > 0 {
		fe.applied = append(fe.applied, "go")
	}
	if fe.rewriteMapRanges(fields) > 0 {
		fe.applied = append(fe.applied, "range")
	}
	if len(fe.splices) == 0 {
		return src, nil, nil
	}
	out, err := fe.result()
	if err != nil {
		return nil, nil, err
	}
	return out, fe.applied, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// importComment is a package clause's import comment.
var importComment = regexp.MustCompile(`(?m)^package sockfuzzhook[ \t]*//[ \t]*import[ \t]+"[^"]*"[ \t]*\n`)
