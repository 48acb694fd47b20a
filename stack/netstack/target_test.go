package netstack

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
)

// TestClassifyPanic checks the titles of gVisor's invariant panics, and that another panic is
// left to the generic crash oracle.
func TestClassifyPanic(t *testing.T) {
	for _, tc := range []struct {
		line, oracle string
	}{
		{"unexpected tcp state in processor: Bound", "tcp-state"},
		{"e.UnlockUser() called without calling e.LockUser()", "lock-misuse"},
		{"Decrementing non-positive ref count 0x1234, owned by tcp.segment", "use-after-close"},
		{"Leak checking detected 3 leaked objects", "leak"},
		{"runtime error: index out of range", ""},
	} {
		o, title, ok := Target{}.ClassifyPanic(tc.line)
		if o != tc.oracle || ok != (tc.oracle != "") || (ok && title == "") {
			t.Errorf("ClassifyPanic(%q) = %q, %q, %v; want oracle %q", tc.line, o, title, ok, tc.oracle)
		}
	}
}

// TestRole checks the roles of the threads the target starts.
func TestRole(t *testing.T) {
	for name, want := range map[string]stack.Role{
		"tcp-processor#0": stack.RoleProtocol, wireThread: stack.RoleWire,
		"timer:tcp.(*Endpoint).foo#3": stack.RoleClock, "p0": stack.RoleOther,
	} {
		if got := (Target{}).Role(name); got != want {
			t.Errorf("Role(%q) = %v, want %v", name, got, want)
		}
	}
}
