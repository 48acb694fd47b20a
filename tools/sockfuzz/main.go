// Command sockfuzz drives the sockfuzz harness: fuzzing, replay, minimization, the fault hunt,
// the fault catalog, corpus conversion, trace views and the engine's speed (bench).
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/covbuild"
)

func main() {
	// A command that involves netstack runs on the hooked build (hooked.go).
	if code, ok := runHooked(os.Args[1:], os.Stderr); ok {
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so that tests can drive it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	if args[0] == "replay" {
		return replayCmd(args[1:], stdout, stderr)
	}
	if args[0] == "minimize" {
		return minimizeCmd(args[1:], stdout, stderr)
	}
	if args[0] == "search" {
		return searchCmd(args[1:], stdout, stderr)
	}
	if args[0] == "kinds" {
		return kindsCmd(args[1:], stdout, stderr)
	}
	if args[0] == "trace" {
		return traceCmd(args[1:], stdout, stderr)
	}
	if args[0] == "faults" {
		return faultsCmd(args[1:], stdout, stderr)
	}
	if args[0] == "fuzz" {
		return fuzzCmd(args[1:], stdout, stderr)
	}
	if args[0] == "hunt" {
		return huntCmd(args[1:], stdout, stderr)
	}
	if args[0] == "convert" {
		return convertCmd(args[1:], stdout, stderr)
	}
	if args[0] == "upgrade-corpus" {
		return upgradeCmd(args[1:], stdout, stderr)
	}
	if args[0] == "bench" {
		return benchCmd(args[1:], stdout, stderr)
	}
	if args[0] == "corpus-stats" {
		return corpusStatsCmd(args[1:], stdout, stderr)
	}
	if args[0] == "mutate" {
		return mutateCmd(args[1:], stdout, stderr)
	}
	if args[0] == "netstack-env" {
		return netstackEnvCmd(args[1:], stdout, stderr)
	}
	if args[0] == "toolexec" {
		// Not for people: the -toolexec wrapper of this command's own -fuzz builds (covbuild).
		code, err := covbuild.Toolexec(args[1:])
		if err != nil {
			fmt.Fprintln(stderr, err)
		}
		return code
	}
	fmt.Fprintf(stderr, "sockfuzz: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sockfuzz <command> [flags]")
	fmt.Fprintln(w, "commands:")
	fmt.Fprintln(w, "  replay    replay programs: sockfuzz replay [-mode controlled|free] [-runs N] [-trace N] [-target T] FILE...")
	fmt.Fprintln(w, "  minimize  shrink a failing program: sockfuzz minimize [-title T] [-seeds N] [-candidates N] [-o OUT] [-store DIR] [-target T] FILE")
	fmt.Fprintln(w, "  search    find a failing schedule of a program, systematically: sockfuzz search [-changes 1|2] [-window N] [-title T] [-budget N] [-o OUT] [-target T] FILE")
	fmt.Fprintln(w, "  kinds     how often each kind of derived schedule exposes programs' failures: sockfuzz kinds [-runs N] [-kinds k,...] [-target T] FILE...")
	fmt.Fprintln(w, "  trace     draw one run as an HTML page: sockfuzz trace [-events N] [-target T] -html OUT.html FILE")
	fmt.Fprintln(w, "  faults    list the fault catalog: sockfuzz faults [-names] [-target T]")
	fmt.Fprintln(w, "  convert   convert programs and fuzz inputs: sockfuzz convert [-from auto|text|gofuzz|libfuzzer] -to text|gofuzz|libfuzzer [-fuzz-target FuzzX] [-target T] [-o OUT] FILE...")
	fmt.Fprintln(w, "  fuzz      run the fuzz targets continuously, storing new crashers: sockfuzz fuzz [-targets a,b] [-duration 2m] [-jobs N] [-faults a,b] [-target T] [-workdir .sockfuzz] [-store corpus/crashers] [-libfuzzer DIR]")
	fmt.Fprintln(w, "  hunt      time each strategy to expose each fault: sockfuzz hunt [-faults a,b] [-target T] [-fuzz-target FuzzX] [-strategies s,...] [-trials N] [-trials-by s=N,...] [-cap 90s] [-jobs 2] [-results F] [-report F] [-report-only]")
	fmt.Fprintln(w, "  corpus-stats  what a fuzz corpus reached beyond its seeds: sockfuzz corpus-stats [-fuzz-target FuzzX] DIR...")
	fmt.Fprintln(w, "  mutate    score the fuzzer on mutants of a target's source: sockfuzz mutate [-target T] [-ops a,b] [-list] [-sample N] [-seed S] [-results F] [-report F] [-report-only] [-suite-timeout 5m] [-budget 5m] [-workdir DIR]")
	fmt.Fprintln(w, "  upgrade-corpus  convert stored fuzz inputs to the current byte form, once: sockfuzz upgrade-corpus [-n] DIR...")
	fmt.Fprintln(w, "  netstack-env  generate the hooked build of gVisor and print its environment for a shell's eval: eval \"$(sockfuzz netstack-env)\"")
	fmt.Fprintln(w, "  bench     measure the engine's speed side by side: sockfuzz bench [-duration 15s] [-rounds 3] [-jobs 2] [-ref REV] [-libfuzzer auto|on|off] [-only ceiling,cost,libfuzzer] [-workdir DIR] [-json FILE]")
}
