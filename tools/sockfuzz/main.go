// Command sockfuzz drives the sockfuzz harness: fuzzing, replay, minimization, the fault hunt,
// the fault catalog, corpus conversion and trace views.
//
// Subcommands not built yet say so plainly and exit with status 2.
package main

import (
	"fmt"
	"io"
	"os"
)

// subcommands lists what the tool will do and which part of the project each needs.
var subcommands = []struct{ name, needs string }{
	{"fuzz", "the continuous runner (issue 6); meanwhile run go test ./fuzz -run XXX -fuzz '^FuzzSockets$'"},
	{"faults", "the fault catalog (issue 5)"},
}

func main() {
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
	if args[0] == "trace" {
		return traceCmd(args[1:], stdout, stderr)
	}
	if args[0] == "hunt" {
		return huntCmd(args[1:], stdout, stderr)
	}
	if args[0] == "convert" {
		return convertCmd(args[1:], stdout, stderr)
	}
	for _, c := range subcommands {
		if c.name == args[0] {
			fmt.Fprintf(stderr, "sockfuzz %s: not built yet: it needs %s.\n", c.name, c.needs)
			fmt.Fprintln(stderr, "What exists today: sockfuzz replay, the fuzz targets in ./fuzz, and go test ./...")
			return 2
		}
	}
	fmt.Fprintf(stderr, "sockfuzz: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sockfuzz <command> [flags]")
	fmt.Fprintln(w, "commands:")
	fmt.Fprintln(w, "  replay    replay programs: sockfuzz replay [-mode controlled|free] [-runs N] [-trace N] FILE...")
	fmt.Fprintln(w, "  minimize  shrink a failing program: sockfuzz minimize [-title T] [-seeds N] [-candidates N] [-o OUT] [-store DIR] FILE")
	fmt.Fprintln(w, "  trace     draw one run as an HTML page: sockfuzz trace [-events N] -html OUT.html FILE")
	fmt.Fprintln(w, "  convert   convert programs and fuzz inputs: sockfuzz convert [-from auto|text|gofuzz|libfuzzer] -to text|gofuzz|libfuzzer [-target FuzzX] [-o OUT] FILE...")
	fmt.Fprintln(w, "  hunt      time each strategy to expose each fault: sockfuzz hunt [-faults a,b] [-strategies s,...] [-trials N] [-trials-by s=N,...] [-cap 90s] [-jobs 2] [-results F] [-report F] [-report-only]")
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-9s (not built yet: needs %s)\n", c.name, c.needs)
	}
}
