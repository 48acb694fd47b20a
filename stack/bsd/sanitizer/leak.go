package sanitizer

import (
	"strings"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The leak oracles.
//
// Socket leaks: when the run did not end Done, Teardown never saw every socket freed: each
// unfreed socket (Stack.Leaks) is reported under its cause. A run that stopped because a
// thread lost its wakeup or deadlocked never reached its teardown, so its unfreed sockets are
// a consequence, not a second bug: they are not reported then; nor after a panic or a budget
// stop, whose state is torn mid-way.

// checkLeaks reports the sockets a settled, non-Done run left allocated.
func (c *Checker) checkLeaks(res *sched.Result, st *bsd.Stack, quiescent *sched.Result) {
	if res.Status != sched.Quiescent && res.Status != sched.Aborted {
		return
	}
	if oracle.Stuck(res) || oracle.Stuck(quiescent) {
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
