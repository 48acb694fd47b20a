package repro

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Options adjust an execution of a program.
type Options struct {
	// Faults are switched on in addition to the program's own: faults of the program's target
	// (FaultSet).
	Faults stack.FaultSet
	// Mode, when set, overrides the program's mode (SOCKFUZZ_MODE).
	Mode Mode
	// Chooser, when set, overrides the program's schedule (the minimizer's schedule search).
	Chooser sched.Chooser
	// StepBudget bounds the execution's scheduling points; 0 means DefaultStepBudget.
	StepBudget int
	// LogSize is the number of events kept for Outcome.Events; 0 keeps none.
	LogSize int
	// Features, when set, is the table the execution adds its interleaving features to
	// (sched.Config.Features; Controlled mode). It changes no execution.
	Features *sched.Features
	// ChoicesOnFailure keeps the outcome's choices (Result.Choices, what Replayable needs) only
	// when an oracle reported or a thread outlived the execution: a fuzzing run replays only
	// its failures, and copying a clean run's choices out of the pooled execution was a tenth
	// of the bytes a netstack execution allocates. It changes no execution.
	ChoicesOnFailure bool
}

// DefaultStepBudget is an execution's step budget unless Options say otherwise: a hundred
// times what a typical program of the corpus takes.
const DefaultStepBudget = 200_000

// CallResult is what one system call returned.
type CallResult struct {
	Proc  string
	Index int   // the call's index in its process
	Call  *Call // the program's call (printed only when wanted: its text costs allocations)
	N     int   // the count or descriptor returned
	Err   stack.Errno
	Done  bool // false when the process never got to the call (or was cut off in it)
}

// Outcome is what an execution produced: the oracles' reports, the substrate's result (its
// Choices replay the run exactly), the first quiescent result if any, the calls' results and
// the kept events.
type Outcome struct {
	Reports   []oracle.Report
	Result    *sched.Result
	Quiescent *sched.Result
	Calls     []CallResult
	Events    []sched.Event
	// Live is the number of the execution's threads still alive after it: always zero, unless
	// the substrate failed to tear it down.
	Live int
	// Threads names the execution's threads by ID, for traces; Alive those not ended.
	Threads, Alive []string
}

// Failed reports whether an oracle fired.
func (o *Outcome) Failed() bool { return len(o.Reports) > 0 }

// Title returns the first report's title, or "".
func (o *Outcome) Title() string {
	if len(o.Reports) == 0 {
		return ""
	}
	return o.Reports[0].Title
}

// Replayable returns a copy of p whose explicit schedule replays this outcome's execution.
func (o *Outcome) Replayable(p *Program) *Program {
	q := *p
	q.Header.Sched = Schedule{Kind: SchedReplay, Choices: append([]sched.ID(nil), o.Result.Choices...)}
	return &q
}

// FaultSet resolves fault names against the catalog of the target called target ("" is the
// default target).
func FaultSet(target string, names []string) (stack.FaultSet, error) {
	t, err := stack.Lookup(target)
	if err != nil {
		return 0, err
	}
	return stack.ParseFaults(t, names)
}

// panicClassifier is the optional interface of a target that names its own assertions.
type panicClassifier interface {
	ClassifyPanic(line string) (oracle, title string, ok bool)
}

// genericOracles caches each target's generic oracles (oracle.Generic with its panic
// classifier): they are values with no state, made once.
var genericOracles sync.Map // target name -> []oracle.Oracle

func genericFor(t stack.Target) []oracle.Oracle {
	if g, ok := genericOracles.Load(t.Name()); ok {
		return g.([]oracle.Oracle)
	}
	var classify oracle.PanicClassifier
	if pc, ok := t.(panicClassifier); ok {
		classify = pc.ClassifyPanic
	}
	g, _ := genericOracles.LoadOrStore(t.Name(), oracle.Generic(classify))
	return g.([]oracle.Oracle)
}

// setup is what Execute and ExecuteBare share before they start: the program checked, its
// target found, its faults resolved, the mode chosen.
func setup(p *Program, mode Mode) (stack.Target, stack.FaultSet, Mode, error) {
	if err := Validate(p); err != nil {
		return nil, 0, "", err
	}
	t, err := stack.Lookup(p.Header.Target)
	if err != nil {
		return nil, 0, "", err
	}
	if err := ValidateTarget(p, t); err != nil {
		return nil, 0, "", err
	}
	faults, err := stack.ParseFaults(t, p.Header.Faults)
	if err != nil {
		return nil, 0, "", err
	}
	if mode == "" {
		mode = p.Header.Mode
	}
	return t, faults, mode, nil
}

// Execute runs a program on a fresh stack with the oracles watching: one thread per process,
// a thread for the wire script, and a reaper that joins them and tears the stack down. At
// quiescence the oracles look (lost wakeups are judged there), the blocked processes are
// interrupted and the run goes on to its end.
func Execute(p *Program, opt Options) (*Outcome, error) {
	tgt, faults, mode, err := setup(p, opt.Mode)
	if err != nil {
		return nil, fmt.Errorf("execute: %w", err)
	}
	cfg := sched.Config{Chooser: opt.Chooser, StepBudget: opt.StepBudget, LogSize: opt.LogSize, Features: opt.Features}
	if cfg.Chooser == nil {
		cfg.Chooser = p.Header.Sched.Chooser()
	}
	if cfg.StepBudget == 0 {
		cfg.StepBudget = DefaultStepBudget
	}
	if cfg.LogSize == 0 {
		cfg.LogSize = -1
	}
	if mode == Free {
		cfg.Mode = sched.Free
	}
	e := sched.New(cfg)
	rep := oracle.NewReporter()
	inst, err := tgt.New(e, stack.Config{CPUs: p.Header.CPUs, Faults: faults | opt.Faults, Reporter: rep})
	if err != nil {
		return nil, fmt.Errorf("execute: target %s: %w", tgt.Name(), err)
	}
	generic, own := genericFor(tgt), inst.Oracles()
	x := startThreads(p, e, inst)
	out := &Outcome{}
	out.Quiescent, out.Result = e.FinishEach(func(r *sched.Result) {
		for _, o := range generic {
			o.Quiescent(r, rep)
		}
		for _, o := range own {
			o.Quiescent(r, rep)
		}
	})
	end := &oracle.End{Result: out.Result, Quiescent: out.Quiescent}
	for _, o := range generic {
		o.Finish(end, rep)
	}
	for _, o := range own {
		o.Finish(end, rep)
	}
	out.Reports = rep.Reports()
	out.Live = e.LiveThreads()
	for _, th := range e.Threads() {
		out.Threads = append(out.Threads, th.Name())
		if !th.Exited() {
			out.Alive = append(out.Alive, th.Name())
		}
	}
	out.Calls = x.calls
	if opt.LogSize > 0 {
		out.Events = e.Events()
	}
	// The outcome keeps its own copy of the choices; the quiescent result's are a prefix.
	if opt.ChoicesOnFailure && len(out.Reports) == 0 && out.Live == 0 {
		r := *out.Result
		r.Choices = nil
		out.Result = &r
	} else {
		out.Result = out.Result.Detach()
	}
	if q := out.Quiescent; q != nil {
		qc := *q
		qc.Choices = nil
		if out.Result.Choices != nil {
			qc.Choices = out.Result.Choices[:len(q.Choices):len(q.Choices)]
		}
		out.Quiescent = &qc
	}
	if out.Live == 0 { // a thread left alive could still observe
		inst.Release()
		e.Release()
		rep.Release()
	}
	return out, nil
}

// executor carries one execution's state.
type executor struct {
	p     *Program
	inst  stack.Instance
	procs map[string]stack.Proc
	// res holds each result's descriptor, -1 until its call succeeds; atomic, because in Free
	// mode another process may read it while its definer runs.
	res   []atomic.Int64
	calls []CallResult
}

// fd returns the descriptor behind a resource argument, -1 if its call failed or never ran.
func (x *executor) fd(a Arg) int {
	if r, ok := a.(ResArg); ok && int(r) >= 0 && int(r) < len(x.res) {
		return int(x.res[r].Load())
	}
	return -1
}

func (x *executor) runProc(t *sched.Thread, sp stack.Proc, pr *Proc, base int) {
	for ci := range pr.Calls {
		c := &pr.Calls[ci]
		n, err := x.call(t, sp, c)
		if c.Result >= 0 && c.Result < len(x.res) && err == stack.OK {
			x.res[c.Result].Store(int64(n))
		}
		x.calls[base+ci].N, x.calls[base+ci].Err, x.calls[base+ci].Done = n, err, true
	}
}

func addr(a Arg) stack.Addr {
	v := a.(AddrArg)
	ip := v.IP
	if ip == 0 {
		ip = stack.LocalIP
	}
	return stack.Addr{IP: ip, Port: v.Port}
}

func intArg(a Arg) int { return int(a.(IntArg)) }

// call makes one system call through its table row's binding, which Validate (run by setup
// before any thread starts) resolved and cached on the call: no lookup per call.
func (x *executor) call(t *sched.Thread, sp stack.Proc, c *Call) (int, stack.Errno) {
	sc := c.sc
	if sc == nil {
		return -1, stack.EINVAL
	}
	return sc.exec(x, t, sp, c.Args)
}

// runWire is the wire script's thread.
func (x *executor) runWire(t *sched.Thread) {
	st := x.inst
	for _, op := range x.p.Wire {
		switch op.Kind {
		case WireInject:
			pk := op.Packet
			seg := stack.Segment{Proto: pk.Proto, Src: addr(pk.Src), Dst: addr(pk.Dst), Seq: pk.Seq,
				Ack: pk.Ack, Flags: pk.Flags, Win: pk.Win, Urp: pk.Urp, Data: payload(pk.Len)}
			st.Inject(t, seg)
		case WireDrop:
			st.WireDrop(t)
		case WireDup:
			st.WireDup(t)
		case WireReorder:
			st.WireReorder(t)
		case WireTick:
			d := sched.Duration(op.Ms)
			if op.TwoMSL {
				d = st.TwoMSL()
			}
			st.Tick(t, d)
		case WireUnreach:
			// ValidateTarget let it through: the target lists it, so its instance has it.
			mustHave[stack.WireICMP](st, op.Kind).WireUnreach(t)
		case WireStackClose:
			mustHave[stack.StackCloser](st, op.Kind).StackClose(t)
		}
	}
}

// mustHave returns st as the optional interface I of wire operation k. A target that lists the
// operation (and so passed ValidateTarget) but whose instance lacks I is a programming error of
// the target: the panic names it, and the execution reports it.
func mustHave[I any](st stack.Instance, k WireKind) I {
	i, ok := st.(I)
	if !ok {
		panic(fmt.Sprintf("repro: the target lists wire operation %v but its instance %T does not implement it", k, st))
	}
	return i
}

// startThreads starts an execution's threads on e: one per process of p running its calls on
// the instance st, the wire script's if p has one, and the reaper that joins them and tears st down. It
// returns the executor, whose calls hold the results. Execute and ExecuteBare share it, so
// that both run the same execution.
func startThreads(p *Program, e *sched.Exec, st stack.Instance) *executor {
	x := &executor{p: p, inst: st, procs: map[string]stack.Proc{}}
	for _, pr := range p.Procs {
		for _, c := range pr.Calls {
			if c.Result >= 0 {
				x.res = append(x.res, atomic.Int64{})
			}
		}
	}
	for i := range x.res {
		x.res[i].Store(-1)
	}
	var threads []*sched.Thread
	ncalls := 0
	for i := range p.Procs {
		ncalls += len(p.Procs[i].Calls)
	}
	x.calls = make([]CallResult, 0, ncalls)
	for i := range p.Procs {
		pr := &p.Procs[i]
		base := len(x.calls)
		for ci := range pr.Calls {
			x.calls = append(x.calls, CallResult{Proc: pr.Name, Index: ci, Call: &pr.Calls[ci]})
		}
		var sp stack.Proc
		th := e.Go(pr.Name, func(t *sched.Thread) { x.runProc(t, sp, pr, base) })
		sp = st.NewProc(pr.Name, th)
		x.procs[pr.Name] = sp
		threads = append(threads, th)
	}
	if len(p.Wire) > 0 {
		threads = append(threads, e.Go(ThreadWireScript, x.runWire))
	}
	e.Go(ThreadReaper, func(t *sched.Thread) {
		for _, th := range threads {
			_ = t.Join(th)
		}
		st.Teardown(t)
	})
	return x
}
