//go:build sockfuzz_hooked

package fuzz

import (
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/repro"
)

// TestNetstackHuntPassesStacksOwn checks that a run hunting a fault passes an input whose
// failure gVisor shows with the faults off too, and still fails one the fault alone makes: the
// finding netstack-shutdown-abort-writer and the witness of shutdown-no-writer-wakeup report
// the same title ("lost wakeup: blocked in send ..."), one with the faults off, one only with
// the fault.
func TestNetstackHuntPassesStacksOwn(t *testing.T) {
	load := func(files []corpus.CrasherFile, name string) *repro.Program {
		t.Helper()
		for _, f := range files {
			if strings.HasSuffix(f.Name, name) {
				c, err := f.Crasher()
				if err != nil {
					t.Fatal(err)
				}
				return c.Program
			}
		}
		t.Fatalf("no %s", name)
		return nil
	}
	tests := []struct {
		name string
		p    *repro.Program
		fail bool
	}{
		{"finding, faults off too", load(corpus.Findings(), "netstack-shutdown-abort-writer.prog"), false},
		{"witness, the fault's own", load(corpus.Witnesses(), "shutdown-no-writer-wakeup.prog"), true},
	}
	t.Setenv(EnvTarget, "netstack")
	t.Setenv(EnvFaults, "shutdown-no-writer-wakeup")
	h := NewHarness(NetstackSockets)
	if h.opt.Faults == 0 {
		t.Fatal("the harness did not take the fault")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := *tc.p
			p.Header.Faults = nil
			out, err := repro.Execute(&p, h.opt) // the hunt's fault on
			if err != nil {
				t.Fatal(err)
			}
			if !out.Failed() {
				t.Fatal("clean with the fault on")
			}
			if own := h.stacksOwn(&p, out.Title()); own == tc.fail {
				t.Fatalf("%q: stacksOwn %v, want %v", out.Title(), own, !tc.fail)
			}
		})
	}
}
