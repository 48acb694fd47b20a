package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/stack"
)

// faultsCmd lists the fault catalog: each fault's name, the oracle expected to catch it, the
// historical bug it re-creates and its witness's title.
func faultsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("faults", flag.ContinueOnError)
	fs.SetOutput(stderr)
	names := fs.Bool("names", false, "print only the names, one per line")
	tname := targetFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	tgt, err := lookupTarget(*tname)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz faults: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sockfuzz faults: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *names {
		fmt.Fprintln(stdout, strings.Join(stack.FaultNames(tgt), "\n"))
		return 0
	}
	witness := map[string]string{} // looked up by fault name, never iterated
	for _, f := range corpus.Witnesses() {
		if c, err := f.Crasher(); err == nil && len(c.Program.Header.Faults) == 1 && stack.TargetName(c.Program.Header.Target) == tgt.Name() {
			witness[c.Program.Header.Faults[0]] = c.Title
		}
	}
	for _, fi := range tgt.Faults() {
		fmt.Fprintf(stdout, "%s\n  re-creates: %s\n  caught by:  %s\n", fi.Name, fi.Recreates, fi.Oracle)
		if w, ok := witness[fi.Name]; ok {
			fmt.Fprintf(stdout, "  witness:    corpus/crashers/witnesses/%s.prog (%s)\n", fi.Name, w)
		} else {
			fmt.Fprintf(stdout, "  witness:    none yet\n")
		}
	}
	return 0
}
