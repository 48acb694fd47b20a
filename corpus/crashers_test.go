package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
)

// crasherReplays is the number of controlled replays on which a stored crasher must reproduce.
const crasherReplays = 100

// crasherCleanSeeds is the number of random, and of PCT, schedules under which a stored
// crasher with its faults removed must run clean (besides its own schedule).
const crasherCleanSeeds = 10

type judge func(*repro.Program, repro.Options) (*repro.Outcome, error)

// checkCrasher replays a stored crasher: it must parse, carry an explicit replay schedule in
// controlled mode and a header saying it reproduced on every replay; with its faults it must
// fail with its title, reported by its oracle, on each of replays controlled replays; with its
// faults removed it must run clean under its own schedule and cleanSeeds random and PCT ones.
func checkCrasher(f CrasherFile, run judge, replays, cleanSeeds int) error {
	c, err := f.Crasher()
	if err != nil {
		return err
	}
	p := c.Program
	if p.Header.Mode != repro.Controlled || p.Header.Sched.Kind != repro.SchedReplay {
		return fmt.Errorf("%s: mode %s, sched %s: a stored crasher needs an explicit replay schedule in controlled mode",
			f.Name, p.Header.Mode, p.Header.Sched.Kind)
	}
	if c.Reproduced != c.Replays {
		return fmt.Errorf("%s: header says %s: a stored crasher reproduces on every controlled replay", f.Name, c.Reliability())
	}
	for i := 1; i <= replays; i++ {
		o, err := run(p, repro.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if !o.HasTitle(c.Title) {
			return fmt.Errorf("%s: replay %d of %d: reports %q, want %q", f.Name, i, replays, titles(o.Reports), c.Title)
		}
		if i := slices.IndexFunc(o.Reports, func(r oracle.Report) bool { return r.Title == c.Title }); o.Reports[i].Oracle != c.Oracle {
			return fmt.Errorf("%s: %q reported by oracle %q, the header says %q", f.Name, c.Title, o.Reports[i].Oracle, c.Oracle)
		}
	}
	clean := *p
	clean.Header.Faults = nil
	scheds := []repro.Schedule{p.Header.Sched}
	for s := uint64(0); s < uint64(cleanSeeds); s++ {
		scheds = append(scheds, repro.Schedule{Kind: repro.SchedRandom, Seed: s},
			repro.Schedule{Kind: repro.SchedPCT, Seed: s, Depth: repro.DefaultPCTDepth, Steps: repro.DefaultPCTSteps})
	}
	for _, s := range scheds {
		clean.Header.Sched = s
		o, err := run(&clean, repro.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if o.Failed() {
			return fmt.Errorf("%s: with its faults removed, under sched %s: reports %q, want none", f.Name, s.String(), titles(o.Reports))
		}
	}
	return nil
}

func titles(rs []oracle.Report) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Title)
	}
	return out
}

// TestCrashersReplay is the stored crashers' regression test: each reproduces its title with
// its faults on every controlled replay, and runs clean without them. It passes with nothing
// to check while crashers/ holds no crasher.
func TestCrashersReplay(t *testing.T) {
	files := Crashers()
	if len(files) == 0 {
		t.Log("no stored crashers in crashers/")
	}
	titleOf := map[string]string{} // title -> file; looked up, never iterated
	for _, f := range files {
		if err := checkCrasher(f, repro.Execute, crasherReplays, crasherCleanSeeds); err != nil {
			t.Error(err)
			continue
		}
		c, _ := f.Crasher()
		if prev, ok := titleOf[c.Title]; ok {
			t.Errorf("%s: title %q is stored in %s too (one file per title)", f.Name, c.Title, prev)
		}
		titleOf[c.Title] = f.Name
	}
}

// syntheticJudge fails with "synthetic: close with abort-twice", oracle "synthetic", when the
// program names fault abort-twice and makes a close; when always is set, whatever the faults;
// when flaky is set, only on the first run.
func syntheticJudge(always, flaky bool) judge {
	runs := 0
	return func(p *repro.Program, opt repro.Options) (*repro.Outcome, error) {
		if err := repro.Validate(p); err != nil {
			return nil, err
		}
		runs++
		o := &repro.Outcome{}
		closes := strings.Contains(p.String(), "close(")
		if closes && (always || slices.Contains(p.Header.Faults, "abort-twice")) && (!flaky || runs == 1) {
			o.Reports = []oracle.Report{{Oracle: "synthetic", Title: "synthetic: close with abort-twice"}}
		}
		return o, nil
	}
}

// TestCheckCrasher shows that the regression test checks what it says, on fixtures judged by
// a synthetic judge (the correct stack trips no oracle, so a real crasher needs a fault).
func TestCheckCrasher(t *testing.T) {
	tests := []struct {
		file          string
		always, flaky bool
		want          string // "" for no error
	}{
		{"ok.prog", false, false, ""},
		{"ok.prog", false, true, "replay 2 of 100: reports [], want \"synthetic: close with abort-twice\""},
		{"ok.prog", true, false, "with its faults removed, under sched replay 0 1: reports [\"synthetic: close with abort-twice\"]"},
		{"default-sched.prog", false, false, "needs an explicit replay schedule"},
		{"free.prog", false, false, "mode free"},
		{"unreliable.prog", false, false, "header says 99/100 controlled replays"},
		{"wrong-oracle.prog", false, false, "reported by oracle \"synthetic\", the header says \"use-after-soclose\""},
		{"wrong-title.prog", false, false, "replay 1 of 100: reports []"},
		{"broken.prog", false, false, "crashers/broken.prog:1: header has no"},
	}
	for _, tc := range tests {
		text, err := os.ReadFile(filepath.Join("testdata/crashers", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		err = checkCrasher(CrasherFile{Name: tc.file, Text: text}, syntheticJudge(tc.always, tc.flaky), crasherReplays, crasherCleanSeeds)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.file, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s (always %v, flaky %v): error %v, want one containing %q", tc.file, tc.always, tc.flaky, err, tc.want)
		}
	}
}

// TestCrashersEmbedded checks the accessor: only .prog files, sorted.
func TestCrashersEmbedded(t *testing.T) {
	files := Crashers()
	for i, f := range files {
		if filepath.Ext(f.Name) != ".prog" {
			t.Errorf("%s is not a .prog file", f.Name)
		}
		if i > 0 && files[i-1].Name >= f.Name {
			t.Errorf("crashers not sorted: %s before %s", files[i-1].Name, f.Name)
		}
	}
	if _, err := crasherFS.ReadFile("crashers/README.md"); err != nil {
		t.Errorf("crashers/README.md is not embedded: %v", err)
	}
}
