package repro

import (
	"slices"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The names of the threads an execution starts besides the target's own: the executor's and
// the substrate's. A process's thread is named after the process.
const (
	// ThreadWireScript runs the program's wire script.
	ThreadWireScript = "wire-script"
	// ThreadReaper joins the program's threads and tears the instance down.
	ThreadReaper = "reaper"
	// ThreadCallout is the substrate's thread that fires timers (sched.Timer).
	ThreadCallout = sched.CalloutThread
)

// ThreadRole tells the role of a thread of an execution of p that the executor or the
// substrate started, by its name: a process, the wire script, the reaper, the callout thread.
// For any other thread it returns false: that one is the target's, whose Role tells.
func ThreadRole(p *Program, name string) (stack.Role, bool) {
	switch name {
	case ThreadCallout:
		return stack.RoleClock, true
	case ThreadWireScript:
		return stack.RoleScript, true
	case ThreadReaper:
		return stack.RoleReaper, true
	}
	if slices.ContainsFunc(p.Procs, func(pr Proc) bool { return pr.Name == name }) {
		return stack.RoleProcess, true
	}
	return stack.RoleOther, false
}
