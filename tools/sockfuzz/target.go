package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack"
	_ "github.com/sockfuzz/sockfuzz/stack/targets" // every built-in target, by name
)

// targetFlag declares a subcommand's -target flag: the stack target, by its registered name.
func targetFlag(fs *flag.FlagSet) *string {
	return fs.String("target", stack.DefaultTarget, "stack target: "+strings.Join(stack.Targets(), ", "))
}

// lookupTarget resolves a -target value, with an error naming the flag.
func lookupTarget(name string) (stack.Target, error) {
	t, err := stack.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("-target: %w", err)
	}
	return t, nil
}
