package repro

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/minimize and testdata/golden")

// readProg parses a fixture.
func readProg(t *testing.T, file string) *Program {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(file, src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// golden compares got with the golden file, or rewrites it under -update.
func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", file, got, want)
	}
}

// syntheticJudge returns a judge that makes one scheduling decision per call (and two more)
// among threads 0, 1 and 2 with thread 0 running, through Options.Chooser or the program's
// own schedule, and reports title when fails says so.
func syntheticJudge(title string, fails func(p *Program, choices []sched.ID) bool) func(*Program, Options) (*Outcome, error) {
	return func(p *Program, opt Options) (*Outcome, error) {
		if err := Validate(p); err != nil {
			return nil, err
		}
		c := opt.Chooser
		if c == nil {
			c = p.Header.Sched.Chooser()
		}
		if c == nil {
			c = defaultChooser{}
		}
		n := 2
		for _, pr := range p.Procs {
			n += len(pr.Calls)
		}
		var choices []sched.ID
		for i := 0; i < n; i++ {
			d := &sched.Decision{Step: i + 1, Index: i, Current: 0, Cands: []sched.ID{0, 1, 2}}
			id := c.Choose(d)
			if !slices.Contains(d.Cands, id) {
				id = sched.Default(d)
			}
			choices = append(choices, id)
		}
		o := &Outcome{Result: &sched.Result{Status: sched.Done, Steps: n, Choices: choices}}
		if fails(p, choices) {
			o.Reports = []oracle.Report{{Oracle: "synthetic", Title: title}}
		}
		return o, nil
	}
}

// hasCall reports whether p makes a call whose text starts with prefix.
func hasCall(p *Program, prefix string) bool {
	for _, pr := range p.Procs {
		for _, c := range pr.Calls {
			if strings.HasPrefix(c.String(), prefix) {
				return true
			}
		}
	}
	return false
}

// refusedJudge runs the real executor and reports a connect that failed with ECONNREFUSED:
// no oracle fires on the correct stack, so this stands in for one, with real schedules.
func refusedJudge(p *Program, opt Options) (*Outcome, error) {
	o, err := Execute(p, opt)
	if err != nil {
		return nil, err
	}
	for _, c := range o.Calls {
		if c.Done && c.Err == stack.ECONNREFUSED && strings.HasPrefix(c.Call.String(), "connect(") {
			o.Reports = append(o.Reports, oracle.Report{Oracle: "test", Title: "test: connect refused"})
			break
		}
	}
	return o, nil
}

func TestMinimize(t *testing.T) {
	tests := []struct {
		name  string
		opt   MinimizeOptions
		title string
		// log holds entries the log must have.
		log []string
	}{
		{
			name: "synthetic",
			opt: MinimizeOptions{Execute: syntheticJudge("synthetic: recv and close", func(p *Program, ch []sched.ID) bool {
				return slices.Contains(p.Header.Faults, "abort-twice") && hasCall(p, "recv(") &&
					hasCall(p, "close(") && len(ch) > 1 && ch[1] == 2
			})},
			title: "synthetic: recv and close",
			log: []string{"mode free -> controlled", "removed process p0 (6 calls)", "removed process p2 (1 call)", "dropped fault so-state-rmw",
				"cpus 4 -> 1", "removed the wire script (2 operations)", "removed call p1:2 connect(r1, :80)",
				"removed call p1:1 r1 = dup(r0), its uses now use r0", "p1:1 recv(r0, 100, peek) -> recv(r0, 0, peek)"},
		},
		{
			name:  "refused",
			opt:   MinimizeOptions{Execute: refusedJudge, Replays: 20},
			title: "test: connect refused",
			log:   []string{"removed process p0 (7 calls)", "cpus 2 -> 1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := readProg(t, filepath.Join("testdata/minimize", tc.name+".prog"))
			orig := p.String()
			r, err := Minimize(p, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if p.String() != orig {
				t.Errorf("Minimize changed its input")
			}
			if r.Title != tc.title {
				t.Errorf("title %q, want %q", r.Title, tc.title)
			}
			if r.Program.Header.Sched.Kind != SchedReplay || r.Program.Header.Mode != Controlled {
				t.Errorf("result schedule %v mode %s, want an explicit replay in controlled mode",
					r.Program.Header.Sched.String(), r.Program.Header.Mode)
			}
			if r.Replays == 0 || r.Reproduced != r.Replays {
				t.Errorf("reliability %s, want all", r.Reliability())
			}
			for _, l := range tc.log {
				if !slices.Contains(r.Log, l) {
					t.Errorf("log lacks %q:\n%s", l, strings.Join(r.Log, "\n"))
				}
			}
			// The result reproduces on its own: through the text, with no chooser.
			q, err := Parse("result", []byte(r.Program.String()))
			if err != nil {
				t.Fatal(err)
			}
			o, err := tc.opt.Execute(q, Options{})
			if err != nil || !o.HasTitle(tc.title) {
				t.Errorf("the printed result does not reproduce: %v %v", err, o)
			}
			golden(t, filepath.Join("testdata/minimize", tc.name+".want"), r.Program.String())
			t.Logf("%d candidates, %d accepted, %d runs\n%s", r.Candidates, r.Accepted, r.Runs, strings.Join(r.Log, "\n"))

			// Deterministic: the same input gives the same result.
			r2, err := Minimize(p, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !r2.Program.Equal(r.Program) || !slices.Equal(r2.Log, r.Log) || r2.Runs != r.Runs {
				t.Errorf("a second minimization differs:\n%s\n%s", r2.Program, strings.Join(r2.Log, "\n"))
			}
		})
	}
}

func TestMinimizeSchedule(t *testing.T) {
	// Fails when decision 3 picks thread 1; the input's schedule makes many other non-default
	// choices, which the schedule pass must make default.
	p := readProg(t, "testdata/minimize/synthetic.prog")
	p.Header.Sched = Schedule{Kind: SchedReplay, Choices: []sched.ID{2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2}}
	judge := syntheticJudge("synthetic: decision 3", func(_ *Program, ch []sched.ID) bool {
		return len(ch) > 3 && ch[3] == 1
	})
	r, err := Minimize(p, MinimizeOptions{Execute: judge, Seeds: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := []sched.ID{0, 0, 0, 1}
	if got := r.Program.Header.Sched.Choices; !slices.Equal(got, want) {
		t.Errorf("choices %v, want %v\n%s", got, want, strings.Join(r.Log, "\n"))
	}
	// The judge makes two decisions more than there are calls: two calls must stay.
	if calls := len(callsText(r.Program)) - len(strings.ReplaceAll(callsText(r.Program), ";", "")) + len(r.Program.Procs); calls != 2 {
		t.Errorf("%d calls left, want 2:\n%s", calls, r.Program)
	}
}

func TestMinimizeErrors(t *testing.T) {
	never := syntheticJudge("never", func(*Program, []sched.ID) bool { return false })
	always := syntheticJudge("always", func(*Program, []sched.ID) bool { return true })
	p := readProg(t, "testdata/minimize/synthetic.prog")
	tests := []struct {
		name string
		opt  MinimizeOptions
		want string
	}{
		{"no report", MinimizeOptions{Execute: never, Seeds: 2}, "does not reproduce: no run of 5"},
		{"other title", MinimizeOptions{Execute: always, Title: "another"}, `gave "another"`},
		{"judge error", MinimizeOptions{Execute: func(*Program, Options) (*Outcome, error) {
			return nil, errors.New("judge broke")
		}}, "judge broke"},
	}
	for _, tc := range tests {
		_, err := Minimize(p, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if strings.Contains(tc.want, "reproduce") && !errors.Is(err, ErrNoReproduction) {
			t.Errorf("%s: error %v is not ErrNoReproduction", tc.name, err)
		}
	}
	if _, err := Minimize(&Program{}, MinimizeOptions{Execute: always}); err == nil {
		t.Errorf("an invalid program minimized without error")
	}
}

func TestMinimizeBudget(t *testing.T) {
	p := readProg(t, "testdata/minimize/synthetic.prog")
	always := syntheticJudge("always", func(*Program, []sched.ID) bool { return true })
	for _, budget := range []int{1, 3, 5} {
		r, err := Minimize(p, MinimizeOptions{Execute: always, Candidates: budget, Replays: 5})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Exhausted || r.Candidates != budget {
			t.Errorf("budget %d: %d candidates, exhausted %v", budget, r.Candidates, r.Exhausted)
		}
		if r.Reproduced != 5 || r.Replays != 5 {
			t.Errorf("budget %d: reliability %s", budget, r.Reliability())
		}
		if !slices.Contains(r.Log, "candidate budget ("+itoa(budget)+") exhausted") {
			t.Errorf("budget %d: log does not say so:\n%s", budget, strings.Join(r.Log, "\n"))
		}
	}
	// With room enough everything goes: an always-failing judge leaves an empty program.
	r, err := Minimize(p, MinimizeOptions{Execute: always})
	if err != nil {
		t.Fatal(err)
	}
	if r.Exhausted || len(r.Program.Procs) != 0 || len(r.Program.Wire) != 0 || len(r.Program.Header.Faults) != 0 {
		t.Errorf("always-failing judge left:\n%s", r.Program)
	}
}

// TestMinimizeReliability counts replays: a judge that reproduces only on alternate runs
// shows half of them.
func TestMinimizeReliability(t *testing.T) {
	p := readProg(t, "testdata/minimize/synthetic.prog")
	n := 0
	flaky := syntheticJudge("flaky", func(*Program, []sched.ID) bool { n++; return n%2 == 1 })
	r, err := Minimize(p, MinimizeOptions{Execute: flaky, Seeds: -1, Candidates: 1, Replays: 10})
	if err != nil {
		t.Fatal(err)
	}
	if r.Replays != 10 || r.Reproduced < 4 || r.Reproduced > 6 {
		t.Errorf("reliability %s, want about 5/10", r.Reliability())
	}
}

func TestRemoveCalls(t *testing.T) {
	p := readProg(t, "testdata/minimize/resources.prog")
	tests := []struct {
		name   string
		pi, ci int
		alias  map[int]int
		n      int
		want   string // the calls left, "proc: call; call" per process, " | " between
	}{
		{"close", 1, 1, nil, 1,
			"p0: r0 = socket(tcp); r1 = dup(r0); bind(r1, :80); r2 = socket(udp); fcntl(r0, setown, p1) | " +
				"p1: r3 = accept(r1); send(r3, 5); close(r2) | p2: interrupt(p1); close(r1)"},
		{"socket with its users", 0, 0, nil, 8,
			"p0: r0 = socket(udp) | p1: close(r0) | p2: interrupt(p1)"},
		{"dup with its users", 0, 1, nil, 5,
			"p0: r0 = socket(tcp); r1 = socket(udp); fcntl(r0, setown, p1) | p1: close(r0); close(r1) | p2: interrupt(p1)"},
		{"dup aliased", 0, 1, map[int]int{1: 0}, 1,
			"p0: r0 = socket(tcp); bind(r0, :80); r1 = socket(udp); fcntl(r0, setown, p1) | " +
				"p1: r2 = accept(r0); close(r0); send(r2, 5); close(r1) | p2: interrupt(p1); close(r0)"},
		{"accept renumbers nothing after", 1, 0, nil, 2,
			"p0: r0 = socket(tcp); r1 = dup(r0); bind(r1, :80); r2 = socket(udp); fcntl(r0, setown, p1) | " +
				"p1: close(r0); close(r2) | p2: interrupt(p1); close(r1)"},
	}
	for _, tc := range tests {
		q, n := removeCalls(p, func(pi, ci int, _ *Call) bool { return pi == tc.pi && ci == tc.ci }, tc.alias)
		if n != tc.n {
			t.Errorf("%s: %d calls removed, want %d", tc.name, n, tc.n)
		}
		if got := callsText(q); got != tc.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.name, got, tc.want)
		}
		if err := Validate(q); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if callsText(p) != callsText(readProg(t, "testdata/minimize/resources.prog")) {
		t.Errorf("removeCalls changed its input")
	}
}

func callsText(p *Program) string {
	var procs []string
	for _, pr := range p.Procs {
		var calls []string
		for _, c := range pr.Calls {
			calls = append(calls, c.String())
		}
		procs = append(procs, pr.Name+": "+strings.Join(calls, "; "))
	}
	return strings.Join(procs, " | ")
}

func itoa(n int) string { return IntArg(n).String() }

func TestSimplerCalls(t *testing.T) {
	tests := []struct {
		call string
		want []string
	}{
		{"send(r0, 100, oob)", []string{"send(r0, 0, oob)", "send(r0, 1, oob)", "send(r0, 50, oob)", "send(r0, 100)", "send(r0, 100, oob, dontwait)"}},
		{"recv(r0, 1, dontwait, peek)", []string{"recv(r0, 0, dontwait, peek)", "recv(r0, 1, dontwait)"}},
		{"listen(r0, 2)", []string{"listen(r0, 0)", "listen(r0, 1)"}},
		{"listen(r0, -1)", nil},
		{"poll(r0, in, pri, wait)", []string{"poll(r0, pri, wait)", "poll(r0, in, wait)", "poll(r0, in, pri, nowait)"}},
		{"poll(r0, in, nowait)", nil},
		{"ioctl(r0, fionbio, 1)", nil},
		{"setsockopt(r0, linger, on, 5)", []string{"setsockopt(r0, linger, on, 0)", "setsockopt(r0, linger, on, 1)", "setsockopt(r0, linger, on, 2)"}},
	}
	for _, tc := range tests {
		p, err := Parse("call", []byte("proc p0\n  r0 = socket(tcp)\n  "+tc.call+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range simplerCalls(&p.Procs[0].Calls[1]) {
			got = append(got, c.String())
			q := clone(p)
			q.Procs[0].Calls[1] = c
			if err := Validate(q); err != nil {
				t.Errorf("%s -> %s: %v", tc.call, c.String(), err)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: simpler %q, want %q", tc.call, got, tc.want)
		}
	}
}
