package stack

import (
	"fmt"
	"strings"
)

// Fault describes one fault of a target's catalog: a named switch that removes one protection
// of the stack and re-creates a real bug.
type Fault struct {
	// Name is its stable name, as programs (`faults a,b`) and SOCKFUZZ_FAULTS spell it.
	Name string
	// Recreates is the historical bug it re-creates, with its source (a commit, an issue).
	Recreates string
	// Oracle is the oracle expected to catch it (a report's Oracle).
	Oracle string
}

// FaultSet is a set of faults of one target's catalog: bit i is the catalog's fault i. The
// zero value is the correct stack.
type FaultSet uint64

// FaultByName returns the fault of t called name and its bit.
func FaultByName(t Target, name string) (Fault, FaultSet, bool) {
	for i, f := range t.Faults() {
		if f.Name == name {
			return f, 1 << i, true
		}
	}
	return Fault{}, 0, false
}

// ParseFaults resolves fault names against t's catalog; an unknown name is an error that
// lists the catalog.
func ParseFaults(t Target, names []string) (FaultSet, error) {
	var fs FaultSet
	for _, n := range names {
		_, bit, ok := FaultByName(t, n)
		if !ok {
			return 0, fmt.Errorf("unknown fault %q of target %s (known: %s)", n, t.Name(), strings.Join(FaultNames(t), ", "))
		}
		fs |= bit
	}
	return fs, nil
}

// FaultNames returns the names of t's catalog, in order.
func FaultNames(t Target) []string {
	cat := t.Faults()
	names := make([]string, len(cat))
	for i, f := range cat {
		names[i] = f.Name
	}
	return names
}

// AllFaults is the set of every fault of t's catalog.
func AllFaults(t Target) FaultSet { return FaultSet(1)<<len(t.Faults()) - 1 }
