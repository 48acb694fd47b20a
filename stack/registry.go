package stack

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// DefaultTarget is the target of a program whose header names none: the DragonFly model, so
// that every program written before targets existed keeps its meaning.
const DefaultTarget = "bsd"

var (
	registryMu sync.RWMutex
	registry   = map[string]Target{}
)

// Register makes a target available by its name. It panics when the name is taken or empty,
// as database/sql.Register does: registration happens in init functions, and a clash is a
// programming error.
func Register(t Target) {
	registryMu.Lock()
	defer registryMu.Unlock()
	name := t.Name()
	if name == "" || strings.ContainsAny(name, " \t\n,") {
		panic(fmt.Sprintf("stack: bad target name %q", name))
	}
	if _, dup := registry[name]; dup {
		panic("stack: target " + name + " registered twice")
	}
	registry[name] = t
}

// Lookup returns the target called name; "" is DefaultTarget. An unknown name is an error that
// lists the registered ones.
func Lookup(name string) (Target, error) {
	if name == "" {
		name = DefaultTarget
	}
	registryMu.RLock()
	t, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown target %q (registered: %s)", name, strings.Join(Targets(), ", "))
	}
	return t, nil
}

// Targets returns the registered targets' names, sorted.
func Targets() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Supports reports whether target t makes the system call named call.
func Supports(t Target, call string) bool { return slices.Contains(t.Calls(), call) }
