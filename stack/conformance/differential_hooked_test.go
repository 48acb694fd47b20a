//go:build sockfuzz_hooked && linux

package conformance

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
)

// TestNetstackLinuxDifferential runs every scenario of the table as a differential program,
// on Linux's sockets and on netstack (Controlled): every difference must be explained, by the
// rule of the step's deviation, and every step without a deviation must agree, up to the
// first hang.
func TestNetstackLinuxDifferential(t *testing.T) {
	tgt, err := stack.Lookup("netstack")
	if err != nil {
		t.Fatal(err)
	}
	ns := TargetSockets(tgt)
	explained := 0
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			r := LinuxDifferential(s.Steps, ns)
			if r.Failed() {
				t.Fatalf("\n%s", r)
			}
			for _, c := range r.Calls {
				st := s.Steps[c.Step]
				switch {
				case st.Netstack == nil && c.Rule != "":
					t.Errorf("step %d %s: explained by %s, but the table expects Linux's answer", c.Step, c.Call, c.Rule)
				case st.Netstack != nil && c.Rule != ruleOfSource[st.Netstack.Source]:
					t.Errorf("step %d %s: rule %q, the table's deviation is %s", c.Step, c.Call, c.Rule, ruleOfSource[st.Netstack.Source])
				case c.Rule != "":
					explained++
				}
			}
		})
	}
	t.Logf("%d scenarios, %d differences explained", len(Scenarios()), explained)
}
