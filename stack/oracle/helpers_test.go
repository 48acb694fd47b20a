package oracle

import (
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// E builds an event: kind, thread, socket; the rest through options.
func E(kind stack.ObsKind, thread sched.ID, sock int, opts ...func(*stack.ObsEvent)) stack.ObsEvent {
	ev := stack.ObsEvent{Kind: kind, Thread: thread, Sock: sock, Head: -1, Proc: -1, Site: "site"}
	for _, o := range opts {
		o(&ev)
	}
	return ev
}

func head(h int) func(*stack.ObsEvent)        { return func(e *stack.ObsEvent) { e.Head = h } }
func arg(a int) func(*stack.ObsEvent)         { return func(e *stack.ObsEvent) { e.Arg = a } }
func site(s string) func(*stack.ObsEvent)     { return func(e *stack.ObsEvent) { e.Site = s } }
func freed() func(*stack.ObsEvent)            { return func(e *stack.ObsEvent) { e.Freed = true } }
func state(o, n uint64) func(*stack.ObsEvent) { return func(e *stack.ObsEvent) { e.Old, e.New = o, n } }

// feed runs a stream of events through a fresh Checker (no stack: the event-only checks) and
// returns its reports after Finish with a Done result.
func feed(evs ...stack.ObsEvent) []Report {
	c := NewChecker()
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
func lifecycle(thread sched.ID, sock, fd int) []stack.ObsEvent {
	return []stack.ObsEvent{
		E(stack.ObsSockCreated, thread, sock, state(0, stack.SS_NOFDREF)),
		E(stack.ObsState, thread, sock, state(stack.SS_NOFDREF, 0), site("socreate")),
		E(stack.ObsFdInstall, thread, sock, arg(fd)),
		E(stack.ObsFdClose, thread, sock, arg(fd)),
		E(stack.ObsState, thread, sock, state(0, stack.SS_NOFDREF), site("soclose")),
		E(stack.ObsSockFreed, thread, sock),
	}
}

func cat(parts ...[]stack.ObsEvent) []stack.ObsEvent {
	var out []stack.ObsEvent
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func evs(e ...stack.ObsEvent) []stack.ObsEvent { return e }
