package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// TreeInfo says which code a row measured.
type TreeInfo struct {
	Name string `json:"name"` // "current" or "ref"
	Dir  string `json:"dir"`
	// Rev is the commit (abbreviated); for the current tree, HEAD's.
	Rev string `json:"rev"`
	// Changed counts the files git status lists (the current tree's uncommitted changes and
	// new files, which its builds include).
	Changed int `json:"changed"`
	// Build says how its go test -fuzz binaries are built.
	Build string `json:"build"`
}

// String is the tree as the table's header gives it.
func (t TreeInfo) String() string {
	s := t.Rev
	if t.Changed > 0 {
		s += fmt.Sprintf(" + %d changed or new file(s)", t.Changed)
	}
	s += " (" + t.Dir + ")"
	if t.Build != "" {
		s += "; " + t.Build
	}
	return s
}

// Build descriptions of TreeInfo.Build.
const (
	buildCovbuild = "-fuzz builds with this tool's covbuild: covbuild.Uninstrumented (stack/sched, stack/bsd/sanitizer) uninstrumented"
	buildPlain    = "-fuzz builds as its sockfuzz fuzz made them: plain go test -c -fuzz"
)

// tree is a source tree the FuzzSockets rows are built from.
type tree struct {
	name, dir string
	info      TreeInfo
	remove    func()
}

// covbuild reports whether the tree's main job builds its -fuzz binaries through covbuild
// (with the substrate uninstrumented); a tree from before that builds them plainly.
func (t *tree) covbuild() bool {
	if t.name == "current" {
		return true
	}
	_, err := os.Stat(filepath.Join(t.dir, "tools", "sockfuzz", "internal", "covbuild"))
	return err == nil
}

func currentTree(root string) (*tree, error) {
	t := &tree{name: "current", dir: root, info: TreeInfo{Name: "current", Dir: root, Rev: "(not a git tree)", Build: buildCovbuild}, remove: func() {}}
	if out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output(); err == nil {
		t.info.Rev = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "-C", root, "status", "--porcelain").Output(); err == nil {
			t.info.Changed = strings.Count(string(st), "\n")
		}
	}
	return t, nil
}

// refTree checks out rev in a detached git worktree under workDir; remove takes it away.
func refTree(ctx context.Context, root, rev, workDir string, log io.Writer) (*tree, error) {
	hash, err := ResolveRev(root, rev)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(filepath.Join(workDir, "ref-"+hash[:12]))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "bench: git worktree add --detach %s %s\n", dir, hash[:12])
	if out, err := exec.CommandContext(ctx, "git", "-C", root, "worktree", "add", "--detach", dir, hash).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("git worktree add %s %s: %w\n%s", dir, rev, err, out)
	}
	t := &tree{name: "ref", dir: dir, info: TreeInfo{Name: "ref", Dir: dir, Rev: hash[:12] + " (-ref " + rev + ")"}}
	t.info.Build = buildPlain
	if t.covbuild() {
		t.info.Build = buildCovbuild
	}
	t.remove = func() {
		// Not under ctx: an interrupted run still takes its worktree away.
		if out, err := exec.Command("git", "-C", root, "worktree", "remove", "--force", dir).CombinedOutput(); err != nil {
			fmt.Fprintf(log, "bench: git worktree remove %s: %v\n%s", dir, err, out)
			os.RemoveAll(dir)
			_ = exec.Command("git", "-C", root, "worktree", "prune").Run()
		}
	}
	return t, nil
}

// libFuzzerBuild is FuzzSockets' libFuzzer binary and its seed corpus, as local.sh built them.
type libFuzzerBuild struct {
	bin, seedZip string
	flags        []string // of the binary's options file (FuzzSockets.options), when it has one
}

// buildLibFuzzer builds a tree's libFuzzer binaries with the tree's own tools/oss-fuzz/local.sh,
// which builds every target as OSS-Fuzz does (build.sh) and runs FuzzSockets for one second.
// It keeps them in the work directory (SOCKFUZZ_LIBFUZZER_KEEP).
func buildLibFuzzer(ctx context.Context, t *tree, workDir string, log io.Writer) (*libFuzzerBuild, error) {
	script := filepath.Join(t.dir, "tools", "oss-fuzz", "local.sh")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("no tools/oss-fuzz/local.sh at %s", t.info.Rev)
	}
	keep, err := filepath.Abs(filepath.Join(workDir, "libfuzzer-"+t.name))
	if err != nil {
		return nil, err
	}
	logPath := keep + ".log"
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("libFuzzer build log: %w", err)
	}
	defer lf.Close()
	fmt.Fprintf(log, "bench: %s FuzzSockets (libFuzzer builds of every target; log %s)\n", script, logPath)
	cmd := exec.CommandContext(ctx, "bash", script, "FuzzSockets")
	cmd.Dir = t.dir
	cmd.Env = append(cleanEnv(), "SOCKFUZZ_LIBFUZZER_KEEP="+keep, "SOCKFUZZ_LIBFUZZER_SECONDS=1")
	cmd.Stdout, cmd.Stderr = lf, lf
	setDeathSignal(cmd)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s failed (%w); the end of %s:\n%s", script, err, logPath, tailFile(logPath, 15))
	}
	b := &libFuzzerBuild{bin: filepath.Join(keep, "out", "FuzzSockets"), seedZip: filepath.Join(keep, "out", "FuzzSockets_seed_corpus.zip")}
	for _, f := range []string{b.bin, b.seedZip} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%s built no %s", script, f)
		}
	}
	// OSS-Fuzz runs the binary with its options file's flags; an older tree may have none.
	opts := b.bin + ".options"
	if src, err := os.ReadFile(opts); err == nil {
		if b.flags, err = parseLibFuzzerOptions(opts, src); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "bench: %s: libFuzzer runs with %s\n", opts, strings.Join(b.flags, " "))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return b, nil
}

// tailFile returns the last n lines of a file.
func tailFile(path string, n int) string {
	src, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cleanEnv is this process's environment without the fuzz targets' variables, plus
// SOCKFUZZ_SCHEDULES=1: every measurement runs one schedule per input, faults off,
// controlled mode.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOCKFUZZ_") {
			env = append(env, kv)
		}
	}
	return append(env, "SOCKFUZZ_SCHEDULES=1")
}
