package oracle

import (
	"sync"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Reporter collects one execution's reports, deduplicated by title, in order of first
// occurrence. It is safe for concurrent use: in Free mode a target's oracles report from
// several goroutines.
type Reporter struct {
	mu      sync.Mutex
	reports []Report
	titles  map[string]bool
	trace   func() []string
}

// reporterPool holds released Reporters: one per execution otherwise.
var reporterPool sync.Pool // of *Reporter

// NewReporter returns an empty Reporter for one execution.
func NewReporter() *Reporter {
	if r, _ := reporterPool.Get().(*Reporter); r != nil {
		return r
	}
	return &Reporter{titles: make(map[string]bool)}
}

// SetTrace sets the function that gives the recent events a new report carries (a target's
// event ring, oldest first). It is called with the Reporter's lock held, while the caller of
// Report may hold its own: it must not take a lock an oracle holds while reporting.
func (r *Reporter) SetTrace(trace func() []string) {
	r.mu.Lock()
	r.trace = trace
	r.mu.Unlock()
}

// Report records a violation unless its title was already reported in this execution.
func (r *Reporter) Report(oracle, title, detail string, thread sched.ID, step int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.titles[title] {
		return
	}
	r.titles[title] = true
	var trace []string
	if r.trace != nil {
		trace = r.trace()
	}
	r.reports = append(r.reports, Report{Oracle: oracle, Title: title, Detail: detail,
		Thread: thread, Step: step, Trace: trace})
}

// Reports returns a copy of the reports so far.
func (r *Reporter) Reports() []Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Report(nil), r.reports...)
}

// Release gives the Reporter back for reuse; the caller must not use it afterwards. The
// reports Reports returned are the caller's own.
func (r *Reporter) Release() {
	r.mu.Lock()
	r.reports, r.trace = nil, nil
	clear(r.titles)
	r.mu.Unlock()
	reporterPool.Put(r)
}
