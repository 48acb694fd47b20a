package oracle

import (
	"errors"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// finish runs the generic oracles' end checks, as a target's executor does, and returns the
// titles reported.
func finish(classify PanicClassifier, res, quiescent *sched.Result) []Report {
	r := NewReporter()
	defer r.Release()
	end := &End{Result: res, Quiescent: quiescent}
	for _, o := range Generic(classify) {
		o.Finish(end, r)
	}
	return r.Reports()
}

// expect checks that the reports hold exactly the titles want (in order); none for a clean case.
func expect(t *testing.T, name string, rs []Report, want ...string) {
	t.Helper()
	var got []string
	for _, r := range rs {
		got = append(got, r.Title)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: got titles %q, want %q", name, got, want)
	}
}

func TestRaceTitles(t *testing.T) {
	a := sched.Access{Thread: 2, Site: "sosend", Write: true, Step: 10}
	b := sched.Access{Thread: 5, Site: "soisconnected", Write: true, Atomic: true, Step: 40}
	tests := []struct {
		name string
		race sched.Race
		want string
	}{
		{"one order", sched.Race{Word: "so_state", Prev: a, Cur: b}, "data race on so_state: soisconnected vs sosend"},
		{"other order", sched.Race{Word: "so_state", Prev: b, Cur: a}, "data race on so_state: soisconnected vs sosend"},
		{"socket-named word", sched.Race{Word: "so12.accept:done", Prev: a, Cur: b}, "data race on accept:done: soisconnected vs sosend"},
	}
	for _, tc := range tests {
		rs := finish(nil, &sched.Result{Status: sched.Done, Races: []sched.Race{tc.race}}, nil)
		expect(t, tc.name, rs, tc.want)
	}
	expect(t, "no race", finish(nil, &sched.Result{Status: sched.Done}, nil))
}

func TestPanicAndCrashTitles(t *testing.T) {
	tests := []struct {
		name string
		res  sched.Result
		want []string
	}{
		{"runtime error", sched.Result{Status: sched.Panicked, Panic: &sched.PanicReport{
			Value: "runtime error: index out of range [3] with length 3\ngoroutine 17 [running]:"}},
			[]string{"panic: runtime error: index out of range [N] with length N"}},
		{"address", sched.Result{Status: sched.Panicked, Panic: &sched.PanicReport{
			Value: "runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV addr=0xc000012345]"}},
			[]string{"panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV addr=0x?]"}},
		{"substrate misuse", sched.Result{Status: sched.Done, Bugs: []sched.Bug{{Op: "Mutex.Unlock", Obj: "so4.qlock",
			Err: sched.ErrNotOwner}}}, []string{"substrate misuse: Mutex.Unlock qlock: not the owner"}},
		{"budget", sched.Result{Status: sched.Budget}, []string{"livelock: step budget exhausted"}},
		{"clean", sched.Result{Status: sched.Done}, nil},
	}
	for _, tc := range tests {
		res := tc.res
		expect(t, tc.name, finish(nil, &res, nil), tc.want...)
	}
}

// TestPanicClassifier: a target's classifier names its own assertions; other panics stay
// generic.
func TestPanicClassifier(t *testing.T) {
	classify := func(line string) (string, string, bool) {
		if line == "soclose: NOFDREF" {
			return "use-after-soclose", "use-after-soclose: SS_NOFDREF set twice", true
		}
		return "", "", false
	}
	tests := []struct {
		value, oracle, title string
	}{
		{"soclose: NOFDREF\nmore", "use-after-soclose", "use-after-soclose: SS_NOFDREF set twice"},
		{"sofree: so_pcb != NULL", Panic, "panic: sofree: so_pcb != NULL"},
	}
	for _, tc := range tests {
		rs := finish(classify, &sched.Result{Status: sched.Panicked, Panic: &sched.PanicReport{Value: tc.value, Thread: 3}}, nil)
		if len(rs) != 1 || rs[0].Oracle != tc.oracle || rs[0].Title != tc.title || rs[0].Thread != 3 {
			t.Errorf("%s: got %+v", tc.value, rs)
		}
	}
}

func TestGoroutineLeak(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"none", nil, ""},
		{"goleak", errors.New("found unexpected goroutines:\n[Goroutine 23 in state chan receive, with github.com/sockfuzz/sockfuzz/stack/sched.(*Thread).mainControlled on top of the stack:\n...]"),
			"goroutine leak: github.com/sockfuzz/sockfuzz/stack/sched.(*Thread).mainControlled"},
		{"unparsed", errors.New("something else"), "goroutine leak"},
	}
	for _, tc := range tests {
		r := GoroutineLeak(tc.err)
		switch {
		case tc.want == "" && r != nil:
			t.Errorf("%s: got %v", tc.name, r)
		case tc.want != "" && (r == nil || r.Title != tc.want || r.Oracle != GoroutineLeaks):
			t.Errorf("%s: got %+v, want title %q", tc.name, r, tc.want)
		}
	}
}

func TestBlockedAtQuiescence(t *testing.T) {
	tests := []struct {
		name    string
		blocked []sched.Blocked
		want    []string
	}{
		{"legitimate block", []sched.Blocked{{Thread: 2, Name: "p0", Kind: "sleep", Obj: "so3.accept", HasPred: true}}, nil},
		{"protocol thread idle", []sched.Blocked{{Thread: 0, Name: "netisr0", Kind: "recv", Obj: "netisr0"}}, nil},
		{"condition true", []sched.Blocked{{Thread: 2, Name: "p0", Kind: "sleep", Obj: "so3.so_rcv", HasPred: true, PredTrue: true}},
			[]string{"lost wakeup: blocked in so_rcv sleep with condition true"}},
		{"same title for another socket", []sched.Blocked{
			{Thread: 2, Kind: "sleep", Obj: "so3.so_rcv", HasPred: true, PredTrue: true},
			{Thread: 3, Kind: "sleep", Obj: "so7.so_rcv", HasPred: true, PredTrue: true}},
			[]string{"lost wakeup: blocked in so_rcv sleep with condition true"}},
		{"deadlock", []sched.Blocked{{Thread: 2, Kind: "mutex", Obj: "so1.qlock"}}, []string{"deadlock: blocked on mutex qlock"}},
	}
	for _, tc := range tests {
		q := &sched.Result{Status: sched.Quiescent, Blocked: tc.blocked}
		expect(t, tc.name, finish(nil, &sched.Result{Status: sched.Aborted}, q), tc.want...)
		if got, want := Stuck(q), len(tc.want) > 0; got != want {
			t.Errorf("%s: Stuck %v, want %v", tc.name, got, want)
		}
	}
}

// TestReporterDedup: the first report of a title is kept, with the trace of its moment.
func TestReporterDedup(t *testing.T) {
	r := NewReporter()
	defer r.Release()
	n := 0
	r.SetTrace(func() []string { n++; return make([]string, n) })
	r.Report("a", "title one", "first", 1, 10)
	r.Report("b", "title two", "", 2, 20)
	r.Report("a", "title one", "second", 3, 30)
	rs := r.Reports()
	expect(t, "dedup", rs, "title one", "title two")
	if rs[0].Detail != "first" || rs[0].Step != 10 || len(rs[0].Trace) != 1 || len(rs[1].Trace) != 2 {
		t.Errorf("first occurrence not kept: %+v", rs)
	}
}
