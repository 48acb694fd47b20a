// Package netstack is the "netstack" target: gVisor's TCP/IP stack (gvisor.dev/gvisor/pkg/tcpip)
// behind the stack.Target interface, with the descriptor layer of gVisor's sentry
// (pkg/sentry/socket/netstack) written here: a descriptor table shared by the program's
// processes, files that a call holds while it runs, an endpoint released when its last
// reference drops, and blocking calls that register on the endpoint's waiter queue, retry and
// sleep on the substrate.
//
// In the plain build (gVisor unmodified, from the module cache) the target runs in Free mode
// only: gVisor's processors and timers are real goroutines. Controlled mode needs the hooked
// build (docs/netstack-design.md); New refuses it here.
//
// One netstack execution runs at a time per process (netstackMu): the hooks of the hooked build
// find their execution through a process-wide pointer.
package netstack

import (
	"strings"
	"sync"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/netstack/gvpatch"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Name is the target's name.
const Name = "netstack"

func init() { stack.Register(Target{}) }

// Target is gVisor's netstack as a stack.Target.
type Target struct{}

// calls is netstack's profile. Out of it: fcntl (F_SETOWN) and SIGIO belong to the sentry, and
// sockatmark (SIOCATMARK) is implemented by neither netstack nor the sentry. ioctl is in it for
// FIONBIO only; the boundary names calls, not their operations, so FIOASYNC validates and
// returns EOPNOTSUPP. The wire operations unreach and stackclose, which not every target has,
// are listed too (instance.WireUnreach, instance.StackClose).
var calls = []string{"socket", "bind", "listen", "connect", "accept", "send", "sendto", "recv",
	"recvfrom", "shutdown", "close", "dup", "ioctl", "setsockopt", "getsockopt", "poll",
	"interrupt", stack.CallWireUnreach, stack.CallWireStackClose}

// Name implements stack.Target.
func (Target) Name() string { return Name }

// Calls implements stack.Target.
func (Target) Calls() []string { return calls }

// Faults implements stack.Target: gVisor's historical concurrency bugs, brought back by edits
// of the hooked build (gvpatch.Faults, docs/netstack-design.md §5). The plain build knows
// their names but cannot run them: New refuses a fault there.
func (Target) Faults() []stack.Fault { return catalog }

var catalog = func() []stack.Fault {
	out := make([]stack.Fault, len(gvpatch.Faults))
	for i, f := range gvpatch.Faults {
		out[i] = stack.Fault{Name: f.Name, Recreates: f.Recreates, Oracle: f.Oracle}
	}
	return out
}()

// Role implements stack.Target.
func (Target) Role(thread string) stack.Role {
	switch {
	case strings.HasPrefix(thread, "tcp-processor"):
		return stack.RoleProtocol
	case thread == wireThread:
		return stack.RoleWire
	case strings.HasPrefix(thread, "timer:"):
		return stack.RoleClock
	}
	return stack.RoleOther
}

// panicTitles are gVisor's invariant panics the target names, by the start of their message.
var panicTitles = []struct{ prefix, oracle, title string }{
	{"unexpected tcp state in processor", "tcp-state", "netstack: unexpected tcp state in processor"},
	{"e.UnlockUser() called without calling e.LockUser()", "lock-misuse", "netstack: UnlockUser without LockUser"},
	{"Decrementing non-positive ref count", "use-after-close", "netstack: ref count decremented below zero"},
	{"Leak checking detected", "leak", "netstack: refs leak"},
}

// ClassifyPanic implements the optional panic classification the executor asks targets for.
func (Target) ClassifyPanic(line string) (oracleName, title string, ok bool) {
	for _, p := range panicTitles {
		if strings.Contains(line, p.prefix) {
			return p.oracle, p.title, true
		}
	}
	return "", "", false
}

// netstackMu is held by an instance from New to Release: one netstack execution at a time per
// process (docs/netstack-design.md, decision 5).
var netstackMu sync.Mutex

// New implements stack.Target.
func (Target) New(e *sched.Exec, cfg stack.Config) (stack.Instance, error) {
	netstackMu.Lock()
	in, err := newInstance(e, cfg)
	if err != nil {
		netstackMu.Unlock()
		return nil, err
	}
	return in, nil
}
