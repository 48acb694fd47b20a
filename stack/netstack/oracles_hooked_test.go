//go:build sockfuzz_hooked

package netstack_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/refs"
	gstack "gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack/netstack"
	"github.com/sockfuzz/sockfuzz/stack/netstack/gvpatch"
)

// parseOracleProg parses testdata/oracles/name.
func parseOracleProg(t *testing.T, name string) *repro.Program {
	t.Helper()
	return readProgram(t, filepath.Join("testdata", "oracles", name))
}

// titles returns the titles of o's reports.
func titles(o *repro.Outcome) []string {
	var ts []string
	for _, r := range o.Reports {
		ts = append(ts, r.Title)
	}
	return ts
}

// TestNetstackOracleFaults makes each accept-queue violation by hand with a self-test fault of
// the hooked build, and checks that the oracle reports it, and nothing without the fault.
func TestNetstackOracleFaults(t *testing.T) {
	for _, tc := range []struct {
		prog  string
		fault int
		title string
	}{
		{"accept.prog", gvpatch.FaultLoseAccepted, "netstack: accept queue accounting"},
		{"backlog.prog", gvpatch.FaultSkipFullCheck, "netstack: connection queued on a full accept queue without passing its check"},
	} {
		t.Run(tc.prog, func(t *testing.T) {
			p := parseOracleProg(t, tc.prog)
			o := executeWatched(t, tc.prog, p, repro.Options{})
			if len(o.Reports) != 0 || o.Live != 0 {
				t.Fatalf("faults off: reports %v, %d threads alive", o.Reports, o.Live)
			}
			netstack.SetSelfTestFaults(1 << tc.fault)
			o = executeWatched(t, tc.prog, p, repro.Options{})
			netstack.SetSelfTestFaults(0)
			if !slices.Contains(titles(o), tc.title) {
				t.Errorf("fault %d: reports %q, want %q", tc.fault, titles(o), tc.title)
			}
		})
	}
}

// TestNetstackRefsLeak leaks a packet buffer into refs' live object map while a Controlled
// execution runs (its leak checking is on from New to Release): the end oracle reports it by
// type, and Release leaves nothing of it to the next execution, which is clean.
func TestNetstackRefsLeak(t *testing.T) {
	p := parseOracleProg(t, "accept.prog")
	opt := repro.Options{}
	// Execute has no hook between New and the first thread: the test turns leak checking on
	// itself, as New does, and makes the buffer just before.
	refs.SetLeakMode(refs.LeaksLogWarning)
	leaked := gstack.NewPacketBuffer(gstack.PacketBufferOptions{Payload: buffer.MakeWithData([]byte("leak"))})
	o := executeWatched(t, "accept.prog", p, opt)
	var found bool
	for _, r := range o.Reports {
		if r.Title == "netstack: refs leak" && strings.Contains(r.Detail, "PacketBuffer") && !strings.Contains(r.Detail, "0x") {
			found = true
		} else {
			t.Errorf("unexpected report %v", r)
		}
	}
	if !found {
		t.Errorf("reports %v, want a refs leak naming the packet buffer's type", o.Reports)
	}
	if m := refs.GetLeakMode(); m != refs.NoLeakChecking {
		t.Errorf("leak mode after Release: %v, want off", m)
	}
	// The buffer is dropped, not released: refs no longer tracks it, and its DecRef with
	// leak checking on would panic on an object it never registered.
	_ = leaked
	if o := executeWatched(t, "accept.prog", p, opt); len(o.Reports) != 0 {
		t.Errorf("next execution: reports %v, want none", o.Reports)
	}
}
