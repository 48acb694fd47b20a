package oracle

import (
	"regexp"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The leak oracles.
//
// Socket leaks: when the run did not end Done, Teardown never saw every socket freed: each
// unfreed socket (Stack.Leaks) is reported under its cause. A run that stopped because a
// thread lost its wakeup or deadlocked never reached its teardown, so its unfreed sockets are
// a consequence, not a second bug: they are not reported then; nor after a panic or a budget
// stop, whose state is torn mid-way.
//
// Goroutine leaks: GoroutineLeak turns goleak's error into a report.

// checkLeaks reports the sockets a settled, non-Done run left allocated.
func (c *Checker) checkLeaks(res *sched.Result, st *stack.Stack, quiescent *sched.Result) {
	if res.Status != sched.Quiescent && res.Status != sched.Aborted {
		return
	}
	if lostWakeupIn(res) || lostWakeupIn(quiescent) {
		return
	}
	var causes []string
	byCause := make(map[string][]string)
	for _, l := range st.Leaks() {
		if _, ok := byCause[l.Cause]; !ok {
			causes = append(causes, l.Cause)
		}
		byCause[l.Cause] = append(byCause[l.Cause], l.String())
	}
	for _, cause := range causes {
		c.report(SocketLeak, "socket leak: "+cause, strings.Join(byCause[cause], "\n"), -1, res.Steps)
	}
}

var reTopFunc = regexp.MustCompile(`with (\S+) on top of the stack`)

// GoroutineLeak turns the error of goleak.Find (or VerifyNone's message) into a report, nil
// for a nil error. The title names the top function of the first leaked goroutine, without
// goroutine numbers.
func GoroutineLeak(err error) *Report {
	if err == nil {
		return nil
	}
	msg := err.Error()
	title := "goroutine leak"
	if m := reTopFunc.FindStringSubmatch(msg); m != nil {
		title += ": " + stable(m[1])
	}
	return &Report{Oracle: GoroutineLeaks, Title: title, Detail: msg, Thread: -1}
}
