package repro

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The minimizer shrinks a failing program while the same report title reproduces, in the
// manner of syzkaller's prog/minimization.go and Go's internal/fuzz/minimize.go: it proposes a
// smaller candidate, judges it, and keeps it only when the title comes back. A concurrency bug
// depends on the interleaving as much as on the calls, so each candidate is judged under the
// schedule that reproduced the current program first and then under a bounded search of PCT
// and random seeds; an accepted candidate carries the explicit replay of the run that
// reproduced it, so that the result reproduces on every controlled replay.

// Defaults of MinimizeOptions.
const (
	// DefaultMinimizeSeeds is the number of PCT seeds, and of random seeds, tried for a
	// candidate that the current schedule does not reproduce.
	DefaultMinimizeSeeds = 8
	// DefaultMinimizeCandidates is the candidate budget.
	DefaultMinimizeCandidates = 1000
	// DefaultReplays is the number of controlled replays that measure the result's reliability.
	DefaultReplays = 100
)

// ErrNoReproduction is returned (wrapped) when the program given to Minimize does not fail
// with the wanted title under its own schedule nor under the seed search.
var ErrNoReproduction = errors.New("the program does not reproduce")

// MinimizeOptions adjust a minimization. The zero value minimizes with repro.Execute and the
// defaults.
type MinimizeOptions struct {
	// Execute judges one run; nil means repro.Execute. Tests plug in a synthetic judge. It must
	// be deterministic, and should make its scheduling decisions with Options.Chooser when that
	// is set, so that the minimizer can steer and record them.
	Execute func(*Program, Options) (*Outcome, error)
	// Title is the report title that must reproduce; "" takes the first report's title of the
	// first failing run of the input.
	Title string
	// Seeds is the number of PCT seeds, and of random seeds, tried per candidate when the
	// current schedule does not reproduce it: seeds 0..Seeds-1, alternating PCT and random.
	// 0 means DefaultMinimizeSeeds; negative means none (only the current schedule is tried).
	Seeds int
	// PCTDepth is the PCT search's bug depth; 0 means DefaultPCTDepth.
	PCTDepth int
	// Candidates bounds the number of candidates judged (each may take 1+2*Seeds runs);
	// 0 means DefaultMinimizeCandidates. When it runs out the smallest program so far is the
	// result.
	Candidates int
	// StepBudget is each run's step budget; 0 means DefaultStepBudget.
	StepBudget int
	// Replays is the number of controlled replays of the result that measure its
	// reliability; 0 means DefaultReplays.
	Replays int
}

// MinimizeResult is what a minimization produced.
type MinimizeResult struct {
	// Program is the minimized program, in controlled mode, with an explicit replay schedule
	// (the input's leading comments are kept).
	Program *Program
	// Title is the title that reproduces; Oracle the oracle that reported it.
	Title, Oracle string
	// Log says what was removed or simplified, in order: "removed call p1:3 close(r2)",
	// "dropped fault abort-twice", "cpus 4 -> 1", ...
	Log []string
	// Candidates is the number of candidates judged, Accepted the number kept, Runs the
	// number of executions (the reliability replays included).
	Candidates, Accepted, Runs int
	// Exhausted reports that the candidate budget ran out before no smaller candidate was left.
	Exhausted bool
	// Reproduced of Replays controlled replays of Program reproduced Title.
	Reproduced, Replays int
}

// Reliability returns "N/M controlled replays", as the crash store writes it.
func (r *MinimizeResult) Reliability() string {
	return fmt.Sprintf("%d/%d controlled replays", r.Reproduced, r.Replays)
}

// HasTitle reports whether one of the outcome's reports has the title.
func (o *Outcome) HasTitle(title string) bool {
	return slices.ContainsFunc(o.Reports, func(r oracle.Report) bool { return r.Title == title })
}

// Minimize shrinks p while a report with the same title reproduces: whole processes, single
// calls (with the calls that use a descriptor they define), wire operations, faults, CPUs,
// arguments and finally the schedule's non-default choices. It is deterministic: the same
// program, options and judge give the same result. p is not modified.
func Minimize(p *Program, opt MinimizeOptions) (*MinimizeResult, error) {
	if err := Validate(p); err != nil {
		return nil, fmt.Errorf("minimize: %w", err)
	}
	m := &minimizer{opt: opt, title: opt.Title, tried: map[string]bool{}, res: &MinimizeResult{}}
	if m.opt.Execute == nil {
		m.opt.Execute = Execute
	}
	switch {
	case m.opt.Seeds == 0:
		m.opt.Seeds = DefaultMinimizeSeeds
	case m.opt.Seeds < 0:
		m.opt.Seeds = 0
	}
	if m.opt.PCTDepth <= 0 {
		m.opt.PCTDepth = DefaultPCTDepth
	}
	m.opt.PCTDepth = min(m.opt.PCTDepth, MaxPCTDepth)
	if m.opt.Candidates <= 0 {
		m.opt.Candidates = DefaultMinimizeCandidates
	}
	if m.opt.StepBudget <= 0 {
		m.opt.StepBudget = DefaultStepBudget
	}
	if m.opt.Replays <= 0 {
		m.opt.Replays = DefaultReplays
	}

	start := clone(p)
	if start.Header.Mode != Controlled {
		start.Header.Mode = Controlled
		m.logf("mode %s -> %s", p.Header.Mode, Controlled)
	}
	m.tried[key(start)] = true
	found, err := m.search(start, nil)
	if err != nil {
		return nil, err
	}
	if found == nil {
		want := "any report"
		if m.title != "" {
			want = fmt.Sprintf("%q", m.title)
		}
		return nil, fmt.Errorf("minimize: %w: no run of %d (its own schedule, %d PCT and %d random seeds) gave %s",
			ErrNoReproduction, m.res.Runs, m.opt.Seeds, m.opt.Seeds, want)
	}
	m.accept(start, found)

	for changed := true; changed && !m.res.Exhausted; {
		changed = false
		for _, pass := range []func() (bool, error){m.procs, m.wireAll, m.calls, m.wireOps, m.faults, m.cpus, m.args} {
			ok, err := pass()
			if err != nil {
				return nil, err
			}
			changed = changed || ok
		}
	}
	if err := m.schedule(); err != nil {
		return nil, err
	}
	if m.res.Exhausted {
		m.logf("candidate budget (%d) exhausted", m.opt.Candidates)
	}

	// The result must reproduce under its own explicit schedule, with no chooser steering it.
	for i := 0; i < m.opt.Replays; i++ {
		o, err := m.run(m.cur, nil)
		if err != nil {
			return nil, err
		}
		if o.HasTitle(m.title) {
			m.res.Reproduced++
		}
	}
	m.res.Replays = m.opt.Replays
	m.res.Program, m.res.Title = m.cur, m.title
	return m.res, nil
}

// minimizer carries one minimization's state.
type minimizer struct {
	opt   MinimizeOptions
	title string
	// cur is the smallest program so far, with the explicit replay schedule of a run that
	// reproduced the title.
	cur *Program
	// curDefault tells, for each of cur's choices, whether it was sched.Default's choice; nil
	// when the judge did not make its decisions through the minimizer's chooser.
	curDefault []bool
	// curSteps is the reproducing run's step count: the PCT search's estimate.
	curSteps int
	// tried holds the candidates judged so far, as text without schedule: looked up, never
	// iterated.
	tried map[string]bool
	res   *MinimizeResult
}

// found is a reproducing run: its outcome and what the recorder saw.
type found struct {
	o   *Outcome
	rec *recorder
}

func (m *minimizer) logf(format string, args ...any) {
	m.res.Log = append(m.res.Log, fmt.Sprintf(format, args...))
}

// run executes p once; a non-nil chooser overrides p's schedule.
func (m *minimizer) run(p *Program, c sched.Chooser) (*Outcome, error) {
	m.res.Runs++
	o, err := m.opt.Execute(p, Options{Chooser: c, StepBudget: m.opt.StepBudget})
	if err != nil {
		return nil, fmt.Errorf("minimize: run: %w", err)
	}
	if o == nil {
		return nil, errors.New("minimize: run: the judge returned no outcome")
	}
	return o, nil
}

// match reports whether o shows the wanted title, taking the first report's title when none
// is set yet.
func (m *minimizer) match(o *Outcome) bool {
	if m.title == "" {
		if !o.Failed() {
			return false
		}
		m.title = o.Title()
		return true
	}
	return o.HasTitle(m.title)
}

// search judges p under its own schedule, then under PCT and random seeds, and returns the
// first reproducing run, or nil. mask, when set, masks decisions to sched.Default (the
// schedule pass); then only p's schedule is tried.
func (m *minimizer) search(p *Program, mask []bool) (*found, error) {
	tries := []sched.Chooser{p.Header.Sched.Chooser()}
	if tries[0] == nil {
		tries[0] = defaultChooser{}
	}
	if mask == nil {
		steps := m.curSteps
		if steps <= 0 {
			steps = DefaultPCTSteps
		}
		steps = min(steps, MaxPCTSteps)
		for s := 0; s < m.opt.Seeds; s++ {
			tries = append(tries, sched.PCT(uint64(s), m.opt.PCTDepth, steps), sched.Random(uint64(s)))
		}
	}
	for _, c := range tries {
		rec := &recorder{inner: c, mask: mask}
		o, err := m.run(p, rec)
		if err != nil {
			return nil, err
		}
		if !m.match(o) {
			continue
		}
		f := &found{o: o, rec: rec}
		if len(f.choices()) > MaxChoices {
			continue // a schedule too long to write down cannot be the result's
		}
		return f, nil
	}
	return nil, nil
}

// choices returns the run's choices without the trailing ones sched.Default would make
// anyway (a replay makes Default's choices once its list runs out), and their default flags
// (nil when the judge did not decide through the recorder).
func (f *found) choices() []sched.ID {
	c, _ := f.trimmed()
	return c
}

func (f *found) trimmed() ([]sched.ID, []bool) {
	var choices []sched.ID
	if f.o.Result != nil {
		choices = f.o.Result.Choices
	}
	if !slices.Equal(choices, f.rec.chosen) {
		return slices.Clone(choices), nil
	}
	n := len(choices)
	for n > 0 && f.rec.dflt[n-1] {
		n--
	}
	return slices.Clone(choices[:n]), slices.Clone(f.rec.dflt[:n])
}

// accept makes p, reproduced by f, the current program, with f's explicit schedule.
func (m *minimizer) accept(p *Program, f *found) {
	choices, dflt := f.trimmed()
	p.Header.Sched = Schedule{Kind: SchedReplay, Choices: choices}
	m.cur, m.curDefault = p, dflt
	m.curSteps = 0
	if f.o.Result != nil {
		m.curSteps = f.o.Result.Steps
	}
	if m.res.Oracle == "" {
		for _, r := range f.o.Reports {
			if r.Title == m.title {
				m.res.Oracle = r.Oracle
				break
			}
		}
	}
}

// try judges a candidate built from the current program and keeps it when the title
// reproduces, logging what. A candidate judged before is not judged again.
func (m *minimizer) try(cand *Program, what string) (bool, error) {
	if m.res.Exhausted {
		return false, nil
	}
	k := key(cand)
	if m.tried[k] {
		return false, nil
	}
	if m.res.Candidates >= m.opt.Candidates {
		m.res.Exhausted = true
		return false, nil
	}
	m.tried[k] = true
	m.res.Candidates++
	if err := Validate(cand); err != nil {
		return false, fmt.Errorf("minimize: a candidate (%s) is invalid: %w", what, err)
	}
	f, err := m.search(cand, nil)
	if err != nil || f == nil {
		return false, err
	}
	m.accept(cand, f)
	m.res.Accepted++
	m.logf("%s", what)
	return true, nil
}

// key identifies a candidate by its text without comments and schedule.
func key(p *Program) string {
	q := *p
	q.Comments = nil
	q.Header.Sched = Schedule{Kind: SchedDefault}
	return q.String()
}

// procs tries removing each whole process, last first.
func (m *minimizer) procs() (bool, error) {
	changed := false
	for i := len(m.cur.Procs) - 1; i >= 0; i-- {
		if i >= len(m.cur.Procs) {
			continue
		}
		name := m.cur.Procs[i].Name
		cand, n := removeCalls(m.cur, func(pi, _ int, c *Call) bool {
			return pi == i || slices.Contains(c.Args, Arg(ProcArg(name)))
		}, nil)
		cand.Procs = slices.Delete(cand.Procs, i, i+1)
		ok, err := m.try(cand, fmt.Sprintf("removed process %s (%s)", name, plural(n, "call")))
		if err != nil {
			return false, err
		}
		changed = changed || ok
	}
	return changed, nil
}

// calls tries removing each call, last first: with the calls that use the descriptor it
// defines, or, for a dup, with those uses rewritten to the duplicated descriptor.
func (m *minimizer) calls() (bool, error) {
	changed := false
	for pi := len(m.cur.Procs) - 1; pi >= 0; pi-- {
		// Removing calls keeps the processes; a removal may take later calls with it.
		for ci := len(m.cur.Procs[pi].Calls) - 1; ci >= 0; ci-- {
			if ci >= len(m.cur.Procs[pi].Calls) {
				continue
			}
			pr := &m.cur.Procs[pi]
			c := &pr.Calls[ci]
			where := fmt.Sprintf("%s:%d %s", pr.Name, ci, c.String())
			doomed := func(i, j int, _ *Call) bool { return i == pi && j == ci }
			cand, n := removeCalls(m.cur, doomed, nil)
			what := "removed call " + where
			if n > 1 {
				what += fmt.Sprintf(" and %s using r%d", plural(n-1, "call"), c.Result)
			}
			ok, err := m.try(cand, what)
			if err != nil {
				return false, err
			}
			if sc := c.row(); !ok && sc != nil && sc.alias && c.Result >= 0 {
				src := int(c.Args[0].(ResArg))
				cand, _ = removeCalls(m.cur, doomed, map[int]int{c.Result: src})
				ok, err = m.try(cand, fmt.Sprintf("removed call %s, its uses now use r%d", where, src))
				if err != nil {
					return false, err
				}
			}
			changed = changed || ok
		}
	}
	return changed, nil
}

// removeCalls returns a copy of p without the calls doomed says, nor the calls that use a
// descriptor a removed call defined (unless alias maps it to an earlier one, whose uses then
// replace it), with the remaining results renumbered in order; and the number of calls
// removed. Processes are kept, possibly empty.
func removeCalls(p *Program, doomed func(pi, ci int, c *Call) bool, alias map[int]int) (*Program, int) {
	q := clone(p)
	nres := 0
	for _, pr := range p.Procs {
		for _, c := range pr.Calls {
			if c.Result >= 0 {
				nres++
			}
		}
	}
	// renum maps an old result to its new number, or -1 once its definer is gone. A program's
	// references always point to earlier definitions, so one pass in program order suffices.
	renum := make([]int, nres)
	next, removed := 0, 0
	for pi := range p.Procs {
		q.Procs[pi].Calls = q.Procs[pi].Calls[:0]
		for ci := range p.Procs[pi].Calls {
			c := &p.Procs[pi].Calls[ci]
			drop := doomed(pi, ci, c)
			for _, a := range c.Args {
				if r, ok := a.(ResArg); ok && int(r) < nres && renum[r] < 0 {
					drop = true
				}
			}
			if drop {
				removed++
				if c.Result >= 0 {
					renum[c.Result] = -1
					if src, ok := alias[c.Result]; ok && src >= 0 && src < nres {
						renum[c.Result] = renum[src]
					}
				}
				continue
			}
			nc := Call{Result: -1, Name: c.Name, Args: slices.Clone(c.Args), sc: c.sc}
			for i, a := range nc.Args {
				if r, ok := a.(ResArg); ok && int(r) < nres {
					nc.Args[i] = ResArg(renum[r])
				}
			}
			if c.Result >= 0 {
				renum[c.Result] = next
				nc.Result = next
				next++
			}
			q.Procs[pi].Calls = append(q.Procs[pi].Calls, nc)
		}
	}
	return q, removed
}

// wireAll tries removing the whole wire script.
func (m *minimizer) wireAll() (bool, error) {
	if len(m.cur.Wire) < 2 {
		return false, nil
	}
	cand := clone(m.cur)
	cand.Wire = nil
	return m.try(cand, fmt.Sprintf("removed the wire script (%d operations)", len(m.cur.Wire)))
}

// wireOps tries removing each wire operation, last first.
func (m *minimizer) wireOps() (bool, error) {
	changed := false
	for i := len(m.cur.Wire) - 1; i >= 0; i-- {
		if i >= len(m.cur.Wire) {
			continue
		}
		cand := clone(m.cur)
		cand.Wire = slices.Delete(cand.Wire, i, i+1)
		ok, err := m.try(cand, fmt.Sprintf("removed wire op %d: %v", i, m.cur.Wire[i]))
		if err != nil {
			return false, err
		}
		changed = changed || ok
	}
	return changed, nil
}

// faults tries dropping each fault, last first.
func (m *minimizer) faults() (bool, error) {
	changed := false
	for i := len(m.cur.Header.Faults) - 1; i >= 0; i-- {
		if i >= len(m.cur.Header.Faults) {
			continue
		}
		cand := clone(m.cur)
		cand.Header.Faults = slices.Delete(cand.Header.Faults, i, i+1)
		if len(cand.Header.Faults) == 0 {
			cand.Header.Faults = nil
		}
		ok, err := m.try(cand, "dropped fault "+m.cur.Header.Faults[i])
		if err != nil {
			return false, err
		}
		changed = changed || ok
	}
	return changed, nil
}

// cpus tries the fewest CPUs first.
func (m *minimizer) cpus() (bool, error) {
	was := m.cur.Header.CPUs
	for n := MinCPUs; n < was; n++ {
		cand := clone(m.cur)
		cand.Header.CPUs = n
		ok, err := m.try(cand, fmt.Sprintf("cpus %d -> %d", was, n))
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// args tries simpler arguments for each call and each injected packet, the simplest first,
// until none of a call's simplifications reproduces.
func (m *minimizer) args() (bool, error) {
	changed := false
	for pi := range m.cur.Procs {
		for ci := 0; ci < len(m.cur.Procs[pi].Calls); ci++ {
			for again := true; again; {
				again = false
				pr := &m.cur.Procs[pi]
				old := pr.Calls[ci]
				for _, alt := range simplerCalls(&old) {
					cand := clone(m.cur)
					cand.Procs[pi].Calls[ci] = alt
					ok, err := m.try(cand, fmt.Sprintf("%s:%d %s -> %s", pr.Name, ci, old.String(), alt.String()))
					if err != nil {
						return false, err
					}
					if ok {
						changed, again = true, true
						break
					}
				}
			}
		}
	}
	for i := 0; i < len(m.cur.Wire); i++ {
		for again := true; again; {
			again = false
			old := m.cur.Wire[i]
			for _, alt := range simplerWireOps(old) {
				cand := clone(m.cur)
				cand.Wire[i] = alt
				ok, err := m.try(cand, fmt.Sprintf("wire op %d: %v -> %v", i, old, alt))
				if err != nil {
					return false, err
				}
				if ok {
					changed, again = true, true
					break
				}
			}
		}
	}
	return changed, nil
}

// smaller returns the values to try in place of v, smallest first: 0, 1 and v/2, those below v.
func smaller(v int64) []int64 {
	var out []int64
	for _, w := range []int64{0, 1, v / 2} {
		if w >= 0 && w < v && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// simplerCalls returns simpler variants of c: smaller lengths, backlogs and linger times,
// one flag fewer (dontwait excepted), and a blocking send, receive or poll made nonblocking.
func simplerCalls(c *Call) []Call {
	sc := c.row()
	if sc == nil {
		return nil
	}
	var out []Call
	with := func(args []Arg) {
		out = append(out, Call{Result: c.Result, Name: c.Name, Args: args, sc: sc})
	}
	args := c.Args
	ai := 0
	for i := range sc.params {
		pm := &sc.params[i]
		if pm.kind == pFlags {
			start := ai
			for ai < len(args) {
				w, ok := args[ai].(WordArg)
				if !ok || !slices.Contains(pm.words, string(w)) {
					break
				}
				ai++
			}
			n := ai - start
			nb := WordArg(pm.nonblock)
			for j := start; j < ai && n > int(pm.min); j++ {
				if pm.nonblock == "" || args[j] != nb {
					with(slices.Delete(slices.Clone(args), j, j+1))
				}
			}
			if pm.nonblock != "" && !slices.Contains(args[start:ai], Arg(nb)) {
				with(slices.Insert(slices.Clone(args), ai, Arg(nb)))
			}
			continue
		}
		if ai >= len(args) {
			break
		}
		switch a := args[ai].(type) {
		case IntArg:
			if !pm.fixed {
				for _, v := range smaller(int64(a)) {
					if v >= pm.min {
						na := slices.Clone(args)
						na[ai] = IntArg(v)
						with(na)
					}
				}
			}
		case WordArg:
			if w, ok := pm.easier[string(a)]; ok {
				na := slices.Clone(args)
				na[ai] = WordArg(w)
				with(na)
			}
		}
		ai++
	}
	return out
}

// simplerWireOps returns simpler variants of an injected packet: a shorter payload, no
// urgent pointer.
func simplerWireOps(op WireOp) []WireOp {
	if op.Kind != WireInject {
		return nil
	}
	var out []WireOp
	for _, v := range smaller(int64(op.Packet.Len)) {
		alt := op
		alt.Packet.Len = int(v)
		out = append(out, alt)
	}
	if op.Packet.Urp != 0 {
		alt := op
		alt.Packet.Urp = 0
		out = append(out, alt)
	}
	return out
}

// schedule shrinks the explicit schedule: it makes chunks of the non-default choices default
// (halving the chunk size when none can go, delta debugging's way), keeping a change only when
// the title still reproduces with fewer non-default choices. A replay with fewer of them is
// fewer preemptions to read.
func (m *minimizer) schedule() error {
	if m.curDefault == nil || m.res.Exhausted {
		return nil
	}
	nonDefault := func(d []bool) []int {
		var out []int
		for i, x := range d {
			if !x {
				out = append(out, i)
			}
		}
		return out
	}
	nd := nonDefault(m.curDefault)
	before, beforeLen := len(nd), len(m.cur.Header.Sched.Choices)
	for chunk := (len(nd) + 1) / 2; chunk >= 1 && len(nd) > 0; {
		progress := false
		for start := 0; start < len(nd); start += chunk {
			if m.res.Candidates >= m.opt.Candidates {
				m.res.Exhausted = true
				break
			}
			m.res.Candidates++
			mask := make([]bool, len(m.curDefault))
			for _, i := range nd[start:min(start+chunk, len(nd))] {
				mask[i] = true
			}
			f, err := m.search(m.cur, mask)
			if err != nil {
				return err
			}
			if f == nil {
				continue
			}
			_, dflt := f.trimmed()
			if dflt == nil || len(nonDefault(dflt)) >= len(nd) {
				continue
			}
			m.accept(clone(m.cur), f)
			m.res.Accepted++
			nd = nonDefault(m.curDefault)
			progress = true
			break
		}
		if m.res.Exhausted {
			break
		}
		if !progress {
			chunk /= 2
		} else {
			chunk = min(chunk, max((len(nd)+1)/2, 1))
		}
	}
	if len(nd) < before || len(m.cur.Header.Sched.Choices) < beforeLen {
		m.logf("schedule: %d -> %d non-default choices, %d -> %d choices", before, len(nd), beforeLen, len(m.cur.Header.Sched.Choices))
	}
	return nil
}

// recorder wraps a chooser: it makes sched.Default's choice at the masked decisions, and
// records each choice and whether it was Default's.
type recorder struct {
	inner  sched.Chooser
	mask   []bool
	chosen []sched.ID
	dflt   []bool
}

// Choose implements sched.Chooser.
func (r *recorder) Choose(d *sched.Decision) sched.ID {
	def := sched.Default(d)
	id := def
	if d.Index >= len(r.mask) || !r.mask[d.Index] {
		id = r.inner.Choose(d)
		if !slices.Contains(d.Cands, id) {
			id = def
		}
	}
	r.chosen = append(r.chosen, id)
	r.dflt = append(r.dflt, id == def)
	return id
}

// defaultChooser makes sched.Default's choices (the default schedule).
type defaultChooser struct{}

// Choose implements sched.Chooser.
func (defaultChooser) Choose(d *sched.Decision) sched.ID { return sched.Default(d) }

// clone returns a deep copy of p.
func clone(p *Program) *Program {
	q := &Program{
		Comments: slices.Clone(p.Comments),
		Header:   p.Header,
		Wire:     slices.Clone(p.Wire),
	}
	q.Header.Faults = slices.Clone(p.Header.Faults)
	q.Header.Sched.Bytes = slices.Clone(p.Header.Sched.Bytes)
	q.Header.Sched.Choices = slices.Clone(p.Header.Sched.Choices)
	if p.Procs != nil {
		q.Procs = make([]Proc, len(p.Procs))
	}
	for i, pr := range p.Procs {
		q.Procs[i] = Proc{Name: pr.Name, Calls: make([]Call, len(pr.Calls))}
		for j, c := range pr.Calls {
			q.Procs[i].Calls[j] = Call{Result: c.Result, Name: c.Name, Args: slices.Clone(c.Args), sc: c.sc}
		}
	}
	return q
}

// Summary is a one-line summary of a program's size: processes, calls, wire operations,
// faults, CPUs and schedule choices.
func Summary(p *Program) string {
	calls := 0
	for _, pr := range p.Procs {
		calls += len(pr.Calls)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d processes, %d calls, %d wire operations, %d faults, %d cpus, %d choices",
		len(p.Procs), calls, len(p.Wire), len(p.Header.Faults), p.Header.CPUs, len(p.Header.Sched.Choices))
	return b.String()
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
