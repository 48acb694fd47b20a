package oracle

import (
	"fmt"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The crash oracles: a Go panic in a thread of the stack (a kernel assertion, or a plain Go
// runtime error), a misuse of the substrate's API, and a step budget run out (a possible
// livelock). The stack's assertions of the SS_NOFDREF lifecycle map to the use-after-soclose
// oracle's titles, so that the assertion and the event check of the same bug share a title.

// panicTitles maps kernel panic messages to the title of the oracle that owns them.
var panicTitles = map[string][2]string{
	"soclose: NOFDREF":   {UseAfterSoclose, titleNofdrefTwice},
	"soaccept: !NOFDREF": {UseAfterSoclose, titleAcceptNoNofdref},
}

// panicTitle returns the oracle and title of a panic value.
func panicTitle(value string) (oracle, title string) {
	line := strings.TrimSpace(firstLine(value))
	if t, ok := panicTitles[line]; ok {
		return t[0], t[1]
	}
	return Panic, "panic: " + stable(line)
}

// checkPanic reports a result's panic.
func (c *Checker) checkPanic(res *sched.Result) {
	p := res.Panic
	if p == nil {
		return
	}
	oracle, title := panicTitle(p.Value)
	c.report(oracle, title, fmt.Sprintf("panic in %s#%d: %s\n%s", p.Name, p.Thread, p.Value, p.Stack), p.Thread, p.Step)
}

// checkBugs reports misuses of the substrate and a step budget run out.
func (c *Checker) checkBugs(res *sched.Result) {
	for _, b := range res.Bugs {
		c.report(Substrate, fmt.Sprintf("substrate misuse: %s %s: %v", b.Op, stable(b.Obj), b.Err), b.String(), b.Thread, b.Step)
	}
	if res.Status == sched.Budget {
		c.report(Livelock, "livelock: step budget exhausted",
			fmt.Sprintf("%d steps without the execution ending", res.Steps), -1, res.Steps)
	}
}
