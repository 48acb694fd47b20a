// Package covbuild builds fuzz test binaries as the main job runs them: with go test -fuzz's
// coverage instrumentation in this module's packages but the substrate's.
//
// The substrate (stack/sched) runs the schedule: its branches follow the choices of the
// chooser, not the program, so its counters tell the engine nothing about the program and, in a
// -fuzz build, cost nearly half of an input's time (docs/bench.md). The libFuzzer builds leave it
// out with go-118-fuzz-build's -preserve (tools/oss-fuzz/build.sh); go test has no such flag,
// and its -gcflags cannot take -d=libfuzzer back, because cmd/go appends its own -d=libfuzzer
// after the user's flags. So a build made here marks each uninstrumented package with
// -gcflags=PKG=Marker and runs the compiler through `sockfuzz toolexec`, which drops the marker
// and every libfuzzer setting from a marked package's compile.
//
// The marker is part of the package's build cache key, so an uninstrumented object never
// stands in for an instrumented one. It is a debug key the compiler rejects, so that a build
// that names it without the wrapper fails rather than store an instrumented object under the
// marked key; its version changes whenever the wrapper's output would.
package covbuild

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Instrumented is the pattern of the packages a -fuzz build made here instruments: this
// module's. The standard library's and the dependencies' counters (fmt, strconv, sync, goleak,
// go-fuzz-headers) say nothing about the program, and the engine pays per input for each; the
// libFuzzer builds leave them out the same way (build.sh's -include).
const Instrumented = "github.com/sockfuzz/sockfuzz/..."

// Uninstrumented lists the packages of Instrumented that a -fuzz build made here leaves
// without coverage counters all the same (tools/oss-fuzz/build.sh's -preserve names the same):
// the substrate, and the BSD model's sanitizer, the oracle that watches every event of an
// execution. The sanitizer's branches say which checks ran on which event, which the model's
// own counters already say; instrumented, it was a quarter of a libFuzzer build's time, most of
// it its comparisons traced into libFuzzer (FuzzSockets, one worker, SOCKFUZZ_SCHEDULES=1:
// about 2,000 inputs/s with it instrumented, 3,800 without, docs/bench.md).
var Uninstrumented = []string{"github.com/sockfuzz/sockfuzz/stack/sched", "github.com/sockfuzz/sockfuzz/stack/bsd/sanitizer"}

// Marker is the compiler flag that marks a package to be compiled without instrumentation.
const Marker = "-d=sockfuzz-uninstrumented-v1"

// Args returns the go build flags that instrument Instrumented but Uninstrumented, given the
// path of a sockfuzz executable to run as the toolexec wrapper.
func Args(sockfuzz string) []string {
	return args(sockfuzz, Instrumented, Uninstrumented)
}

// args marks every package, then unmarks the instrumented pattern's and marks the
// uninstrumented ones again: for a package that several -gcflags patterns match, cmd/go takes
// the last.
func args(sockfuzz, instrumented string, uninstrumented []string) []string {
	args := []string{"-toolexec", quote(sockfuzz) + " toolexec", "-gcflags=all=" + Marker, "-gcflags=" + instrumented + "="}
	for _, p := range uninstrumented {
		args = append(args, "-gcflags="+p+"="+Marker)
	}
	return args
}

// SelfArgs is Args with this process's own executable as the wrapper: for a process that is
// sockfuzz (its main dispatches the toolexec command to Toolexec).
func SelfArgs() ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("covbuild: finding the sockfuzz executable for -toolexec: %w", err)
	}
	return Args(self), nil
}

// quote quotes a path for cmd/go's -toolexec, which splits its value into fields the way a
// shell would, with single or double quotes.
func quote(s string) string {
	if !strings.ContainsAny(s, " \t\n'\"") {
		return s
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// Filter returns the arguments of one tool invocation as the wrapper passes them on: a compile
// of a marked package loses the marker and every libfuzzer setting of its -d flags; anything
// else is unchanged.
func Filter(tool string, args []string) []string {
	// cmd/go passes the tool's full path, in the host's form; either separator ends a directory.
	name := tool[strings.LastIndexAny(tool, `/\`)+1:]
	name = strings.TrimSuffix(name, ".exe")
	if name != "compile" {
		return args
	}
	marked := false
	for _, a := range args {
		if a == Marker {
			marked = true
			break
		}
	}
	if !marked {
		return args
	}
	out := make([]string, 0, len(args))
	for _, a := range args {
		if a == Marker {
			continue
		}
		v, ok := strings.CutPrefix(a, "-d=")
		if !ok {
			out = append(out, a)
			continue
		}
		var keep []string
		for _, kv := range strings.Split(v, ",") {
			if kv == "libfuzzer" || strings.HasPrefix(kv, "libfuzzer=") {
				continue
			}
			keep = append(keep, kv)
		}
		if len(keep) > 0 {
			out = append(out, "-d="+strings.Join(keep, ","))
		}
	}
	return out
}

// Toolexec is the -toolexec wrapper: args are the tool's path and its arguments, as cmd/go
// passes them. It runs the tool with Filter's arguments, its standard streams this process's,
// and returns the exit code to leave with.
func Toolexec(args []string) (int, error) {
	if len(args) == 0 {
		return 2, errors.New("sockfuzz toolexec: no tool to run (it is the -toolexec wrapper of sockfuzz's -fuzz builds: go test -toolexec 'sockfuzz toolexec' ...)")
	}
	cmd := exec.Command(args[0], Filter(args[0], args[1:])...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if code := ee.ExitCode(); code > 0 {
			return code, nil
		}
		return 1, nil // killed by a signal
	}
	if err != nil {
		return 1, fmt.Errorf("sockfuzz toolexec: %w", err)
	}
	return 0, nil
}
