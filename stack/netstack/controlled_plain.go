//go:build !sockfuzz_hooked

package netstack

import (
	"errors"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// errNeedHooked is New's answer to a Controlled execution in the plain build, where gVisor's
// goroutines and locks are not the substrate's.
var errNeedHooked = errors.New("netstack: controlled mode needs the hooked build (-tags sockfuzz_hooked)")

// startControlled installs the hooks that make gVisor run on in's execution, before the stack
// is built; the plain build has none.
func startControlled(*instance) error { return errNeedHooked }

// stopControlled undoes startControlled at Release.
func stopControlled(*instance) {}

// probe is the wake condition cond as is: in free mode it runs on the substrate's goroutines,
// where gVisor's locks are real ones.
func probe(cond func() bool) func() bool { return cond }

// joinGVisor waits for gVisor's own goroutines in Controlled mode; in free mode Stack.Wait
// does.
func joinGVisor(*sched.Thread) {}

// errFaultsNeedHooked is New's answer to a fault in the plain build, whose gVisor is unmodified.
var errFaultsNeedHooked = errors.New("netstack: faults need the hooked build (-tags sockfuzz_hooked; the sockfuzz tool builds it itself)")

// setFaults switches on the faults of fs: the plain build has none to switch.
func setFaults(fs stack.FaultSet) error {
	if fs != 0 {
		return errFaultsNeedHooked
	}
	return nil
}
