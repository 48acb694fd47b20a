package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/sockfuzz/sockfuzz/repro"
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

// programTargetFlag declares the -target flag of a subcommand that reads programs: the stack
// target of the programs whose header names none. Its default, "", leaves every program on its
// own target line, and the programs without one on stack.DefaultTarget.
func programTargetFlag(fs *flag.FlagSet) *string {
	return fs.String("target", "", "stack target of the programs whose header names none: "+strings.Join(stack.Targets(), ", ")+
		" (default "+stack.DefaultTarget+"); a program naming another one is an error")
}

// programTarget resolves the stack target of program p, read from file: its own target line
// wins; the -target flag's value (flagName, "" when not given) is the target of a program that
// names none, and is then written into its header (unless it is the default, which a header
// without a target line already means); a program naming another target than the flag is an
// error naming the file.
func programTarget(file string, p *repro.Program, flagName string) (stack.Target, error) {
	if flagName != "" {
		ft, err := lookupTarget(flagName)
		if err != nil {
			return nil, err
		}
		switch {
		case p.Header.Target == "":
			if ft.Name() != stack.DefaultTarget {
				p.Header.Target = ft.Name()
			}
		case p.Header.Target != ft.Name():
			return nil, fmt.Errorf("%s: the program's target line names %s, -target %s", file, p.Header.Target, ft.Name())
		}
	}
	t, err := stack.Lookup(p.Header.Target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}
