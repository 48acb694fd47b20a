package repro

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
)

// TestThreadRole runs a program with processes, a wire script and timers, and checks that
// ThreadRole knows every thread the executor and the substrate started by the names they gave
// them, and leaves the target's own threads to the target.
func TestThreadRole(t *testing.T) {
	src := `proc p0
  r0 = socket(tcp)
  bind(r0, :2000)
  connect(r0, 10.0.0.2:4000)
  close(r0)
proc p1
  interrupt(p0)
wire
  tick 100
  < 10.0.0.2:4000 > :2000 S 0:0(0) ack 1
`
	p, err := Parse("roles.prog", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	o, err := Execute(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tgt, err := stack.Lookup(p.Header.Target)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]stack.Role{"p0": stack.RoleProcess, "p1": stack.RoleProcess, ThreadWireScript: stack.RoleScript,
		ThreadReaper: stack.RoleReaper, ThreadCallout: stack.RoleClock}
	seen := map[string]bool{}
	for _, name := range o.Threads {
		role, ok := ThreadRole(p, name)
		if w, mine := want[name]; mine {
			seen[name] = true
			if !ok || role != w {
				t.Errorf("thread %s: role %v %v, want %v", name, role, ok, w)
			}
			continue
		}
		if ok {
			t.Errorf("thread %s: ThreadRole claims it (%v); it is the target's", name, role)
		}
		if r := tgt.Role(name); r == stack.RoleOther {
			t.Errorf("thread %s: neither the executor's nor a role of target %s", name, tgt.Name())
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("no thread %s in the execution (threads %q): the executor names its threads otherwise", name, o.Threads)
		}
	}
}
