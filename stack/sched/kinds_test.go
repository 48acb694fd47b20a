package sched

import (
	"strings"
	"testing"
)

// TestKinds checks the registry: every built-in kind is registered once, in order, its defaults
// validate and print, and its chooser is built (none for default).
func TestKinds(t *testing.T) {
	want := "default random pct syncpct walk preempt bytes replay"
	if got := strings.Join(KindNames(), " "); got != want {
		t.Fatalf("kinds %q, want %q", got, want)
	}
	for _, name := range KindNames() {
		k, ok := LookupKind(KindName(name))
		if !ok {
			t.Fatalf("%s not found", name)
		}
		s := k.Defaults()
		if err := s.Validate(); err != nil {
			t.Errorf("%s defaults: %v", name, err)
		}
		if !strings.HasPrefix(s.String(), name) {
			t.Errorf("%s prints as %q", name, s.String())
		}
		if (s.Chooser() == nil) != (name == "default") {
			t.Errorf("%s: chooser %v", name, s.Chooser())
		}
	}
}

// TestScheduleValidate checks what Validate refuses.
func TestScheduleValidate(t *testing.T) {
	for _, tc := range []struct {
		s    Schedule
		want string // "" for valid
	}{
		{Schedule{Kind: KindWalk, Seed: 5, Odds: 2}, ""},
		{Schedule{Kind: KindWalk, Seed: 5, Odds: 1}, "walk odds 1 out of 2..1048576"},
		{Schedule{Kind: KindSyncPCT, Depth: 2, Syncs: 0}, "syncpct syncs 0 out of 1..10000000"},
		{Schedule{Kind: KindSyncPCT, Depth: 2, Syncs: 9, Steps: 4}, "fields set that the syncpct schedule does not have"},
		{Schedule{Kind: KindRandom, Choices: []ID{1}}, "does not have"},
		{Schedule{Kind: KindPreempt, Seed: 3, Depth: 2, Points: 175}, ""},
		{Schedule{Kind: KindPreempt, Depth: 2, Points: 0}, "preempt points 0 out of 1..10000000"},
		{Schedule{Kind: KindPCT, Depth: 2, Steps: 9, Points: 4}, "fields set that the pct schedule does not have"},
		{Schedule{Kind: KindReplay, Choices: []ID{ClockID, 3, 256}}, "choice 2: thread 256 out of 0..255"},
		{Schedule{Kind: "lottery"}, `unknown schedule kind "lottery"`},
	} {
		err := tc.s.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.s, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: got %v, want %q", tc.s, err, tc.want)
		}
	}
}
