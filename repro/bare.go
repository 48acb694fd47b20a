package repro

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// BareOptions choose what a bare execution (ExecuteBare) keeps of the harness.
type BareOptions struct {
	// Mode, when set, overrides the program's mode. Free runs the threads in parallel on sync
	// primitives and makes no schedule decision; Controlled runs one thread at a time under
	// the program's schedule.
	Mode Mode
	// Race keeps the substrate's happens-before detector on (Controlled mode only).
	Race bool
	// StepBudget bounds the execution's scheduling points; 0 means DefaultStepBudget.
	StepBudget int
}

// ExecuteBare runs p as Execute does but with no oracle: no observer on the stack, no check at
// idle points, at quiescence or at the end, no trace log, and (unless opt.Race) no
// happens-before detector. It is for measuring the harness's own cost (sockfuzz bench): its
// result says how the execution ended, not whether the program is correct. An error means the
// program is invalid or the substrate left threads alive.
func ExecuteBare(p *Program, opt BareOptions) (*sched.Result, error) {
	tgt, faults, mode, err := setup(p, opt.Mode)
	if err != nil {
		return nil, fmt.Errorf("execute bare: %w", err)
	}
	cfg := sched.Config{StepBudget: opt.StepBudget, LogSize: -1, NoRace: !opt.Race}
	if cfg.StepBudget == 0 {
		cfg.StepBudget = DefaultStepBudget
	}
	if mode == Free {
		cfg.Mode = sched.Free
	} else {
		cfg.Chooser = p.Header.Sched.Chooser()
	}
	e := sched.New(cfg)
	st, err := tgt.New(e, stack.Config{CPUs: p.Header.CPUs, Faults: faults})
	if err != nil {
		return nil, fmt.Errorf("execute bare: target %s: %w", tgt.Name(), err)
	}
	startThreads(p, e, st)
	_, res := e.Finish()
	if n := e.LiveThreads(); n != 0 {
		return res, fmt.Errorf("execute bare: %d threads alive after the execution (%v)", n, res.Status)
	}
	st.Release()
	// As Execute does: the result keeps its own copy of the choices, and the execution's
	// memory goes to the next one.
	res = res.Detach()
	e.Release()
	return res, nil
}
