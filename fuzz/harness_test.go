package fuzz

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
)

var targets = ByteTargets()

// TestSeedsRunClean runs every target's seeds once with leak checks: all clean, faults off.
// Targets whose stack cannot run in this build (controlled netstack needs the hooked build,
// where their seeds run as FuzzNetstack* tests) are skipped, and it says so.
func TestSeedsRunClean(t *testing.T) {
	for _, tg := range targets {
		if why := NewHarness(tg).Unavailable(); why != "" {
			t.Logf("skipped: %s", why)
			continue
		}
		if err := CheckSeeds(tg); err != nil {
			t.Error(err)
		}
	}
}

// TestTargetNames checks OSS-Fuzz's rule: no target name is a prefix of another's.
func TestTargetNames(t *testing.T) {
	names := []string{"FuzzReproText"}
	for _, tg := range targets {
		names = append(names, tg.Name)
	}
	for i, a := range names {
		for j, b := range names {
			if i != j && strings.HasPrefix(b, a) {
				t.Errorf("target %s is a prefix of %s", a, b)
			}
		}
	}
}

// TestBadEnvironment checks that an unknown fault or mode fails every run with a clear message.
func TestBadEnvironment(t *testing.T) {
	tests := []struct{ key, value, want string }{
		{EnvFaults, "no-such-fault", `unknown fault "no-such-fault"`},
		{EnvMode, "sideways", `SOCKFUZZ_MODE="sideways": want controlled or free`},
		{EnvSchedules, "0", `SOCKFUZZ_SCHEDULES="0": want a number of schedules from 1 to 64`},
		{EnvSchedules, "lots", `SOCKFUZZ_SCHEDULES="lots": want a number`},
		{EnvInterleavings, "yes", `SOCKFUZZ_INTERLEAVINGS="yes": want on or off`},
	}
	for _, tc := range tests {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.key, tc.value)
			h := NewHarness(Sockets)
			if msg := h.Run(nil); !strings.Contains(msg, tc.want) {
				t.Errorf("%s=%s: run said %q, want it to contain %q", tc.key, tc.value, msg, tc.want)
			}
		})
	}
}

// TestInterleavingsEnvironment checks that SOCKFUZZ_INTERLEAVINGS=on makes the harness record
// the features of an input's schedules, the union over all of them, and that off, the default,
// records none.
func TestInterleavingsEnvironment(t *testing.T) {
	data := NewHarness(Sockets).Seeds()[0]
	for _, tc := range []struct {
		value string
		on    bool
	}{{"", false}, {"off", false}, {"on", true}} {
		t.Setenv(EnvInterleavings, tc.value)
		h := NewHarness(Sockets)
		if h.err != nil {
			t.Fatal(h.err)
		}
		x, err := Explore(Sockets.Decode(data), data, DefaultSchedules, h.options())
		if err != nil {
			t.Fatal(err)
		}
		if !tc.on {
			if x.Features != nil {
				t.Errorf("%s=%q: %d features recorded", EnvInterleavings, tc.value, x.Features.Len())
			}
			continue
		}
		if x.Features == nil || x.Features.Len() == 0 {
			t.Fatalf("%s=on: no feature recorded over %d schedules", EnvInterleavings, x.Runs)
		}
		// The table covers the input's own schedule's features, and each input gets its own.
		opt := h.options()
		if _, err := repro.Execute(Sockets.Decode(data), opt); err != nil {
			t.Fatal(err)
		}
		if opt.Features == x.Features || opt.Features.Len() == 0 {
			t.Fatalf("the input's own run: table %p (%d features), the exploration's %p", opt.Features, opt.Features.Len(), x.Features)
		}
		opt.Features.Each(func(i int) {
			if !x.Features.Has(i) {
				t.Errorf("feature %d of the input's own schedule is not in the union", i)
			}
		})
	}
}

// TestFreeModeRuns checks that SOCKFUZZ_MODE=free runs the seeds clean too.
func TestFreeModeRuns(t *testing.T) {
	t.Setenv(EnvMode, "free")
	if err := CheckSeeds(Sockets); err != nil {
		t.Error(err)
	}
}

// TestHarnessFor checks the fuzz targets' harness is made once per target, with its seeds
// encoded once: a libFuzzer build calls a target once per input.
func TestHarnessFor(t *testing.T) {
	a, b := HarnessFor(Sockets), HarnessFor(Sockets)
	if a != b {
		t.Error("HarnessFor(Sockets) made two harnesses")
	}
	if HarnessFor(Soclose) == a {
		t.Error("HarnessFor(Soclose) returned FuzzSockets' harness")
	}
	s1, s2 := a.Seeds(), a.Seeds()
	if len(s1) == 0 || len(s1) != len(s2) || &s1[0][0] != &s2[0][0] {
		t.Error("Seeds encoded the seeds again")
	}
	if len(TextSeeds()) == 0 || TextSeeds()[0][0] != '#' {
		t.Error("TextSeeds holds no seed program text")
	}
}

// TestLeakCheckReports checks that a goroutine left running is reported, and that once it
// ends the check is quiet again.
func TestLeakCheckReports(t *testing.T) {
	if r := LeakCheck(); r != nil {
		t.Fatalf("before the leak: %s\n%s", r.Title, r.Detail)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-stop
	}()
	r := LeakCheck()
	close(stop)
	<-done
	if r == nil {
		t.Fatal("a goroutine blocked on a channel was not reported")
	}
	if !strings.Contains(r.Detail, "TestLeakCheckReports") {
		t.Errorf("the report does not name the leaked goroutine's function:\n%s", r.Detail)
	}
	if r := LeakCheck(); r != nil {
		t.Errorf("after the goroutine ended: %s\n%s", r.Title, r.Detail)
	}
}

// TestKnownTitles checks SOCKFUZZ_KNOWN: an input failing with a listed title passes, one with
// another title still fails, and an unreadable file fails every run.
func TestKnownTitles(t *testing.T) {
	t.Setenv(EnvFaults, "abort-lost-sofree")
	h := NewHarness(Sockets)
	var failing []byte
	var title string
	for _, s := range h.Seeds() {
		if msg := h.Run(s); msg != "" {
			failing = s
			title, _, _ = strings.Cut(msg, "\n")
			break
		}
	}
	if failing == nil {
		t.Fatal("no seed of FuzzSockets fails with abort-lost-sofree")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, file string
		wantFail   bool
	}{
		{"listed", "other title\n" + title + "\n", false},
		{"not listed", "other title\n", true},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
		if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv(EnvKnown, path)
		if msg := NewHarness(Sockets).Run(failing); (msg != "") != tc.wantFail {
			t.Errorf("%s: run said %q, want failing=%v", tc.name, msg, tc.wantFail)
		}
	}
	t.Setenv(EnvKnown, filepath.Join(dir, "missing"))
	if msg := NewHarness(Sockets).Run(failing); !strings.Contains(msg, EnvKnown) {
		t.Errorf("missing known file: run said %q, want an error naming %s", msg, EnvKnown)
	}
}
