package corpus

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sockfuzz/sockfuzz/repro"
)

// minCanonical is the least number of seeds the byte form must express.
const minCanonical = 20

// minSeeds is the least number of seeds: one per situation of the 2008 mail.
const minSeeds = 24

// notClean lists the seeds left out of the clean-run test, each with the reason: an oracle
// that fires on the correct stack because of a problem in the model or the oracle, not the
// seed. Empty: 34_fioasync_owner_close found such a problem (the SIGIO check guessed the owner
// from the order of events, and a close racing sowakeup made it expect a SIGIO the stack
// rightly did not send); ObsReady now carries the owner sowakeup read.
var notClean = map[string]string{}

// TestSeedsParse checks every seed: it parses and validates, says what it exercises in its
// leading comments, and round-trips through its text form.
func TestSeedsParse(t *testing.T) {
	seeds := Seeds()
	if len(seeds) < minSeeds {
		t.Fatalf("%d seeds, want at least %d", len(seeds), minSeeds)
	}
	for i, s := range seeds {
		if i > 0 && seeds[i-1].Name >= s.Name {
			t.Errorf("seeds not sorted: %s before %s", seeds[i-1].Name, s.Name)
		}
		if !strings.HasSuffix(s.Name, ".prog") {
			t.Errorf("%s: not a .prog file", s.Name)
		}
		p, err := s.Program()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if len(p.Comments) == 0 {
			t.Errorf("%s: no leading comment naming the situation it exercises", s.Name)
		}
		if len(p.Header.Faults) > 0 {
			t.Errorf("%s: a seed runs with all faults off, has %v", s.Name, p.Header.Faults)
		}
		text := p.String()
		q, err := repro.Parse("printed", []byte(text))
		if err != nil {
			t.Errorf("%s: printed program does not parse: %v\n%s", s.Name, err, text)
			continue
		}
		if !p.Equal(q) {
			t.Errorf("%s: text round trip differs:\n%s\nthen\n%s", s.Name, text, q)
		}
		if err := repro.CheckText(s.Text); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	progs, err := Programs()
	if err != nil || len(progs) != len(seeds) {
		t.Fatalf("Programs: %d programs, %v; want %d", len(progs), err, len(seeds))
	}
}

// TestProgramsNamesFile checks that a parse error names the seed's file.
func TestProgramsNamesFile(t *testing.T) {
	_, err := Seed{Name: "99_broken.prog", Text: []byte("proc p0\n  r0 = socket(sctp)\n")}.Program()
	if err == nil || !strings.Contains(err.Error(), "99_broken.prog") {
		t.Fatalf("error %v does not name the file", err)
	}
}

// TestSeedsCanonical checks that enough seeds are canonical for the byte form, and that each
// canonical one decodes back to itself without its comments.
func TestSeedsCanonical(t *testing.T) {
	canonical := 0
	for _, s := range Seeds() {
		p, err := s.Program()
		if err != nil {
			t.Fatal(err)
		}
		data, err := repro.Encode(p)
		if err != nil {
			if !errors.Is(err, repro.ErrNotCanonical) {
				t.Errorf("%s: encode: %v", s.Name, err)
			}
			t.Logf("%s: not canonical: %v", s.Name, err)
			continue
		}
		canonical++
		want := *p
		want.Comments = nil
		if got := repro.Decode(data); !got.Equal(&want) {
			t.Errorf("%s: Decode(Encode(p)) differs:\n%s\nwant\n%s", s.Name, got, &want)
		}
	}
	if canonical < minCanonical {
		t.Errorf("%d canonical seeds, want at least %d", canonical, minCanonical)
	}
}

// runClean executes p and reports its oracle reports and errors as test errors.
func runClean(t *testing.T, name string, p *repro.Program) bool {
	t.Helper()
	o, err := repro.Execute(p, repro.Options{})
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return false
	}
	if o.Live != 0 {
		t.Errorf("%s (sched %s): %d threads alive after the run", name, schedText(p), o.Live)
	}
	for _, r := range o.Reports {
		t.Errorf("%s (sched %s): %v", name, schedText(p), r)
		return false
	}
	return o.Live == 0
}

func schedText(p *repro.Program) string {
	s := p.Header.Sched
	switch s.Kind {
	case repro.SchedRandom:
		return fmt.Sprintf("random seed=%d", s.Seed)
	case repro.SchedPCT:
		return fmt.Sprintf("pct seed=%d depth=%d steps=%d", s.Seed, s.Depth, s.Steps)
	}
	return string(s.Kind)
}

// TestSeedsRunClean is the acceptance criterion: every seed program runs clean with
// all faults off under its own schedule, 1,000 random and 1,000 PCT schedules (100 each in
// short mode).
func TestSeedsRunClean(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	schedules := []struct {
		name string
		make func(seed uint64) repro.Schedule
	}{
		{"random", func(s uint64) repro.Schedule {
			return repro.Schedule{Kind: repro.SchedRandom, Seed: s}
		}},
		{"pct", func(s uint64) repro.Schedule {
			return repro.Schedule{Kind: repro.SchedPCT, Seed: s, Depth: 3, Steps: 5000}
		}},
	}
	start := time.Now()
	runs := 0
	for _, s := range Seeds() {
		if why, ok := notClean[s.Name]; ok {
			t.Logf("%s: skipped: %s", s.Name, why)
			continue
		}
		p, err := s.Program()
		if err != nil {
			t.Fatal(err)
		}
		if !runClean(t, s.Name, p) {
			continue
		}
		runs++
	schedules:
		for _, sc := range schedules {
			for seed := uint64(0); seed < uint64(n); seed++ {
				q := *p
				q.Header.Sched = sc.make(seed)
				runs++
				if !runClean(t, s.Name, &q) {
					break schedules // one report per seed is enough
				}
			}
		}
	}
	t.Logf("%d executions in %v", runs, time.Since(start).Round(time.Millisecond))
}
