package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/netstack/launch"
)

// TestNeedsHooked is the re-exec decision: which command lines involve netstack.
func TestNeedsHooked(t *testing.T) {
	plain := []string{"FuzzSockets", "FuzzReproText"}
	withNetstack := []string{"FuzzSockets", "FuzzNetstackSockets", "FuzzReproText"}
	tests := []struct {
		args []string
		all  []string // the fuzz cycle's default
		want bool
	}{
		{nil, plain, false},
		{[]string{"help"}, plain, false},
		{[]string{"bench", "-target", "netstack"}, plain, false}, // bench has no -target
		{[]string{"faults"}, plain, false},
		{[]string{"faults", "-target", "bsd"}, plain, false},
		{[]string{"faults", "-target", "netstack"}, plain, true},
		{[]string{"faults", "-names", "-target=netstack"}, plain, true},
		{[]string{"faults", "--target", "netstack"}, plain, true},
		{[]string{"faults", "-target", "netstack", "-target", "bsd"}, plain, false}, // the last wins
		{[]string{"replay", "--", "-target", "netstack"}, plain, false},             // after the flags
		{[]string{"replay", "-target", "netstack", "testdata/clean.prog"}, plain, true},
		{[]string{"minimize", "-target", "netstack", "x.prog"}, plain, true},
		{[]string{"trace", "-html", "out.html", "-target", "netstack", "x.prog"}, plain, true},
		{[]string{"convert", "-to", "text", "-target", "netstack", "x"}, plain, true},
		{[]string{"hunt", "-target", "netstack"}, plain, true},
		{[]string{"hunt", "-fuzz-target", "FuzzNetstackSockets"}, plain, true},
		{[]string{"hunt", "-fuzz-target", "FuzzSockets"}, plain, false},
		{[]string{"convert", "-to", "text", "-fuzz-target", "FuzzNetstackSockets", "x"}, plain, true},
		{[]string{"replay", "testdata/clean.prog"}, plain, false},
		{[]string{"replay", "testdata/target-bsd.prog"}, plain, false},
		{[]string{"replay", "testdata/clean.prog", "testdata/target-netstack.prog"}, plain, true},
		{[]string{"replay", "-runs", "3", "testdata/target-netstack.prog"}, plain, true},
		{[]string{"trace", "-html", "out.html", "testdata/target-netstack.prog"}, plain, true},
		{[]string{"minimize", "testdata/target-netstack.prog"}, plain, true},
		{[]string{"replay", "testdata/nosuch.prog"}, plain, false},
		{[]string{"replay", "testdata"}, plain, false}, // a directory
		{[]string{"faults", "testdata/target-netstack.prog"}, plain, false},
		{[]string{"fuzz"}, plain, false},
		{[]string{"fuzz"}, withNetstack, true},
		{[]string{"fuzz", "-targets", "FuzzSockets"}, withNetstack, false},
		{[]string{"fuzz", "-targets", "FuzzSockets, FuzzNetstackSockets"}, withNetstack, true},
		{[]string{"fuzz", "-targets", "FuzzNetstackX"}, plain, true}, // by name, even unknown
		{[]string{"fuzz", "-target", "netstack"}, plain, true},
	}
	for _, tt := range tests {
		if got := needsHooked(tt.args, tt.all); got != tt.want {
			t.Errorf("needsHooked(%q, %v) = %v, want %v", tt.args, tt.all, got, tt.want)
		}
	}
}

// TestHookedExecLoop: a binary started as the hooked one that is not hooked stops with an error
// naming the guard instead of building itself again.
func TestHookedExecLoop(t *testing.T) {
	if launch.Hooked {
		t.Skip("this is the hooked build: it never re-executes")
	}
	t.Setenv(hookedExecEnv, "1")
	var stderr bytes.Buffer
	code, ran := runHooked([]string{"faults", "-target", "netstack"}, &stderr)
	if !ran || code != 2 || !strings.Contains(stderr.String(), hookedExecEnv+" is set") {
		t.Fatalf("runHooked = %d, %v, %q; want 2, true and an error naming %s", code, ran, stderr.String(), hookedExecEnv)
	}
	if code, ran := runHooked([]string{"faults"}, &stderr); ran {
		t.Fatalf("runHooked(faults) ran the hooked build (%d)", code)
	}
}

// TestHookedReexec runs `go run ./tools/sockfuzz faults -target netstack` from the plain build:
// it must build the hooked sockfuzz and run it. It needs the netstack target registered.
func TestHookedReexec(t *testing.T) {
	if _, err := stack.Lookup(netstackTarget); err != nil {
		t.Skip("the netstack target is not registered (stack/targets does not link it in yet), so there is nothing to run hooked")
	}
	if launch.Hooked {
		t.Skip("this is the hooked build: the re-exec starts from the plain one")
	}
	if testing.Short() {
		t.Skip("-short: builds sockfuzz on the hooked build")
	}
	modroot, err := launch.ModRoot()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	cmd := exec.Command("go", "run", "./tools/sockfuzz", "faults", "-names", "-target", netstackTarget)
	cmd.Dir = modroot
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	fi, err := os.Stat(filepath.Join(modroot, filepath.FromSlash(hookedBinary)))
	if err != nil || fi.ModTime().Before(start) {
		t.Fatalf("the hooked sockfuzz was not built by this run (%v)", err)
	}
	tgt, err := stack.Lookup(netstackTarget)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(out)), strings.Join(stack.FaultNames(tgt), "\n"); got != want {
		t.Errorf("hooked faults -names printed %q, want %q", got, want)
	}
}

// TestTestBuild: a plain tool builds its test binaries plainly; a hooked one on the hooked
// build, with gVisor's TCP/IP instrumented.
func TestTestBuild(t *testing.T) {
	env, tags, gcflags, err := testBuild()
	if err != nil {
		t.Fatal(err)
	}
	if !launch.Hooked {
		if env != nil || tags != "" || gcflags != nil {
			t.Fatalf("plain tool: testBuild = %q, %q, %q; want nothing", env, tags, gcflags)
		}
		return
	}
	if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GOWORK=") }) || tags != "sockfuzz_hooked" ||
		!slices.Contains(gcflags, "-gcflags="+gvisorInstrumented+"=") {
		t.Fatalf("hooked tool: testBuild = %q, %q, %q", env, tags, gcflags)
	}
}
