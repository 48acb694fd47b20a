package conformance

import (
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	_ "github.com/sockfuzz/sockfuzz/stack/targets"
)

// ruleOfSource maps each gVisor source the table's deviations cite to the ID of the
// deviation in docs/conformance-netstack.md.
var ruleOfSource = map[string]string{
	gvNoUrgent:        "D1",
	gvNoAtMark:        "D2",
	gvPollInitial:     "D3",
	gvPollClosed:      "D4",
	gvUDPSendOOB:      "D5",
	gvErrorTwice:      "F1",
	gvConnectListener: "F2",
	gvResetCloseWait:  "F3",
	gvLingerFinWait2:  "F4",
}

// tableReport is the report a differential run of the scenario would give if both sides
// answered as the table expects: Linux's expectation, and netstack's (the deviation where
// the step has one), each the first outcome listed. Every step is compared (no hang stop).
func tableReport(s Scenario) *DiffReport {
	r := &DiffReport{Steps: s.Steps, Hang: -1}
	for i, st := range s.Steps {
		r.Calls = append(r.Calls, Compared{Step: i, Call: st.Call(),
			Linux: st.Expectation(Linux).Any[0], Netstack: st.Expectation(Netstack).Any[0]})
	}
	classify(r)
	return r
}

// TestRulesExplainTheTable checks that the rules explain every deviation of the scenario
// table, each by the ID the document gives it, and nothing else differs.
func TestRulesExplainTheTable(t *testing.T) {
	n := 0
	for _, s := range Scenarios() {
		r := tableReport(s)
		for _, c := range r.Calls {
			st := s.Steps[c.Step]
			switch {
			case st.Netstack == nil && c.Differs(st.Op):
				t.Errorf("%s step %d: differs without a deviation", s.Name, c.Step)
			case st.Netstack == nil:
			case c.Rule != ruleOfSource[st.Netstack.Source]:
				t.Errorf("%s step %d %s: linux %s, netstack %s: rule %q (refused: %v), want %s", s.Name, c.Step, c.Call,
					formatResult(st.Op, c.Linux), formatResult(st.Op, c.Netstack), c.Rule, c.Refused, ruleOfSource[st.Netstack.Source])
			default:
				n++
			}
		}
	}
	if want := len(Deviations()); n != want {
		t.Errorf("%d deviations explained, the table has %d", n, want)
	}
}

// TestRulesDocumented checks that every rule is a deviation the document describes, under
// its ID and title, and that every deviation the document describes has its rule.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/conformance-netstack.md")
	if err != nil {
		t.Fatal(err)
	}
	headings := regexp.MustCompile(`(?m)^### ([DF][0-9]+): (.*)$`).FindAllStringSubmatch(string(doc), -1)
	byID := map[string]string{}
	for _, h := range headings {
		byID[h[1]] = h[2]
	}
	for _, r := range Rules() {
		title, ok := byID[r.ID]
		if !ok || title != r.Title {
			t.Errorf("rule %s %q: the document's heading is %q", r.ID, r.Title, title)
		}
		if (r.ID[0] == 'D') != (r.Kind == Difference) {
			t.Errorf("rule %s is a %s", r.ID, r.Kind)
		}
		delete(byID, r.ID)
	}
	for id := range byID {
		t.Errorf("the document's %s has no rule", id)
	}
}

// TestRulesStrict changes one result of a deviation the rules explain and checks the rule
// refuses the altered difference: each rule explains only its deviation's shape.
func TestRulesStrict(t *testing.T) {
	find := func(scenario string, step int) (Scenario, int) {
		for _, s := range Scenarios() {
			if s.Name == scenario {
				return s, step
			}
		}
		t.Fatalf("no scenario %s", scenario)
		return Scenario{}, 0
	}
	tests := []struct {
		scenario string
		step     int
		rule     string
		alter    func(c *Compared)
	}{
		{"oob-mark", 9, "D2", func(c *Compared) { c.Netstack.Err = EINVAL }},
		{"oob-mark", 8, "D1", func(c *Compared) { c.Netstack = Result{N: int(PollIn)} }},
		{"oob-none", 8, "D1", func(c *Compared) { c.Netstack.Err = ECONNREFUSED }},
		{"poll-fresh-tcp", 1, "D3", func(c *Compared) { c.Netstack.N = int(PollOut) }},
		{"poll-hup-both-closed", 9, "D4", func(c *Compared) { c.Netstack.N = int(PollIn | PollErr | PollHup) }},
		{"poll-after-rst", 10, "D4", func(c *Compared) { c.Linux.N = int(PollIn | PollOut) }},
		{"udp-send-oob", 5, "D5", func(c *Compared) { c.Netstack.N = 0; c.Netstack.Err = ENOTCONN }},
		{"connect-refused", 2, "F1", func(c *Compared) { c.Netstack.N = int(ECONNRESET) }},
		{"connect-on-listener", 3, "F2", func(c *Compared) { c.Linux.Err = EINPROGRESS }},
		{"send-after-peer-close", 11, "F3", func(c *Compared) { c.Netstack.N = int(ECONNRESET) }},
		{"linger-nonzero-close", 8, "F4", func(c *Compared) { c.Netstack.Err = EBADF }},
	}
	for _, tc := range tests {
		t.Run(tc.scenario+"/"+tc.rule, func(t *testing.T) {
			s, step := find(tc.scenario, tc.step)
			r := tableReport(s)
			if got := r.Calls[step].Rule; got != tc.rule {
				t.Fatalf("unaltered: rule %q, want %s", got, tc.rule)
			}
			for i := range r.Calls {
				r.Calls[i].Rule, r.Calls[i].Refused = "", nil
			}
			tc.alter(&r.Calls[step])
			classify(r)
			c := r.Calls[step]
			if c.Rule != "" || !c.Differs(s.Steps[step].Op) {
				t.Errorf("altered %s: linux %s, netstack %s: explained by %q", c.Call,
					formatResult(s.Steps[step].Op, c.Linux), formatResult(s.Steps[step].Op, c.Netstack), c.Rule)
			}
		})
	}
}

// TestRulesNeedTheirCause checks that a rule's shape alone is not enough: the socket's history
// must be the deviation's (a listener for F2, a refused connect for F1, SO_LINGER for F4, a
// fresh socket for D3).
func TestRulesNeedTheirCause(t *testing.T) {
	sock := socket(r0, TCP)
	tests := []struct {
		name  string
		steps []Step
		linux Result
		ns    Result
	}{
		{"F2 without listen", steps(sock, bind(r0, 1), connect(r0, 1)), Result{Err: EISCONN}, Result{Err: EINVAL}},
		{"F1 without refusal", steps(sock, bind(r0, 1), soerror(r0, OK)), Result{N: int(OK)}, Result{N: int(ECONNREFUSED)}},
		{"F4 without linger", steps(sock, bind(r0, 1), closefd(r0)), Result{}, Result{Err: EHANG}},
		{"F4 with linger 0", steps(sock, linger(r0, true, 0), closefd(r0)), Result{}, Result{Err: EHANG}},
		{"D3 on a listener", steps(sock, listen(r0, 1), poll(r0, out, nowait, 0)), Result{N: int(PollOut | PollHup)}, Result{N: int(PollHup)}},
		{"D1 without urgent data", steps(sock, connect(r0, 1), recv(r0, 10, 0, "")), Result{Data: "ab"}, Result{Data: "abX"}},
		{"D5 on TCP", steps(sock, connect(r0, 1), send(r0, "x", MsgOOB)), Result{Err: EOPNOTSUPP}, Result{N: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &DiffReport{Steps: tc.steps, Hang: -1}
			for i, st := range tc.steps {
				r.Calls = append(r.Calls, Compared{Step: i, Call: st.Call()})
			}
			last := &r.Calls[len(r.Calls)-1]
			last.Linux, last.Netstack = tc.linux, tc.ns
			classify(r)
			if last.Rule != "" {
				t.Errorf("explained by %s", last.Rule)
			}
			if len(r.Unexplained()) != 1 || !strings.Contains(r.String(), "UNEXPLAINED") {
				t.Errorf("report does not show the unexplained step:\n%s", r)
			}
		})
	}
}

// TestDecodeTotal checks that every byte string decodes to a valid bounded program, and that
// changing one byte changes no earlier step.
func TestDecodeTotal(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 15))
	if got := DecodeSteps(nil); len(got) != 0 {
		t.Errorf("empty input: %d steps", len(got))
	}
	for i := 0; i < 2000; i++ {
		data := make([]byte, rng.IntN(200))
		for k := range data {
			data[k] = byte(rng.UintN(256))
		}
		p := DecodeSteps(data)
		if err := ValidateProgram(p); err != nil {
			t.Fatalf("input %x: %v", data, err)
		}
		if want := min((len(data)+StepBytes-1)/StepBytes, MaxDiffSteps); len(p) != want {
			t.Fatalf("input of %d bytes: %d steps, want %d", len(data), len(p), want)
		}
		if len(data) == 0 {
			continue
		}
		k := rng.IntN(len(data))
		mut := slices.Clone(data)
		mut[k] ^= byte(1 + rng.UintN(255))
		q := DecodeSteps(mut)
		if len(q) != len(p) {
			t.Fatalf("one byte changed the length")
		}
		if n := min(k/StepBytes, len(p)); !sameProgram(p[:n], q[:n]) {
			t.Fatalf("changing byte %d changed a step before step %d", k, k/StepBytes)
		}
	}
}

// TestDiffSeeds checks that the seeds are scenarios of the table, surviving their byte form.
func TestDiffSeeds(t *testing.T) {
	n := 0
	for _, s := range Scenarios() {
		b, err := EncodeSteps(s.Steps)
		if err != nil {
			continue
		}
		n++
		if got := DecodeSteps(b); !sameProgram(got, s.Steps) {
			t.Errorf("%s does not survive its byte form", s.Name)
		}
	}
	if n < 40 || n != len(DiffSeeds()) {
		t.Errorf("%d scenarios encode (%d seeds), want at least 40", n, len(DiffSeeds()))
	}
}

// altered is a Sockets that answers one call, the n-th, wrongly.
type altered struct {
	Sockets
	n, calls int
}

func (a *altered) Begin() error { a.calls = 0; return a.Sockets.(Lifecycle).Begin() }
func (a *altered) End() error   { return a.Sockets.(Lifecycle).End() }

func (a *altered) Send(fd int, data []byte, flags MsgFlags) (int, Errno) {
	n, e := a.Sockets.Send(fd, data, flags)
	if a.calls++; a.calls == a.n {
		return 0, ECONNRESET
	}
	return n, e
}

// TestDifferentialReports runs scenarios on the model (target bsd) against itself: no
// difference; then with one answer altered: the report names the step, both results and the
// rules' verdict.
func TestDifferentialReports(t *testing.T) {
	bsd, err := stack.Lookup("bsd")
	if err != nil {
		t.Fatal(err)
	}
	a, b := TargetSockets(bsd), TargetSockets(bsd)
	for _, s := range Scenarios() {
		if r := Differential(s.Steps, a, b); r.Failed() {
			t.Errorf("%s: bsd against itself:\n%s", s.Name, r)
		}
	}
	tcpEcho := Scenarios()[0]
	r := Differential(tcpEcho.Steps, a, &altered{Sockets: b, n: 1})
	u := r.Unexplained()
	if len(u) != 1 || u[0].Step != 6 || u[0].Linux.N != 5 || u[0].Netstack.Err != ECONNRESET {
		t.Fatalf("unexplained %v, want step 6's send", u)
	}
	for _, want := range []string{"netstack vs linux: send: linux 5 bytes, netstack ECONNRESET", "UNEXPLAINED", "D5: not a UDP socket", "recv(r2, 16, 0)"} {
		if !strings.Contains(r.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, r)
		}
	}
}

// TestDifferentialStopsAtHang checks that the first EHANG ends the program.
func TestDifferentialStopsAtHang(t *testing.T) {
	bsd, err := stack.Lookup("bsd")
	if err != nil {
		t.Fatal(err)
	}
	p := steps(socket(r0, TCP), bind(r0, 1), listen(r0, 1), accept(r0, r1), closefd(r0))
	r := Differential(p, TargetSockets(bsd), TargetSockets(bsd))
	if r.Hang != 3 || len(r.Calls) != 4 || r.Failed() {
		t.Errorf("hang %d, %d calls, failed %v; want a stop after step 3:\n%s", r.Hang, len(r.Calls), r.Failed(), r)
	}
	if !strings.Contains(r.String(), "not run: after the hang") {
		t.Errorf("report does not show the steps not run:\n%s", r)
	}
}

// TestRulesShapes checks shapes the rules explain beyond the table's steps, as their
// deviations describe them: D2's EOPNOTSUPP where Linux answers ENOTTY (a UDP socket), D5's
// plain UDP send error where Linux refuses MSG_OOB first, D4's POLLPRI in a closed state.
func TestRulesShapes(t *testing.T) {
	tests := []struct {
		name  string
		steps []Step
		linux Result
		ns    Result
		rule  string
	}{
		{"D2 on UDP", steps(socket(r0, UDP), atmark(r0, false)), Result{Err: enotty}, Result{Err: EOPNOTSUPP}, "D2"},
		{"D5 unconnected", steps(socket(r0, UDP), send(r0, "x", MsgOOB)), Result{Err: EOPNOTSUPP}, Result{Err: EDESTADDRREQ}, "D5"},
		{"D5 not a send error", steps(socket(r0, UDP), send(r0, "x", MsgOOB)), Result{Err: EOPNOTSUPP}, Result{Err: EINVAL}, ""},
		{"D4 PRI", steps(socket(r0, TCP), connect(r0, 3), poll(r0, pri, wait, 0)),
			Result{N: int(PollErr | PollHup)}, Result{N: int(PollPri | PollErr | PollHup)}, "D4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &DiffReport{Steps: tc.steps, Hang: -1}
			for i, st := range tc.steps {
				r.Calls = append(r.Calls, Compared{Step: i, Call: st.Call()})
			}
			last := &r.Calls[len(r.Calls)-1]
			last.Linux, last.Netstack = tc.linux, tc.ns
			classify(r)
			if last.Rule != tc.rule {
				t.Errorf("rule %q, want %q (refused: %v)", last.Rule, tc.rule, last.Refused)
			}
		})
	}
}
