// Package bsdtarget is the "bsd" target: the DragonFly BSD model of package bsd, with the
// oracles of package sanitizer, behind the stack.Target interface. It registers itself; the
// program layer finds it by name (it is stack.DefaultTarget).
package bsdtarget

import (
	"strings"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/bsd/sanitizer"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Name is the target's name.
const Name = "bsd"

func init() { stack.Register(Target{}) }

// Target is the DragonFly model as a stack.Target.
type Target struct{}

// calls is every system call of the program language: the model makes them all.
var calls = []string{"socket", "bind", "listen", "connect", "accept", "send", "sendto", "recv",
	"recvfrom", "shutdown", "close", "dup", "ioctl", "fcntl", "setsockopt", "getsockopt",
	"sockatmark", "poll", "interrupt"}

// catalog is the model's fault catalog in the boundary's terms; bsd.Catalog is in bit order,
// so stack.FaultSet's bit i is bsd.Catalog[i].Fault.
var catalog = func() []stack.Fault {
	out := make([]stack.Fault, len(bsd.Catalog))
	for i, fi := range bsd.Catalog {
		if fi.Fault != 1<<i {
			panic("bsd.Catalog is not in bit order: " + fi.Name)
		}
		out[i] = stack.Fault{Name: fi.Name, Recreates: fi.Recreates, Oracle: fi.Oracle}
	}
	return out
}()

// Name implements stack.Target.
func (Target) Name() string { return Name }

// Calls implements stack.Target.
func (Target) Calls() []string { return calls }

// Faults implements stack.Target.
func (Target) Faults() []stack.Fault { return catalog }

// Role implements stack.Target: the model's protocol threads are netisr0 to netisr3, its wire
// thread "wire".
func (Target) Role(thread string) stack.Role {
	switch {
	case strings.HasPrefix(thread, "netisr"):
		return stack.RoleProtocol
	case thread == "wire":
		return stack.RoleWire
	}
	return stack.RoleOther
}

// ClassifyPanic implements the optional panic classification the executor asks targets for:
// the model's SS_NOFDREF assertions are use-after-soclose reports.
func (Target) ClassifyPanic(line string) (oracleName, title string, ok bool) {
	return sanitizer.ClassifyPanic(line)
}

// New implements stack.Target.
func (Target) New(e *sched.Exec, cfg stack.Config) (stack.Instance, error) {
	in := &instance{}
	bcfg := bsd.Config{CPUs: cfg.CPUs, Faults: bsd.Faults(cfg.Faults)}
	if cfg.Reporter != nil {
		in.checker = sanitizer.NewChecker(cfg.Reporter)
		bcfg.Observer = in.checker
	}
	in.st = bsd.New(e, bcfg)
	if in.checker != nil {
		in.checker.Attach(in.st)
		e.OnIdle(func(step int) { in.checker.Idle(in.st, step) })
		in.oracles = []oracle.Oracle{in.checker}
	}
	return in, nil
}

// instance is the model in one execution.
type instance struct {
	st      *bsd.Stack
	checker *sanitizer.Checker
	oracles []oracle.Oracle
}

// Stack returns the model behind an instance of this target, for tools and tests that look
// inside it (snapshots, leaks); nil for another target's instance.
func Stack(in stack.Instance) *bsd.Stack {
	if i, ok := in.(*instance); ok {
		return i.st
	}
	return nil
}

func (in *instance) NewProc(name string, th *sched.Thread) stack.Proc {
	return proc{in.st.NewProc(name, th)}
}
func (in *instance) Inject(t *sched.Thread, seg stack.Segment) { in.st.Inject(t, seg) }
func (in *instance) WireDrop(t *sched.Thread)                  { in.st.WireDrop(t) }
func (in *instance) WireDup(t *sched.Thread)                   { in.st.WireDup(t) }
func (in *instance) WireReorder(t *sched.Thread)               { in.st.WireReorder(t) }
func (in *instance) Tick(t *sched.Thread, d sched.Duration)    { in.st.Tick(t, d) }
func (in *instance) TwoMSL() sched.Duration                    { return bsd.TwoMSL }
func (in *instance) Teardown(t *sched.Thread)                  { in.st.Teardown(t) }
func (in *instance) Oracles() []oracle.Oracle                  { return in.oracles }

func (in *instance) Release() {
	in.st.Release()
	if in.checker != nil {
		in.checker.Release()
	}
	*in = instance{}
}

// proc is a model process as a stack.Proc.
type proc struct{ *bsd.Proc }

// Interrupt implements stack.Proc: the target is a process of the same instance.
func (p proc) Interrupt(t *sched.Thread, target stack.Proc) stack.Errno {
	return p.Proc.Interrupt(t, target.(proc).Proc)
}
