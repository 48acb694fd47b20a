package sanitizer

import (
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Report is the oracles' report.
type Report = oracle.Report

// judge is a Checker with the generic oracles beside it, reporting to one Reporter, as the
// bsd target runs them; its Quiescent and Finish take the stack and results as the executor
// has them.
type judge struct {
	*Checker
	rep *oracle.Reporter
}

func newJudge() *judge {
	rep := oracle.NewReporter()
	return &judge{NewChecker(rep), rep}
}

func (j *judge) oracles() []oracle.Oracle {
	return append(oracle.Generic(ClassifyPanic), j.Checker)
}

// Quiescent runs every oracle's quiescence check.
func (j *judge) Quiescent(st *bsd.Stack, res *sched.Result) {
	j.Attach(st)
	for _, o := range j.oracles() {
		o.Quiescent(res, j.rep)
	}
}

// Finish runs every oracle's end check and returns the execution's reports.
func (j *judge) Finish(res *sched.Result, st *bsd.Stack, quiescent *sched.Result) []Report {
	j.Attach(st)
	end := &oracle.End{Result: res, Quiescent: quiescent}
	for _, o := range j.oracles() {
		o.Finish(end, j.rep)
	}
	return j.rep.Reports()
}

// E builds an event: kind, thread, socket; the rest through options.
func E(kind bsd.ObsKind, thread sched.ID, sock int, opts ...func(*bsd.ObsEvent)) bsd.ObsEvent {
	ev := bsd.ObsEvent{Kind: kind, Thread: thread, Sock: sock, Head: -1, Proc: -1, Site: "site"}
	for _, o := range opts {
		o(&ev)
	}
	return ev
}

func head(h int) func(*bsd.ObsEvent)        { return func(e *bsd.ObsEvent) { e.Head = h } }
func arg(a int) func(*bsd.ObsEvent)         { return func(e *bsd.ObsEvent) { e.Arg = a } }
func site(s string) func(*bsd.ObsEvent)     { return func(e *bsd.ObsEvent) { e.Site = s } }
func freed() func(*bsd.ObsEvent)            { return func(e *bsd.ObsEvent) { e.Freed = true } }
func state(o, n uint64) func(*bsd.ObsEvent) { return func(e *bsd.ObsEvent) { e.Old, e.New = o, n } }

// feed runs a stream of events through a fresh Checker (no stack: the event-only checks) and
// returns its reports after Finish with a Done result.
func feed(evs ...bsd.ObsEvent) []Report {
	c := newJudge()
	for i, ev := range evs {
		ev.Step = i + 1
		c.Observe(nil, ev)
	}
	return c.Finish(&sched.Result{Status: sched.Done}, nil, nil)
}

// titles returns the reports' titles.
func titles(rs []Report) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Title)
	}
	return out
}

// expect checks that the reports hold exactly the titles want (in order); none for a clean case.
func expect(t *testing.T, name string, rs []Report, want ...string) {
	t.Helper()
	got := titles(rs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: got titles %q, want %q", name, got, want)
		for _, r := range rs {
			t.Logf("%v", r)
		}
	}
}

// lifecycle is a clean socket life: created, given a descriptor, closed, freed.
func lifecycle(thread sched.ID, sock, fd int) []bsd.ObsEvent {
	return []bsd.ObsEvent{
		E(bsd.ObsSockCreated, thread, sock, state(0, bsd.SS_NOFDREF)),
		E(bsd.ObsState, thread, sock, state(bsd.SS_NOFDREF, 0), site("socreate")),
		E(bsd.ObsFdInstall, thread, sock, arg(fd)),
		E(bsd.ObsFdClose, thread, sock, arg(fd)),
		E(bsd.ObsState, thread, sock, state(0, bsd.SS_NOFDREF), site("soclose")),
		E(bsd.ObsSockFreed, thread, sock),
	}
}

func cat(parts ...[]bsd.ObsEvent) []bsd.ObsEvent {
	var out []bsd.ObsEvent
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func evs(e ...bsd.ObsEvent) []bsd.ObsEvent { return e }
