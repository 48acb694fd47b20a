package sched

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Mode selects how an execution's threads run.
type Mode uint8

const (
	// Controlled runs one thread at a time, switching only at scheduling points chosen by the
	// Chooser: reproducible.
	Controlled Mode = iota
	// Free runs the threads truly in parallel on sync primitives: not reproducible, but seen by
	// go test -race.
	Free
)

func (m Mode) String() string {
	if m == Free {
		return "free"
	}
	return "controlled"
}

// DefaultStepBudget is the step budget of an execution whose Config leaves it zero.
const DefaultStepBudget = 200_000

// DefaultLogSize is the number of events kept when Config.LogSize is zero.
const DefaultLogSize = 256

// Config parameterizes an execution.
type Config struct {
	Mode Mode
	// Chooser picks the next thread in Controlled mode; nil means Default choices throughout.
	Chooser Chooser
	// StepBudget bounds the scheduling points of the execution (in Free mode, of each thread);
	// 0 means DefaultStepBudget.
	StepBudget int
	// LogSize is the number of most recent events kept for Exec.Events (Controlled mode); 0
	// means DefaultLogSize, negative keeps none (fuzzing: replay the choices with a log to
	// see the trace). Result.TraceHash covers every event regardless.
	LogSize int
	// NoRace turns the happens-before detector off (Controlled mode), for measuring its cost.
	NoRace bool
	// Features, when set, is the table the execution adds the interleaving features it reaches
	// to (Controlled mode): several executions may share one, for their union. It changes no
	// execution.
	Features *Features
}

// Status says how (or whether) an execution ended.
type Status uint8

const (
	// Running: Run has not returned yet, or was never called.
	Running Status = iota
	// Done: every thread exited and no timer is pending.
	Done
	// Quiescent: no thread can run and no timer is pending, but some thread is blocked. The
	// caller may Interrupt threads and Run again, or Abort.
	Quiescent
	// Budget: the step budget ran out (a possible livelock). The threads were torn down.
	Budget
	// Panicked: a thread panicked. The threads were torn down.
	Panicked
	// Aborted: the caller aborted a quiescent execution. The threads were torn down.
	Aborted
)

var statusNames = [...]string{"running", "done", "quiescent", "budget", "panicked", "aborted"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Terminal reports whether the execution is over and its goroutines gone.
func (s Status) Terminal() bool { return s == Done || s == Budget || s == Panicked || s == Aborted }

// Blocked describes a thread that could not run when the execution stopped.
type Blocked struct {
	Thread ID
	Name   string
	Kind   string // what it waits on: "mutex", "sleep", "recv", "reply", "join"
	Obj    string // the object's name
	// HasPred tells whether the wait has a predicate; PredTrue is its value when the execution
	// stopped. A blocked thread whose predicate holds was not woken when it should have been: a
	// lost wakeup. One whose predicate is false is a legitimate block.
	HasPred, PredTrue bool
	// Interruptible tells whether Interrupt would end the wait with ErrInterrupted.
	Interruptible bool
}

// PanicReport is a Go panic in a thread of the execution.
type PanicReport struct {
	Thread ID
	Name   string
	Value  string
	Stack  string
	Step   int
}

// Result is what an execution produced so far. Run returns it each time it returns.
type Result struct {
	Status Status
	Steps  int
	// Choices are the decisions actually made, one per scheduling point that had more than one
	// candidate: Replay(Choices) reproduces the execution exactly (Controlled mode).
	Choices []ID
	// Atomics counts the decisions with more than one candidate where the running thread was
	// about to write an atomic word (a store or a read-modify-write): Preempt's estimate of its
	// preemption points.
	Atomics int
	// Now is the virtual time reached.
	Now Duration
	// Blocked lists the threads blocked when the execution stopped (Quiescent, Budget, Aborted).
	Blocked []Blocked
	Races   []Race
	Bugs    []Bug
	Panic   *PanicReport
	// TraceHash digests every event of the execution (Controlled mode): two executions with
	// the same hash ran the same events in the same order.
	TraceHash uint64
}

// ctlMsg is what a thread tells the Run goroutine when it hands control back (Free mode, and
// Controlled mode with chanHandoff).
type ctlMsg uint8

const (
	ctlStop ctlMsg = iota // the execution stopped (e.status says how)
)

// choicesHint is the initial capacity of the list of choices of an execution that finds none
// in choicesPool: the longest list seen so far, up to maxChoicesHint. Capacity only: it
// changes no execution.
var choicesHint atomic.Int64

func init() { choicesHint.Store(512) }

// maxChoicesHint bounds choicesHint (256 KiB of choices).
const maxChoicesHint = 64 << 10

// choicesPool holds the lists of choices of released executions (Exec.Release), each as long
// as the longest execution that used it. Without it every execution made a new list of
// choicesHint choices, most of it never used: half the bytes a fuzz worker allocated
// (BenchmarkTargets/FuzzSockets, 6 schedules per input).
var choicesPool sync.Pool // of *[]ID

// Exec is one execution.
type Exec struct {
	cfg     Config
	mode    Mode
	chooser Chooser
	trusted bool // the chooser always returns a candidate (candidateChooser)
	budget  int

	threads []*Thread
	steps   int
	status  Status

	rq []ID // ClockID, then the runnable threads in increasing order (Controlled)

	ctl  chan ctlMsg // threads -> Run goroutine (Free; Controlled with chanHandoff)
	next *Thread     // the thread a yielding one hands control to, nil for Run (Controlled)
	cur  *Thread     // the thread holding control, nil while Run's goroutine has it (Controlled)

	// clock and callouts
	now     Duration
	timers  []*Timer // armed timers in firing order
	ntimers int      // timers created, for creation order
	callout *Thread  // the thread that runs callouts, made on first use
	held    bool     // HoldClock: no callout fires, time stands still

	// stopping is set once the execution is being torn down.
	stopping atomic.Bool
	stopStat Status

	log  eventLog
	race raceDetector

	// rmu guards res in Free mode, where threads report concurrently.
	rmu sync.Mutex
	res Result

	dec  Decision  // reused by decide
	kind EventKind // the last recorded event's kind: Decision.Kind
	// atomicWrite says whether the last atomic access (kind EvAtomic) writes: Decision.Write.
	atomicWrite bool
	// site and obj are the last recorded event's, for the preemption features.
	site, obj string
	feat      *Features // Config.Features: the table the features go to, nil when off

	idle func(step int) // OnIdle's hook

	mem *execMem // Controlled: the memory of the threads and the race detector, for Release

	free freeState
}

// New returns an execution ready for threads to be added with Go.
func New(cfg Config) *Exec {
	e := &Exec{cfg: cfg, mode: cfg.Mode, chooser: cfg.Chooser, budget: cfg.StepBudget}
	if e.chooser == nil {
		e.chooser = Replay(nil)
	}
	_, e.trusted = e.chooser.(candidateChooser)
	if e.budget <= 0 {
		e.budget = DefaultStepBudget
	}
	n := cfg.LogSize
	if n == 0 {
		n = DefaultLogSize
	}
	e.log.init(n)
	e.race.enabled = cfg.Mode == Controlled && !cfg.NoRace
	if cfg.Mode == Controlled {
		e.feat = cfg.Features
	}
	if cfg.Mode == Controlled {
		e.mem = getExecMem()
		e.race.mem = e.mem
	}
	if cfg.Mode == Free || chanHandoff {
		e.ctl = make(chan ctlMsg, 1)
	}
	if e.mem != nil && cap(e.mem.rq) > 0 {
		e.rq = append(e.mem.rq, ClockID)
		e.threads, e.timers = e.mem.threadList, e.mem.timerList
		e.mem.rq, e.mem.threadList, e.mem.timerList = nil, nil, nil
	} else {
		e.rq = append(make([]ID, 0, 16), ClockID)
	}
	// Sized by the longest execution seen so far (bounded): a fuzzing process runs executions
	// of similar lengths, and growing the list by doubling left twice its size in garbage.
	if b, _ := choicesPool.Get().(*[]ID); b != nil {
		e.res.Choices = (*b)[:0]
	} else {
		e.res.Choices = make([]ID, 0, choicesHint.Load())
	}
	return e
}

// Release gives the execution's memory back for reuse by later executions. The caller must
// not use the execution, its threads, nor the Choices of any Result it returned, afterwards
// (copy them first, as Result.Detach does), and an object of the execution (a Word, a Mutex,
// a WaitQueue) is used in another only after its Init function. An execution whose threads
// are still alive is left alone.
func (e *Exec) Release() {
	if e.mode != Controlled || e.LiveThreads() != 0 || e.res.Choices == nil {
		return
	}
	b := e.res.Choices[:0]
	e.res.Choices = nil
	choicesPool.Put(&b)
	m := e.mem
	e.mem, e.race.mem = nil, nil
	m.release(e)
	e.threads, e.rq, e.timers = nil, nil, nil
}

// Detach returns a copy of r that shares no memory with its execution, for use after
// Exec.Release.
func (r *Result) Detach() *Result {
	c := *r
	c.Choices = slices.Clone(r.Choices)
	return &c
}

// OnIdle sets a hook called in Controlled mode each time the clock fires because nothing else
// could run: every thread is blocked or exited and the callout thread is idle, so every thread
// is between its operations, as at quiescence, but a timer is pending. A checker that looks
// only at quiescence never sees a state a pending timer keeps alive (a connecting socket's
// retransmission timer, say); at an idle point it can. The hook must not reach a scheduling
// point.
func (e *Exec) OnIdle(fn func(step int)) { e.idle = fn }

// Mode returns the execution's mode.
func (e *Exec) Mode() Mode { return e.mode }

// Current returns the thread holding control in Controlled mode, and nil in Free mode or when
// no thread runs (Run's own goroutine, evaluating wake conditions at quiescence). It is for
// foreign code whose primitives take no *Thread, such as a hooked copy of gVisor: the caller
// of a hook is necessarily the one running thread.
func (e *Exec) Current() *Thread {
	if e.mode != Controlled {
		return nil
	}
	return e.cur
}

// Now returns the virtual time.
func (e *Exec) Now() Duration {
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	return e.now
}

// Steps returns the number of scheduling points so far (Controlled mode).
func (e *Exec) Steps() int { return e.steps }

// Events returns the last Config.LogSize events, oldest first (Controlled mode).
func (e *Exec) Events() []Event { return e.log.events() }

// LiveThreads returns the number of threads whose goroutine has not ended: zero once the
// execution has ended (Done, Budget, Panicked, Aborted), whatever happened in it.
func (e *Exec) LiveThreads() int {
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	n := 0
	for _, t := range e.threads {
		if t.state != stExited {
			n++
		}
	}
	return n
}

// Threads returns the execution's threads in ID order.
func (e *Exec) Threads() []*Thread { return e.threads }

// Go adds a thread that will run fn. Called before Run (or between runs of a quiescent
// execution), it starts the thread as a root of the execution; threads started by a running
// thread use Thread.Go.
func (e *Exec) Go(name string, fn func(*Thread)) *Thread {
	return e.spawn(nil, name, fn)
}

// Run runs the execution until it stops and returns the result so far. After a Quiescent
// result the caller may Interrupt threads and call Run again, or call Abort.
func (e *Exec) Run() *Result {
	if e.finished() {
		return e.result()
	}
	if e.mode == Free {
		e.runFree()
	} else {
		e.status = Running
		e.runControlled()
	}
	return e.result()
}

// Abort tears down a quiescent (or never started) execution: every thread still blocked
// unwinds and exits. It returns the final result.
func (e *Exec) Abort() *Result {
	if e.finished() {
		return e.result()
	}
	e.stopStat = Aborted
	e.res.Blocked = e.blockedThreads()
	e.stopping.Store(true)
	if e.mode == Free {
		e.teardownFree()
	} else {
		e.teardownControlled()
	}
	e.setStatus(Aborted)
	return e.result()
}

// HoldClock stops (hold) or restarts virtual time: while the clock is held no callout fires,
// neither by choice nor because nothing else can run, and an execution whose threads are all
// blocked or exited stops Quiescent even with callouts pending. A sequential driver (the
// conformance tests) holds the clock so that only its own steps make time pass. Call it
// before Run or between runs.
func (e *Exec) HoldClock(hold bool) {
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	e.held = hold
}

// Finish runs the execution to its end: at each quiescence it interrupts the threads in
// interruptible sleeps and runs again; when none is, it aborts. It returns the first quiescent
// result seen (nil if there was none) and the final one.
func (e *Exec) Finish() (firstQuiescent, final *Result) { return e.FinishEach(nil) }

// FinishEach is Finish calling each (when not nil) with every quiescent result before the
// interrupts, for a caller that judges each quiescence (the oracles' lost-wakeup check).
func (e *Exec) FinishEach(each func(*Result)) (firstQuiescent, final *Result) {
	for {
		r := e.Run()
		if r.Status != Quiescent {
			return firstQuiescent, r
		}
		if firstQuiescent == nil {
			firstQuiescent = r
		}
		if each != nil {
			each(r)
		}
		// The threads are looked up first, under the Free-mode lock: an interrupted thread
		// that blocks again can make the callout thread, which appends to e.threads.
		var targets []*Thread
		if e.mode == Free {
			e.free.mu.Lock()
		}
		for _, b := range r.Blocked {
			if b.Interruptible {
				targets = append(targets, e.threads[b.Thread])
			}
		}
		if e.mode == Free {
			e.free.mu.Unlock()
		}
		for _, th := range targets {
			_ = e.Interrupt(nil, th)
		}
		if len(targets) == 0 {
			return firstQuiescent, e.Abort()
		}
	}
}

// finished reports whether the execution has ended and been torn down. In Free mode threads
// that an Interrupt resumed can reach Done on their own, between runs: that end still needs
// its teardown (the idle callout thread), which the next Run or Abort does.
func (e *Exec) finished() bool {
	return e.getStatus().Terminal() && (e.mode == Controlled || e.stopping.Load())
}

// getStatus reads the status; in Free mode threads resumed by Interrupt may set it meanwhile.
func (e *Exec) getStatus() Status {
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	return e.status
}

func (e *Exec) setStatus(s Status) {
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	e.status = s
}

// result snapshots the result.
func (e *Exec) result() *Result {
	if e.mode == Free {
		e.free.mu.Lock()
		defer e.free.mu.Unlock()
	}
	e.rmu.Lock()
	r := e.res
	e.rmu.Unlock()
	r.Status = e.status
	r.Steps = e.steps
	r.Now = e.now
	// Shared, not copied: the execution only ever appends, past the length handed out.
	r.Choices = e.res.Choices[:len(e.res.Choices):len(e.res.Choices)]
	if n := int64(len(r.Choices)); n > choicesHint.Load() && n <= maxChoicesHint {
		choicesHint.Store(n)
	}
	r.Races = e.race.reports[:len(e.race.reports):len(e.race.reports)]
	r.TraceHash = e.log.hash
	r.Blocked = append([]Blocked(nil), e.res.Blocked...)
	if e.status == Quiescent {
		r.Blocked = e.blockedThreads()
	}
	return &r
}

// blockedThreads reports the threads that are blocked, with their predicates evaluated.
func (e *Exec) blockedThreads() []Blocked {
	var out []Blocked
	for _, t := range e.threads {
		if t == e.callout && t.blk.kind == kindIdle {
			continue
		}
		if t.state != stBlocked {
			continue
		}
		b := Blocked{Thread: t.id, Name: t.name, Kind: t.blk.kind, Obj: t.blk.obj,
			Interruptible: t.blk.interruptible}
		b.HasPred, b.PredTrue = t.blk.holds()
		out = append(out, b)
	}
	return out
}
