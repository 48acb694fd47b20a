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
	gvRefusedConnect:  "F5",
	gvRefusedBind:     "F5",
	gvRefusedRecv:     "F5",
	gvRefusedPort:     "F5",
	gvShutdownInitial: "F6",
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
		{"connect-again-after-refused", 2, "F5", func(c *Compared) { c.Netstack.Err = EINVAL }},
		{"connect-again-after-refused", 4, "F5", func(c *Compared) { c.Linux.Err = EALREADY }},
		{"bind-after-refused", 2, "F5", func(c *Compared) { c.Netstack.Err = EADDRINUSE }},
		{"recv-after-refused", 2, "F5", func(c *Compared) { c.Linux.Err = ECONNRESET }},
		{"recv-after-refused", 3, "F5", func(c *Compared) { c.Netstack.Data = "x" }},
		{"refused-keeps-bound-port", 4, "F5", func(c *Compared) { c.Linux.Err = EINVAL }},
		{"poll-after-shutdown-unconnected", 2, "F6", func(c *Compared) { c.Netstack.N = 0 }},
		{"poll-after-shutdown-unconnected", 3, "F6", func(c *Compared) { c.Netstack.Err = ECONNRESET }},
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
// fresh socket for D3, a refusal Linux has not started over from for F5, or an open refused
// socket that bound the port, a failed SHUT_RD of a socket never connected for F6).
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
		{"F5 without refusal", steps(sock, bind(r0, 1), bind(r0, 2)), Result{}, Result{Err: EINVAL}},
		{"F5 after Linux's new attempt", steps(sock, connect(r0, 3).fails(ECONNREFUSED),
			connect(r0, 1).netstack(Finding, errX(ECONNABORTED), "Linux connects, netstack does not", "test"), bind(r0, 2)), Result{}, Result{Err: EINVAL}},
		{"F5 port of a closed socket", steps(sock, bind(r0, 2), connect(r0, 3).fails(ECONNREFUSED), closefd(r0), socket(r1, TCP), bind(r1, 2)),
			Result{Err: EADDRINUSE}, Result{}},
		{"F5 port bound after the refusal", steps(sock, connect(r0, 3).fails(ECONNREFUSED), socket(r1, TCP), bind(r1, 2)), Result{Err: EADDRINUSE}, Result{}},
		{"F6 without shutdown", steps(sock, bind(r0, 1), poll(r0, in, nowait, 0)), Result{N: int(PollIn | PollHup)}, Result{N: int(PollHup)}},
		{"F6 after SHUT_WR", steps(sock, shutdown(r0, ShutWR).fails(ENOTCONN), recv(r0, 10, 0, "")), Result{}, Result{Err: ENOTCONN}},
		{"F6 on a connected socket", steps(sock, shutdown(r0, ShutRD).fails(ENOTCONN), connect(r0, 3).fails(ECONNREFUSED), recv(r0, 10, 0, "")), Result{}, Result{Err: ENOTCONN}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tableShapes(tc.steps, tc.linux, tc.ns)
			last := &r.Calls[len(r.Calls)-1]
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
// plain UDP send error where Linux refuses MSG_OOB first, D4's POLLPRI in a closed state, D3
// after a failed shutdown, F5 after a non-blocking connect's refusal, a new attempt that
// succeeds or is refused again, and a port held through a dup, F6 with POLLOUT and bound.
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
		{"D3 after a failed shutdown", steps(socket(r0, TCP), shutdown(r0, ShutWR).fails(ENOTCONN), poll(r0, out, nowait, 0)),
			Result{N: int(PollOut | PollHup)}, Result{N: int(PollHup)}, "D3"},
		{"F5 after a non-blocking refusal", steps(socket(r0, TCP), nonblock(r0, true), connect(r0, 3).fails(EINPROGRESS),
			soerror(r0, ECONNREFUSED), bind(r0, 2)),
			Result{}, Result{Err: EINVAL}, "F5"},
		{"F5 after ECONNABORTED", steps(socket(r0, TCP), nonblock(r0, true), connect(r0, 3).fails(EINPROGRESS),
			soerror(r0, ECONNREFUSED), connect(r0, 3).fails(ECONNABORTED), recv(r0, 10, 0, "")),
			Result{Err: ENOTCONN}, Result{}, "F5"},
		{"F5 connect to a listener", steps(socket(r0, TCP), connect(r0, 3).fails(ECONNREFUSED), connect(r0, 1)), Result{}, Result{Err: ECONNABORTED}, "F5"},
		{"F5 refused again", steps(socket(r0, TCP), connect(r0, 3).fails(ECONNREFUSED),
			connect(r0, 3).fails(ECONNREFUSED).netstack(Finding, errX(ECONNABORTED), "refused again on Linux", "test"), recv(r0, 10, 0, "")), Result{Err: ENOTCONN}, Result{}, "F5"},
		{"F5 dup keeps the port", steps(socket(r0, TCP), bind(r0, 2), connect(r0, 3).fails(ECONNREFUSED), dup(r0, r1), closefd(r0), socket(r2, TCP), bind(r2, 2)),
			Result{Err: EADDRINUSE}, Result{}, "F5"},
		{"F6 IN|OUT", steps(socket(r0, TCP), shutdown(r0, ShutRDWR).fails(ENOTCONN), poll(r0, inout, nowait, 0)),
			Result{N: int(PollIn | PollOut | PollHup)}, Result{N: int(PollHup)}, "F6"},
		{"F6 bound", steps(socket(r0, TCP), shutdown(r0, ShutRD).fails(ENOTCONN), bind(r0, 1), recv(r0, 10, MsgDontWait, "")),
			Result{}, Result{Err: ENOTCONN}, "F6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tableShapes(tc.steps, tc.linux, tc.ns)
			last := &r.Calls[len(r.Calls)-1]
			if last.Rule != tc.rule {
				t.Errorf("rule %q, want %q (refused: %v)", last.Rule, tc.rule, last.Refused)
			}
		})
	}
}

// tableShapes is the classified report of a program whose steps all answer as the table
// expects on both sides (Linux's expectation, netstack's where the step has a deviation),
// but the last, which answers linux and ns.
func tableShapes(p []Step, linux, ns Result) *DiffReport {
	r := &DiffReport{Steps: p, Hang: -1}
	for i, st := range p {
		c := Compared{Step: i, Call: st.Call()}
		if i < len(p)-1 {
			c.Linux, c.Netstack = st.Expectation(Linux).Any[0], st.Expectation(Netstack).Any[0]
		} else {
			c.Linux, c.Netstack = linux, ns
		}
		r.Calls = append(r.Calls, c)
	}
	classify(r)
	return r
}
