//go:build sockfuzz_hooked

package netstack

import (
	"gvisor.dev/gvisor/pkg/sockfuzzhook"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/netstack/control"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// binding is the hooks of the controlled execution in progress: one at a time per process
// (netstackMu), so the hooks, which gVisor finds through a process-wide pointer, find it too.
var binding *control.Binding

// startControlled installs the hooks that make gVisor run on in's execution, before the stack
// is built: its goroutines become threads, its locks, sleepers and channel waits the
// substrate's, and its TCP processors number Config.CPUs.
func startControlled(in *instance) error {
	binding = control.New(in.e)
	binding.ThreadNames = map[string]string{"tcp.dispatcher.startLocked": "tcp-processor"}
	sockfuzzhook.ResetIDs()
	sockfuzzhook.SetProcessors(max(in.cfg.CPUs, 1))
	sockfuzzhook.SetRandom(in.rng)
	sockfuzzhook.Install(binding)
	return nil
}

// stopControlled uninstalls the hooks at Release.
func stopControlled(*instance) {
	sockfuzzhook.Uninstall()
	sockfuzzhook.SetProcessors(0)
	sockfuzzhook.SetRandom(nil)
	binding = nil
}

// probe evaluates a wake condition that takes gVisor's locks. At quiescence Run's goroutine
// evaluates it outside any thread: a lock a blocked thread holds makes it false.
func probe(cond func() bool) func() bool {
	return func() bool {
		if b := binding; b != nil {
			return b.Probe(cond)
		}
		return cond()
	}
}

// joinGVisor waits, on t, for the threads gVisor started (its TCP processors) to exit: after
// Stack.Close they do, and Stack.Wait then finds its WaitGroup at zero.
func joinGVisor(t *sched.Thread) {
	if b := binding; b != nil {
		for _, th := range b.Threads() {
			_ = t.Join(th)
		}
	}
}

// selfTestFaults are oracle self-test bits (gvpatch.FaultLoseAccepted, FaultSkipFullCheck)
// that only the oracles' tests set, kept on beside every execution's faults.
var selfTestFaults uint64

// setFaults switches on the faults of fs (gvpatch.Faults' bits): in both modes, since the
// hunt's -race stress baseline runs them free.
func setFaults(fs stack.FaultSet) error {
	sockfuzzhook.SetFaults(uint64(fs) | selfTestFaults)
	return nil
}
