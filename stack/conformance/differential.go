package conformance

import (
	"errors"
	"fmt"
	"strings"
)

// Differential testing: one single-process program (a sequence of steps, without
// expectations) runs on two Sockets implementations, Linux's (the host) and netstack's
// (TargetSockets of the netstack target, Controlled), and every call's Result is compared the
// way Run compares a result with an expectation (matches: the fields that count for the
// operation). A difference that a rule of the known deviations explains (Rules, known.go) is
// expected; any other is a finding, reported with the step list, both results and the
// rules' verdicts.
//
// What keeps both answers deterministic (timing is handled here, never by ignoring a result):
//
//   - Every step runs to completion on both sides before the next: netstack's harness runs the
//     stack until every thread is idle between steps, the host's loopback delivers a packet
//     before the system call that sent it returns. The one exception, a non-blocking connect
//     whose handshake the host finishes after EINPROGRESS, is settled: the host waits (poll
//     for POLLOUT, bounded) before the next step, as netstack does; the wait reads nothing.
//   - The first hang ends the program: a step on which either side answers EHANG is compared
//     (both EHANG is agreement) and nothing after it runs, since what follows an interrupted
//     call depends on how long the host waited (its timers run, netstack's clock is held).
//   - A closed descriptor's slot is emptied: later steps on it pass -1 (EBADF on both),
//     where the two sides' descriptor numbers, which differ, would make the host reuse the
//     number for a new socket and netstack not.
//   - Nagle's algorithm is off on the host (Host.NoDelay), as it is in netstack's default
//     (pkg/tcpip/transport/tcp/endpoint.go:921-924: the delay option is set only when the
//     stack enables TCPDelayEnabled): small sends are never held back for a delayed ACK.
//   - The host's bound on blocking calls is short while fuzzing; an unexplained difference
//     is confirmed with the default bound (LinuxDifferential), so that a host call merely
//     slower than the short bound is not reported.

// MaxDiffSteps bounds a differential program.
const MaxDiffSteps = 32

// Compared is one step run on both sides.
type Compared struct {
	Step     int // index into the program
	Call     string
	Linux    Result
	Netstack Result
	// Rule is the ID of the rule that explains a difference ("D1"); "" when the results agree
	// or when no rule explains the difference.
	Rule string
	// Refused lists, for an unexplained difference, why each rule that looks at this
	// operation refused it ("D4: netstack's revents are not every requested event with ERR
	// and HUP").
	Refused []string
}

// Differs reports whether the two sides' results differ.
func (c Compared) Differs(op Op) bool { return !matches(op, c.Linux, c.Netstack) }

// DiffReport is the outcome of one differential run.
type DiffReport struct {
	Steps []Step     // the program
	Calls []Compared // the steps run, in order; fewer than Steps after a hang
	// Hang is the index of the step after which the run stopped because a side answered
	// EHANG, -1 if none did.
	Hang int
	// Errors are failures of the implementations themselves (Begin, End: a panic, a race,
	// a descriptor left open): a harness failure, not a difference.
	Errors []error
	// Note says how the report was confirmed (LinuxDifferential), "" if it was not.
	Note string
}

// Unexplained returns the steps whose results differ and that no rule explains.
func (r *DiffReport) Unexplained() []Compared {
	var out []Compared
	for _, c := range r.Calls {
		if c.Rule == "" && c.Differs(r.Steps[c.Step].Op) {
			out = append(out, c)
		}
	}
	return out
}

// Explained returns the steps whose results differ as a rule explains.
func (r *DiffReport) Explained() []Compared {
	var out []Compared
	for _, c := range r.Calls {
		if c.Rule != "" {
			out = append(out, c)
		}
	}
	return out
}

// Failed reports whether the run found an unexplained difference or a harness failure.
func (r *DiffReport) Failed() bool { return len(r.Errors) > 0 || len(r.Unexplained()) > 0 }

// Title is a one-line summary of the first failure, the dedup key of a fuzzing crash
// ("netstack vs linux: recv: linux EINVAL, netstack \"abc\""); "" when nothing failed.
func (r *DiffReport) Title() string {
	if len(r.Errors) > 0 {
		return "netstack vs linux: harness: " + r.Errors[0].Error()
	}
	u := r.Unexplained()
	if len(u) == 0 {
		return ""
	}
	op := r.Steps[u[0].Step].Op
	return fmt.Sprintf("netstack vs linux: %s: linux %s, netstack %s", op, formatResult(op, u[0].Linux), formatResult(op, u[0].Netstack))
}

// String renders the whole report: the program, every step's two results and verdict.
func (r *DiffReport) String() string {
	var b strings.Builder
	if t := r.Title(); t != "" {
		b.WriteString(t + "\n")
	}
	for _, err := range r.Errors {
		fmt.Fprintf(&b, "harness error: %v\n", err)
	}
	if r.Note != "" {
		b.WriteString(r.Note + "\n")
	}
	ran := make(map[int]Compared, len(r.Calls))
	for _, c := range r.Calls {
		ran[c.Step] = c
	}
	for i, st := range r.Steps {
		c, ok := ran[i]
		if !ok {
			fmt.Fprintf(&b, "%3d %s  (not run: after the hang)\n", i, st.Call())
			continue
		}
		l, n := formatResult(st.Op, c.Linux), formatResult(st.Op, c.Netstack)
		switch {
		case !c.Differs(st.Op):
			fmt.Fprintf(&b, "%3d %s = %s\n", i, st.Call(), l)
		case c.Rule != "":
			fmt.Fprintf(&b, "%3d %s: linux %s, netstack %s: explained by %s\n", i, st.Call(), l, n, c.Rule)
		default:
			fmt.Fprintf(&b, "%3d %s: linux %s, netstack %s: UNEXPLAINED\n", i, st.Call(), l, n)
			for _, why := range c.Refused {
				fmt.Fprintf(&b, "      %s\n", why)
			}
			if len(c.Refused) == 0 {
				b.WriteString("      no rule looks at this operation\n")
			}
		}
	}
	return b.String()
}

// settler is implemented by the host: after a non-blocking connect answered EINPROGRESS it
// waits, bounded, for the handshake to end, so that the next step finds it settled as
// netstack's harness does.
type settler interface {
	settleConnect(fd int)
}

// Differential runs the program on both implementations, step by step, and classifies every
// difference with Rules. Each side gets Begin before the first step and End after the last
// when it implements Lifecycle (End closes every descriptor left open).
func Differential(steps []Step, linux, netstack Sockets) *DiffReport {
	r := &DiffReport{Steps: steps, Hang: -1}
	if linux == nil || netstack == nil {
		r.Errors = append(r.Errors, errors.New("differential: a nil implementation"))
		return r
	}
	sides := []struct {
		name string
		impl Sockets
	}{{"linux", linux}, {"netstack", netstack}}
	for i, s := range sides {
		lc, ok := s.impl.(Lifecycle)
		if !ok {
			continue
		}
		if err := lc.Begin(); err != nil {
			r.Errors = append(r.Errors, fmt.Errorf("%s: begin: %w", s.name, err))
			for _, prev := range sides[:i] {
				if lc, ok := prev.impl.(Lifecycle); ok {
					if err := lc.End(); err != nil {
						r.Errors = append(r.Errors, fmt.Errorf("%s: end: %w", prev.name, err))
					}
				}
			}
			return r
		}
	}
	defer func() {
		for _, s := range sides {
			if lc, ok := s.impl.(Lifecycle); ok {
				if err := lc.End(); err != nil {
					r.Errors = append(r.Errors, fmt.Errorf("%s: end: %w", s.name, err))
				}
			}
		}
	}()
	ls, ns := make(map[Slot]int), make(map[Slot]int)
	for i, st := range steps {
		lr := runStep(linux, st, ls)
		nr := runStep(netstack, st, ns)
		r.Calls = append(r.Calls, Compared{Step: i, Call: st.Call(), Linux: lr, Netstack: nr})
		if lr.Err == EHANG || nr.Err == EHANG {
			r.Hang = i
			break
		}
	}
	classify(r)
	return r
}

// runStep performs one step on one side with its own slots: created descriptors fill their
// slot (a failed creation empties it), a closed one empties its slot, and a non-blocking
// connect is settled.
func runStep(impl Sockets, st Step, slots map[Slot]int) Result {
	res, fd := execute(impl, st, slots)
	switch {
	case st.Op.creates() && res.Err == OK:
		slots[st.Out] = fd
	case st.Op.creates():
		delete(slots, st.Out)
	case st.Op == OpClose && res.Err == OK && st.FD != BadFD:
		delete(slots, st.FD)
	case st.Op == OpConnect && res.Err == EINPROGRESS:
		if s, ok := impl.(settler); ok {
			s.settleConnect(fdOf(slots, st.FD))
		}
	}
	return res
}

// nondeterministic is the error of a program whose first run found a difference that a
// second run did not, other than a host hang.
func nondeterministic(first *DiffReport) error {
	return fmt.Errorf("nondeterministic: a first run differed where a second did not:\n%s", first)
}
