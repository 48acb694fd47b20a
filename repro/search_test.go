package repro_test

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/repro"
)

// TestSearch: from the default schedule, under which they run clean, the search finds the
// witnesses' bugs again (their titles, a program that replays them), and with the faults off
// it finds nothing; a bad configuration is an error.
func TestSearch(t *testing.T) {
	tests := []struct {
		fault   string
		changes int
	}{
		{"wakeup-before-append", 1},
		{"accept-ref-late", 2},
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			c, err := corpus.Witness(tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			p := *c.Program
			p.Header.Sched = repro.Schedule{Kind: repro.SchedDefault}
			if o, err := repro.Execute(&p, repro.Options{}); err != nil || o.Failed() {
				t.Fatalf("default schedule: %v, %q; want a clean run", err, o.Title())
			}
			res, err := repro.Search(&p, repro.Options{}, repro.SearchConfig{Changes: tc.changes, Window: 200, Title: c.Title})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Found || len(res.At) == 0 || res.Runs < 2 {
				t.Fatalf("not found in %d runs over %d decisions", res.Runs, res.Decisions)
			}
			o, err := repro.Execute(res.Program, repro.Options{})
			if err != nil || !o.HasTitle(c.Title) {
				t.Fatalf("the program found replays %v, %q; want %q", err, o.Title(), c.Title)
			}
			off := p
			off.Header.Faults = nil
			res, err = repro.Search(&off, repro.Options{}, repro.SearchConfig{Changes: 1})
			if err != nil || res.Found {
				t.Fatalf("faults off: found %v (%v), want nothing", res.Found, err)
			}
		})
	}
	p := repro.NewProgram()
	for _, cfg := range []repro.SearchConfig{{Changes: 0}, {Changes: 3}, {Changes: 1, Window: -1}, {Changes: 1, Budget: -2}} {
		if _, err := repro.Search(p, repro.Options{}, cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}
