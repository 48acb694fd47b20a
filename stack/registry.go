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

// TargetName is the name a program header's target line means: name, or DefaultTarget for
// none.
func TargetName(name string) string {
	if name == "" {
		return DefaultTarget
	}
	return name
}

// Lookup returns the target called name; "" is DefaultTarget. An unknown name is an error that
// lists the registered ones.
func Lookup(name string) (Target, error) {
	name = TargetName(name)
	registryMu.RLock()
	t, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown target %q (registered: %s)", name, strings.Join(Targets(), ", "))
	}
	return t, nil
}

// MustLookup is Lookup for a target the caller links in (stack/targets): it panics when the
// target is not registered, a programming error.
func MustLookup(name string) Target {
	t, err := Lookup(name)
	if err != nil {
		panic(err)
	}
	return t
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
