package sched

import (
	"slices"
	"testing"
)

// TestRaceReportNamesLocksHeld checks the locks a race report names for each side: those held
// at the access, in acquisition order, even when the thread's lockset changed afterwards (the
// detector shares one snapshot of a lockset among the accesses made under it).
func TestRaceReportNamesLocksHeld(t *testing.T) {
	tests := []struct {
		name          string
		first, second func(tr *Thread, w *Word, a, b *Mutex)
		// want maps the site of each previous access that races with the access at
		// "second" to the locks it held; wantCur is what "second" held.
		want    map[string][]string
		wantCur []string
	}{
		{
			name: "no locks",
			first: func(tr *Thread, w *Word, _, _ *Mutex) {
				w.Store(tr, "first", 1)
			},
			second: func(tr *Thread, w *Word, _, _ *Mutex) {
				w.Store(tr, "second", 2)
			},
			want: map[string][]string{"first": nil},
		},
		{
			name: "nested, then changed",
			first: func(tr *Thread, w *Word, a, b *Mutex) {
				a.Lock(tr)
				b.Lock(tr)
				w.Store(tr, "first", 1)
				b.Unlock(tr)
				a.Unlock(tr)
				b.Lock(tr) // a new lockset after the access: the record keeps the old one
				w.Load(tr, "after")
				b.Unlock(tr)
			},
			second: func(tr *Thread, w *Word, _, _ *Mutex) {
				w.Store(tr, "second", 2)
			},
			want: map[string][]string{"first": {"a", "b"}, "after": {"b"}},
		},
		{
			name: "different locks each side",
			first: func(tr *Thread, w *Word, a, _ *Mutex) {
				a.Lock(tr)
				w.Store(tr, "first", 1)
				a.Unlock(tr)
			},
			second: func(tr *Thread, w *Word, _, b *Mutex) {
				b.Lock(tr)
				w.Store(tr, "second", 2)
				b.Unlock(tr)
			},
			want:    map[string][]string{"first": {"a"}},
			wantCur: []string{"b"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Config{}) // Default choices: "one" runs to its end, then "two"
			a, b := e.NewMutex("a"), e.NewMutex("b")
			w := e.NewWord("w", nil)
			e.Go("one", func(tr *Thread) { tc.first(tr, w, a, b) })
			e.Go("two", func(tr *Thread) { tc.second(tr, w, a, b) })
			r := e.Run()
			if r.Status != Done {
				t.Fatalf("status %v", r.Status)
			}
			got := map[string][]string{}
			for _, race := range r.Races {
				if race.Cur.Site != "second" {
					continue
				}
				got[race.Prev.Site] = race.Prev.Locks
				if !slices.Equal(race.Cur.Locks, tc.wantCur) {
					t.Errorf("%v: current access holds %q, want %q", race, race.Cur.Locks, tc.wantCur)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("races with the access at second: %v, want previous accesses at %v", r.Races, tc.want)
			}
			for site, locks := range tc.want {
				if g, ok := got[site]; !ok || !slices.Equal(g, locks) {
					t.Errorf("previous access at %s holds %q (reported %v), want %q", site, g, ok, locks)
				}
			}
		})
	}
}
