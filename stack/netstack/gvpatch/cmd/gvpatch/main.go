// Command gvpatch generates the hooked build of gVisor for the repository it runs in (see
// package gvpatch) and prints the environment that selects it.
//
//	go run ./stack/netstack/gvpatch/cmd/gvpatch [-modroot DIR] [-print-env]
//
// With -print-env it prints `export NAME='value'` lines for a shell's eval; otherwise the build
// directory.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack/netstack/gvpatch"
)

func main() {
	modroot := flag.String("modroot", ".", "the repository's root (its go.mod's directory)")
	printEnv := flag.Bool("print-env", false, "print export lines for the hooked build's environment")
	flag.Parse()
	b, err := gvpatch.Ensure(*modroot)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !*printEnv {
		fmt.Println(b.Dir)
		return
	}
	for _, kv := range b.Env {
		name, val, _ := strings.Cut(kv, "=")
		fmt.Printf("export %s='%s'\n", name, strings.ReplaceAll(val, "'", `'\''`))
	}
	fmt.Printf("# build with: go build -tags %s ...\n", b.Tags)
}
