package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/netstack/launch"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/runner"
)

// The netstack target's controlled mode and faults exist only in the hooked build of gVisor
// (docs/netstack-design.md §2.4). A plain sockfuzz whose command involves netstack builds
// itself on that build and runs the result with the same arguments, so that no setup step is
// needed.
const (
	// netstackTarget is the name of the netstack stack target.
	netstackTarget = "netstack"
	// netstackFuzzPrefix begins the names of the fuzz targets that run netstack.
	netstackFuzzPrefix = "FuzzNetstack"
	// hookedExecEnv is set in the environment of the hooked binary a plain one runs: a binary
	// that finds it set and is still not hooked stops instead of building itself again.
	hookedExecEnv = "SOCKFUZZ_HOOKED_EXEC"
	// hookedBinary is where the hooked sockfuzz is built, under the module's root.
	hookedBinary = ".sockfuzz/build/sockfuzz-hooked"
	// gvisorInstrumented is the gVisor pattern whose coverage guides a hooked -fuzz build:
	// netstack's TCP/IP, as tools/oss-fuzz/build.sh's -include.
	gvisorInstrumented = "gvisor.dev/gvisor/pkg/tcpip/..."
)

// programCommands are the commands whose positional arguments may be program files: a file
// whose header names netstack involves it.
var programCommands = map[string]bool{"replay": true, "minimize": true, "search": true, "trace": true, "convert": true, "kinds": true}

// targetCommands are the commands whose -target flag may name netstack.
var targetCommands = map[string]bool{"replay": true, "minimize": true, "search": true, "kinds": true, "trace": true, "faults": true,
	"hunt": true, "convert": true, "fuzz": true, "mutate": true}

// needsHooked reports whether the command line args (the command and its flags) involves
// netstack: -target netstack, a -fuzz-target or a fuzz cycle (fuzz's -targets, default
// allTargets) with a FuzzNetstack target, or a program file whose header names netstack.
func needsHooked(args []string, allTargets []string) bool {
	if len(args) == 0 || !targetCommands[args[0]] {
		return false
	}
	cmd, rest := args[0], args[1:]
	if v, ok := flagValue(rest, "target"); ok && v == netstackTarget {
		return true
	}
	if v, ok := flagValue(rest, "fuzz-target"); ok && strings.HasPrefix(v, netstackFuzzPrefix) {
		return true
	}
	if cmd == "fuzz" {
		cycle := allTargets
		if v, ok := flagValue(rest, "targets"); ok && strings.TrimSpace(v) != "" {
			cycle = strings.Split(v, ",")
		}
		for _, t := range cycle {
			if strings.HasPrefix(strings.TrimSpace(t), netstackFuzzPrefix) {
				return true
			}
		}
	}
	if programCommands[cmd] {
		for _, a := range rest {
			if !strings.HasPrefix(a, "-") && programNamesNetstack(a) {
				return true
			}
		}
	}
	return false
}

// flagValue returns the value of flag name in args as package flag reads it (-name v,
// -name=v, or with two dashes), up to a "--" that ends the flags; the last one wins.
func flagValue(args []string, name string) (string, bool) {
	val, found := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		n, v, eq := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if n != name {
			continue
		}
		switch {
		case eq:
			val, found = v, true
		case i+1 < len(args):
			val, found = args[i+1], true
			i++
		}
	}
	return val, found
}

// maxProgramFile bounds the files read for their header: a program is small; anything larger
// is not one.
const maxProgramFile = 1 << 20

// programNamesNetstack reports whether path is a program (or stored crasher) in the text form
// whose target line names netstack. An argument that is no such file (a flag's value, a byte
// form input) is not.
func programNamesNetstack(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxProgramFile {
		return false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	p, err := repro.Parse(path, data)
	return err == nil && stack.TargetName(p.Header.Target) == netstackTarget
}

// runHooked is main's hook: when this binary is not hooked and args involve netstack, it builds
// the hooked sockfuzz and runs it with args and this process's standard streams, and returns
// its exit code and true. Otherwise it returns false and main goes on.
func runHooked(args []string, stderr io.Writer) (int, bool) {
	if launch.Hooked || !needsHooked(args, runner.AllTargets()) {
		return 0, false
	}
	if os.Getenv(hookedExecEnv) != "" {
		fmt.Fprintf(stderr, "sockfuzz: %s is set, but this binary is not on the hooked build of gVisor (built without -tags %s), which netstack's controlled mode needs; unset it to let sockfuzz build itself hooked\n",
			hookedExecEnv, "sockfuzz_hooked")
		return 2, true
	}
	bin, err := buildHooked(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz: netstack needs the hooked build: %v\n", err)
		return 2, true
	}
	code, err := execHooked(bin, args)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz: running the hooked build: %v\n", err)
		return 2, true
	}
	return code, true
}

// buildHooked generates the hooked gVisor and builds sockfuzz on it (with -race when this
// binary has it), returning the binary's path. It builds under a name of its own and renames,
// so that two tools building at once each run a whole binary.
func buildHooked(stderr io.Writer) (string, error) {
	modroot, err := launch.ModRoot()
	if err != nil {
		return "", fmt.Errorf("%w (run sockfuzz inside its repository)", err)
	}
	b, err := launch.Ensure(modroot)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(modroot, filepath.FromSlash(hookedBinary))
	tmp := fmt.Sprintf("%s.tmp-%d", bin, os.Getpid())
	args := []string{"-o", tmp}
	if launch.Race {
		args = append(args, "-race")
	}
	cmd := launch.Go(b, modroot, "build", append(args, "./tools/sockfuzz")...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: %w", cmd, err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("install %s: %w", bin, err)
	}
	return bin, nil
}

// execHooked runs bin with args, this process's standard streams and environment (with
// hookedExecEnv set), and returns its exit code. An interrupt or a termination this process
// receives is passed on: the hooked tool ends its round and prints its summary as it would
// have.
func execHooked(bin string, args []string) (int, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), hookedExecEnv+"=1")
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case err := <-done:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if code := ee.ExitCode(); code >= 0 {
					return code, nil
				}
				return 1, nil // killed by a signal
			}
			return 0, err
		}
	}
}

// testBuild returns what the go commands that build this tool's test binaries (the fuzz
// runner's, the hunt's, bench's current tree's) add so that the binaries are built as the tool
// is: nothing for a plain tool; for a hooked one, the hooked build's environment, its tag, and
// coverage counters in gVisor's TCP/IP, which the -fuzz builds of covbuild otherwise leave out
// as they leave out every dependency.
func testBuild() (env []string, tags string, gcflags []string, err error) {
	if !launch.Hooked {
		return nil, "", nil, nil
	}
	modroot, err := launch.ModRoot()
	if err != nil {
		return nil, "", nil, err
	}
	b, err := launch.Ensure(modroot)
	if err != nil {
		return nil, "", nil, err
	}
	return b.Env, b.Tags, []string{"-gcflags=" + gvisorInstrumented + "="}, nil
}
