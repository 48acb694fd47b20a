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

// leaks is the socket leak oracle.
type leaks struct{ t *tracker }

// Quiescent implements bsdOracle: leaks are judged at the end.
func (*leaks) Quiescent(*bsd.Snapshot, int) {}

// Finish implements bsdOracle.
func (l *leaks) Finish(end *oracle.End, snap *bsd.Snapshot) {
	if snap != nil {
		l.check(end.Result, l.t.st, end.Quiescent)
	}
}

func (*leaks) reset() {}

// check reports the sockets a settled, non-Done run left allocated.
func (l *leaks) check(res *sched.Result, st *bsd.Stack, quiescent *sched.Result) {
	if res.Status != sched.Quiescent && res.Status != sched.Aborted {
		return
	}
	if oracle.Stuck(res) || oracle.Stuck(quiescent) {
		return
	}
	var causes []string
	byCause := make(map[string][]string)
	for _, lk := range st.Leaks() {
		if _, ok := byCause[lk.Cause]; !ok {
			causes = append(causes, lk.Cause)
		}
		byCause[lk.Cause] = append(byCause[lk.Cause], lk.String())
	}
	for _, cause := range causes {
		l.t.report(SocketLeak, "socket leak: "+cause, strings.Join(byCause[cause], "\n"), -1, res.Steps)
	}
}
