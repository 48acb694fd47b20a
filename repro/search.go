package repro

import (
	"errors"
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// SearchConfig bounds a systematic schedule search (Search).
type SearchConfig struct {
	// Changes is the number of change points, 1 or 2.
	Changes int
	// Window bounds the distance between the two change points, in decisions (Changes 2); 0 is
	// every pair.
	Window int
	// Title is the report wanted; "" takes any report.
	Title string
	// Budget bounds the executions; 0 is no bound.
	Budget int
}

// SearchResult is what a schedule search found.
type SearchResult struct {
	// Found tells that an execution reported what was wanted; Program then replays it (its
	// schedule the execution's explicit choices) and Outcome is that execution's.
	Found   bool
	Program *Program
	Outcome *Outcome
	// At are the change points of the failing schedule (decision indices), ClockFirst whether
	// the clock ran before the demoted threads.
	At         []int
	ClockFirst bool
	// Runs counts the executions; Decisions is the number of decisions of p under the
	// default schedule, the range of the change points.
	Runs, Decisions int
}

// Search looks for a schedule of p under which an oracle reports cfg.Title (any report when
// empty): the default schedule, then every schedule with one change point (the thread current
// at decision k demoted for the rest of the execution, sched.Demote), with the clock after and
// then before the demoted threads, then, with Changes 2, every pair of change points within
// Window. It is PCT's search made exhaustive for depth 2 and 3, in the spirit of preemption
// bounding: the bugs of few context switches come first and each schedule is run once. p runs
// controlled; opt.Chooser must be nil.
func Search(p *Program, opt Options, cfg SearchConfig) (*SearchResult, error) {
	if opt.Chooser != nil {
		return nil, errors.New("search: the options already name a chooser")
	}
	if cfg.Changes < 1 || cfg.Changes > 2 {
		return nil, fmt.Errorf("search: %d change points, want 1 or 2", cfg.Changes)
	}
	if cfg.Window < 0 || cfg.Budget < 0 {
		return nil, fmt.Errorf("search: window %d, budget %d: want 0 or more", cfg.Window, cfg.Budget)
	}
	q := *p
	q.Header.Mode = Controlled
	opt.Mode = Controlled
	res := &SearchResult{}
	try := func(at []int, clockFirst bool) (bool, error) {
		if cfg.Budget > 0 && res.Runs >= cfg.Budget {
			return false, nil
		}
		o := opt
		o.Chooser = sched.Demote(at, clockFirst)
		out, err := Execute(&q, o)
		if err != nil {
			return false, fmt.Errorf("search: %w", err)
		}
		res.Runs++
		if at == nil {
			res.Decisions = len(out.Result.Choices)
		}
		if !out.Failed() || cfg.Title != "" && !out.HasTitle(cfg.Title) {
			return false, nil
		}
		found := q
		found.Header.Sched = Schedule{Kind: SchedReplay, Choices: out.Result.Choices}
		res.Found, res.Program, res.Outcome, res.At, res.ClockFirst = true, &found, out, at, clockFirst
		return true, nil
	}
	if ok, err := try(nil, false); ok || err != nil {
		return res, err
	}
	n := res.Decisions
	for _, clock := range []bool{false, true} {
		for k := 0; k < n; k++ {
			if ok, err := try([]int{k}, clock); ok || err != nil {
				return res, err
			}
		}
	}
	if cfg.Changes == 2 {
		for _, clock := range []bool{false, true} {
			for k := 0; k < n; k++ {
				end := n
				if cfg.Window > 0 {
					end = min(n, k+1+cfg.Window)
				}
				for k2 := k + 1; k2 < end; k2++ {
					if ok, err := try([]int{k, k2}, clock); ok || err != nil {
						return res, err
					}
				}
			}
		}
	}
	return res, nil
}
