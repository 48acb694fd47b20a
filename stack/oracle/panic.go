package oracle

import (
	"fmt"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// PanicClassifier names the oracle and title of a target's own assertion, from the panic's
// first line: the BSD model's "soclose: NOFDREF" is use after soclose, so that the assertion
// and the event check of the same bug share a title. ok false leaves the panic generic.
type PanicClassifier func(line string) (oracle, title string, ok bool)

// Crashes is the crash oracle: a Go panic in a thread of the execution (a target's assertion or
// a plain Go runtime error), a misuse of the substrate's API, and a step budget run out (a
// possible livelock).
type Crashes struct {
	// Classify names a target's own assertions; nil for none.
	Classify PanicClassifier
}

// Quiescent implements Oracle; crashes are judged at the end.
func (Crashes) Quiescent(*sched.Result, *Reporter) {}

// Finish implements Oracle.
func (c Crashes) Finish(end *End, r *Reporter) {
	res := end.Result
	if p := res.Panic; p != nil {
		oracle, title := c.PanicTitle(p.Value)
		r.Report(oracle, title, fmt.Sprintf("panic in %s#%d: %s\n%s", p.Name, p.Thread, p.Value, p.Stack), p.Thread, p.Step)
	}
	for _, b := range res.Bugs {
		r.Report(Substrate, fmt.Sprintf("substrate misuse: %s %s: %v", b.Op, Stable(b.Obj), b.Err), b.String(), b.Thread, b.Step)
	}
	if res.Status == sched.Budget {
		r.Report(Livelock, "livelock: step budget exhausted",
			fmt.Sprintf("%d steps without the execution ending", res.Steps), -1, res.Steps)
	}
}

// PanicTitle returns the oracle and title of a panic value: the target's own when it classifies
// it, else the generic panic oracle's "panic: " and the value's first line made stable.
func (c Crashes) PanicTitle(value string) (oracle, title string) {
	line := strings.TrimSpace(FirstLine(value))
	if c.Classify != nil {
		if o, t, ok := c.Classify(line); ok {
			return o, t
		}
	}
	return Panic, "panic: " + Stable(line)
}
