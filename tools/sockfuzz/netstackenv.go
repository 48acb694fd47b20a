package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack/netstack/launch"
)

// hookedTagsVar is the variable netstack-env exports the hooked build's tag in.
const hookedTagsVar = "SOCKFUZZ_HOOKED_TAGS"

// netstackEnvCmd is `sockfuzz netstack-env`: it generates (or finds) the hooked build of gVisor
// for the module it runs in and prints, for a shell's eval, the export lines of its environment
// and of its tag (hookedTagsVar). tools/oss-fuzz/build.sh builds the FuzzNetstack targets so.
func netstackEnvCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("netstack-env", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sockfuzz netstack-env: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	modroot, err := launch.ModRoot()
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz netstack-env: %v\n", err)
		return 1
	}
	b, err := launch.Ensure(modroot)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz netstack-env: %v\n", err)
		return 1
	}
	for _, kv := range b.Env {
		name, val, _ := strings.Cut(kv, "=")
		fmt.Fprintln(stdout, exportLine(name, val))
	}
	fmt.Fprintln(stdout, exportLine(hookedTagsVar, b.Tags))
	return 0
}

// exportLine is a POSIX shell's `export NAME='value'`, the value single-quoted.
func exportLine(name, val string) string {
	return fmt.Sprintf("export %s='%s'", name, strings.ReplaceAll(val, "'", `'\''`))
}
