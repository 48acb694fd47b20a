// Package fuzz holds sockfuzz's native fuzz targets (fuzz_test.go) and, here, what they share:
// the target profiles, the run of one input with the oracles, the goroutine-leak check and the
// configuration a fuzzing run takes from its environment.
//
// The targets stay within what libFuzzer builds of Go fuzz targets support: their bodies use
// only f.Add, f.Fuzz and t.Fatal; everything else lives in this file.
package fuzz

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"go.uber.org/goleak"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/fuzz/interleave"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
	_ "github.com/sockfuzz/sockfuzz/stack/targets" // the fuzz targets run on the built-in targets
)

// threadPoolSize is the number of idle thread coroutines a process keeps (sched.PoolThreads):
// an execution has about 8 threads, and tests run a few at once.
const threadPoolSize = 64

// Environment variables a fuzzing run reads.
const (
	// EnvFaults names the faults switched on, comma-separated (SOCKFUZZ_FAULTS=a,b).
	EnvFaults = "SOCKFUZZ_FAULTS"
	// EnvMode is "controlled" (the default) or "free" (go test -fuzz -race is then the race
	// oracle on the stack's real memory).
	EnvMode = "SOCKFUZZ_MODE"
	// EnvKnown names a file of known report titles, one per line: an input that fails with a
	// known title passes, so that a continuous run (sockfuzz fuzz) keeps searching past a bug
	// it has already stored.
	EnvKnown = "SOCKFUZZ_KNOWN"
	// EnvTarget names the stack target whose faults SOCKFUZZ_FAULTS switches on
	// (SOCKFUZZ_TARGET=bsd); empty is stack.DefaultTarget. Each fuzz target runs on its own
	// stack (Target.Stack): those on another stack run with every fault off.
	EnvTarget = "SOCKFUZZ_TARGET"
	// EnvInterleavings is "on" to count the interleaving features an input's schedules reach
	// as coverage (package interleave), "off" (the default) not to.
	EnvInterleavings = "SOCKFUZZ_INTERLEAVINGS"
)

// EnvSchedules is declared with the schedule exploration (schedules.go).

// StepBudget bounds one fuzz execution: a livelocked input ends, reported. It is the budget
// replays and the minimizer use, so that a livelock the target reports reproduces there; a
// quarter of it reported long but finite executions as livelocks (random schedules that fire
// timers early: 50,000 to 70,000 steps of retransmissions for two 64 KiB sends on a
// self-connected socket, found by 10 minutes of sockfuzz fuzz with faults off).
const StepBudget = repro.DefaultStepBudget

// LeakCheckEvery is how often, in executions, a fuzzing worker checks for leaked goroutines;
// every seed run is checked too.
const LeakCheckEvery = 1000

// Target is one fuzz target's configuration: the system calls its inputs decode into, and the
// stack target they run on ("" is stack.DefaultTarget).
type Target struct {
	Name    string
	Profile *repro.Profile
	Stack   string
	// Edits says the inputs are programs in the edit form (repro.DecodeEdits): a base, one of
	// the target's seeds (EditBases), and edits to it; otherwise they are in the byte form.
	Edits bool
}

// StackName is the name of the stack target t's inputs run on.
func (t Target) StackName() string { return stack.TargetName(t.Stack) }

// Decode decodes an input of t into the program it runs: its profile's program, on t's stack.
func (t Target) Decode(data []byte) *repro.Program {
	var p *repro.Program
	if t.Edits {
		p = t.Profile.DecodeEdits(EditBases(t), data)
	} else {
		p = t.Profile.Decode(data)
	}
	if name := t.StackName(); name != stack.DefaultTarget {
		p.Header.Target = name
	}
	return p
}

// Encode writes p as an input of t: its byte form. The edit form writes only its bases
// (EncodeBase): any other program is an error.
func (t Target) Encode(p *repro.Program) ([]byte, error) {
	if !t.Edits {
		return t.Profile.Encode(p)
	}
	// A base is a seed as the profile's byte form has it: p is base i when their byte forms
	// are the same.
	if data, err := t.Profile.Encode(p); err == nil {
		for i, b := range EditBases(t) {
			if enc, err := t.Profile.Encode(b); err == nil && bytes.Equal(enc, data) {
				return repro.EncodeBase(i), nil
			}
		}
	}
	return nil, fmt.Errorf("%s: the edit form writes only its base programs (the seeds), not this one: %w", t.Name, repro.ErrNotCanonical)
}

// editBases caches EditBases per target.
var editBases sync.Map // target name -> []*repro.Program

// EditBases returns the base programs of an edit-form target: every seed program its profile
// can express, the shared seeds then its stack's own, as its profile's byte form has them (the
// calls it leaves out taken out), in that order. They are part of the form: a seed added or
// changed changes the inputs that name it, as a table of the byte form would.
func EditBases(t Target) []*repro.Program {
	if b, ok := editBases.Load(t.Name); ok {
		return b.([]*repro.Program)
	}
	var out []*repro.Program
	for _, p := range seedPrograms(t.StackName()) {
		if data, err := t.Profile.EncodeSeed(p); err == nil {
			out = append(out, t.Profile.Decode(data))
		}
	}
	b, _ := editBases.LoadOrStore(t.Name, out)
	return b.([]*repro.Program)
}

// seedPrograms returns the seed programs of a stack target: the shared seeds, then its own.
func seedPrograms(stackName string) []*repro.Program {
	progs, _ := corpus.Programs()
	for _, s := range corpus.TargetSeeds(stackName) {
		if p, err := s.Program(); err == nil {
			progs = append(progs, p)
		}
	}
	return progs
}

func mustProfile(name string, calls ...string) *repro.Profile {
	p, err := repro.NewProfile(name, calls...)
	if err != nil {
		panic(err) // a programming error in the table below, caught by the tests
	}
	return p
}

// The targets' profiles.
var (
	// Sockets is everything.
	Sockets = Target{Name: "FuzzSockets", Profile: repro.AllCalls}
	// AcceptQueue is listeners, many clients, injected SYNs and RSTs, listener close.
	AcceptQueue = Target{Name: "FuzzAcceptQueue", Profile: mustProfile("accept", "socket", "bind", "listen", "connect",
		"accept", "close", "shutdown", "setsockopt", "ioctl", "interrupt", "dup")}
	// AsyncWakeup is FIOASYNC, F_SETOWN, poll, blocking recv and accept, interrupts.
	AsyncWakeup = Target{Name: "FuzzAsyncWakeup", Profile: mustProfile("async", "socket", "bind", "listen", "connect",
		"accept", "send", "recv", "ioctl", "fcntl", "poll", "interrupt", "close", "shutdown", "sockatmark")}
	// Soclose is dup, shared descriptors, close and abort races.
	Soclose = Target{Name: "FuzzSoclose", Profile: mustProfile("soclose", "socket", "bind", "listen", "connect", "accept",
		"dup", "close", "shutdown", "send", "recv", "setsockopt", "interrupt", "ioctl")}
)

// The netstack targets' profiles: gVisor's netstack (stack/netstack), whose calls leave out
// fcntl F_SETOWN and sockatmark (SIGIO and SIOCATMARK belong to gVisor's sentry). Each also
// draws the wire operations unreach and stackclose, which issue 15's bugs need (ICMP errors
// during a handshake, Stack.Close under blocked calls): their records are drops with a spare
// bit set (repro's byte form, "Wire variants").
var (
	// NetstackSockets is every call netstack has.
	NetstackSockets = Target{Name: "FuzzNetstackSockets", Stack: "netstack", Profile: mustProfile("netstack",
		"socket", "bind", "listen", "connect", "accept", "send", "sendto", "recv", "recvfrom", "shutdown",
		"close", "dup", "ioctl", "setsockopt", "getsockopt", "poll", "interrupt", stack.CallWireUnreach,
		stack.CallWireStackClose)}
	// NetstackAccept is listeners, clients, injected SYNs, ACKs and RSTs, listener close: the
	// accept queue and its backlog.
	NetstackAccept = Target{Name: "FuzzNetstackAccept", Stack: "netstack", Profile: mustProfile("netstack-accept",
		"socket", "bind", "listen", "connect", "accept", "close", "shutdown", "setsockopt", "ioctl",
		"interrupt", "dup", "getsockopt", stack.CallWireUnreach, stack.CallWireStackClose)}
	// NetstackClose is dup, shared descriptors, close, shutdown and linger against blocked calls.
	NetstackClose = Target{Name: "FuzzNetstackClose", Stack: "netstack", Profile: mustProfile("netstack-close",
		"socket", "bind", "listen", "connect", "accept", "dup", "close", "shutdown", "send", "recv",
		"setsockopt", "interrupt", "ioctl", stack.CallWireUnreach, stack.CallWireStackClose)}
	// NetstackWakeup is poll and blocking recv, send and accept against shutdown, close and the
	// wire: netstack's waiter queues and lost wakeups.
	NetstackWakeup = Target{Name: "FuzzNetstackWakeup", Stack: "netstack", Profile: mustProfile("netstack-wakeup",
		"socket", "bind", "listen", "connect", "accept", "send", "recv", "poll", "interrupt", "close",
		"shutdown", "ioctl", stack.CallWireUnreach, stack.CallWireStackClose)}
)

// The edit-form targets (issue 16): the profiles of FuzzSockets and FuzzNetstackSockets, their
// inputs a seed and edits to it (repro.DecodeEdits), so that go test -fuzz's byte mutations
// are program mutations: calls inserted, deleted, redrawn, moved, spliced from another seed,
// processes duplicated, wire operations added.
var (
	// EditSockets is FuzzSockets's profile in the edit form.
	EditSockets = Target{Name: "FuzzEditSockets", Profile: repro.AllCalls, Edits: true}
	// NetstackEdits is FuzzNetstackSockets's profile in the edit form.
	NetstackEdits = Target{Name: "FuzzNetstackEdits", Stack: "netstack", Profile: NetstackSockets.Profile, Edits: true}
)

// ByteTargets returns the fuzz targets whose inputs encode programs, each decoded with its
// profile (Target.Decode: the byte form, or the edit form), in the order the tools list them
// (FuzzReproText, whose inputs are program text, is not one of them).
func ByteTargets() []Target {
	return []Target{Sockets, AcceptQueue, AsyncWakeup, Soclose,
		NetstackSockets, NetstackAccept, NetstackClose, NetstackWakeup, EditSockets, NetstackEdits}
}

// TargetsOn returns the byte targets whose inputs run on the stack target called name.
func TargetsOn(name string) []Target {
	var out []Target
	for _, t := range ByteTargets() {
		if t.StackName() == stack.TargetName(name) {
			out = append(out, t)
		}
	}
	return out
}

// Harness runs inputs for one target with the environment's configuration.
type Harness struct {
	target Target
	stack  string // the stack target's name
	opt    repro.Options
	nsched int // schedules per input (EnvSchedules)
	// interleave counts the interleaving features of an input's schedules as coverage
	// (EnvInterleavings).
	interleave bool
	err        error // a bad environment: every run reports it
	runs       atomic.Int64
	nseeds     int64           // the first runs are the seeds' (go test runs them first)
	known      map[string]bool // titles that pass (SOCKFUZZ_KNOWN), looked up, never iterated

	seedsOnce   sync.Once
	seeds       [][]byte
	seedSet     map[string]bool // the seeds' bytes: their runs add the sweep (Sweep)
	seedSetOnce sync.Once

	availOnce   sync.Once
	unavailable string // why the target's stack cannot run here, "" when it can
}

// harnesses holds the fuzz targets' harnesses, one per target for the process: a libFuzzer
// build calls the target function once per input, and a new harness each time would encode
// every seed and check for leaks on every input (67 execs/s instead of thousands).
var (
	harnessMu sync.Mutex
	harnesses = map[string]*Harness{}
)

// HarnessFor returns the process's harness for a target, made on first use.
func HarnessFor(t Target) *Harness {
	harnessMu.Lock()
	defer harnessMu.Unlock()
	h := harnesses[t.Name]
	if h == nil {
		h = NewHarness(t)
		harnesses[t.Name] = h
	}
	return h
}

// NewHarness reads the environment once for a target. A bad environment (an unknown fault, an
// unknown mode) is kept and reported by every run, so that the target fails clearly.
func NewHarness(t Target) *Harness {
	// Controlled unless the environment asks for free mode: the decoder's own mode bit would
	// make a target's results depend on the machine's timing.
	h := &Harness{target: t, stack: t.StackName(), opt: repro.Options{StepBudget: StepBudget, Mode: repro.Controlled, ChoicesOnFailure: true}}
	h.nsched, h.err = SchedulesFromEnv()
	tname, err := targetFromEnv()
	if err != nil {
		h.err = err
	}
	// The faults are tname's: a target on another stack runs correct.
	if names := strings.TrimSpace(os.Getenv(EnvFaults)); names != "" && err == nil && tname == h.stack {
		f, err := repro.FaultSet(tname, strings.Split(names, ","))
		if err != nil {
			h.err = fmt.Errorf("%s=%q: %w", EnvFaults, names, err)
		}
		h.opt.Faults = f
	}
	known, err := readKnown(os.Getenv(EnvKnown))
	if err != nil {
		h.err = err
	}
	h.known = known
	switch v := os.Getenv(EnvInterleavings); v {
	case "", "off":
	case "on":
		h.interleave = true
	default:
		h.err = fmt.Errorf("%s=%q: want on or off", EnvInterleavings, v)
	}
	switch m := os.Getenv(EnvMode); m {
	case "", "controlled":
		// A controlled execution runs one goroutine at a time: in a fuzzing worker process a
		// single P saves the cross-thread wakeups of every handoff (about 1.6x faster,
		// BenchmarkTargets with -cpu 1 and 2; a libFuzzer build of FuzzSockets, 320 against
		// 265 inputs/s).
		if isFuzzWorker() || libFuzzerBuild {
			runtime.GOMAXPROCS(1)
		}
		// The threads' coroutines are reused from one execution to the next instead of made
		// for each thread (a tenth of an execution's CPU time). Not in a libFuzzer build: its
		// callback's goroutine is locked to an OS thread, and a coroutine runs only on the
		// thread-lock state it was made in.
		if !libFuzzerBuild {
			sched.PoolThreads(threadPoolSize)
		}
	case "free":
		h.opt.Mode = repro.Free
	default:
		h.err = fmt.Errorf("%s=%q: want controlled or free", EnvMode, m)
	}
	return h
}

// targetFromEnv reads EnvTarget.
func targetFromEnv() (string, error) {
	name := strings.TrimSpace(os.Getenv(EnvTarget))
	t, err := StackTarget(name)
	if err != nil {
		return "", fmt.Errorf("%s=%q: %w", EnvTarget, name, err)
	}
	return t, nil
}

// StackTarget checks that some fuzz target runs on the stack target called name ("" is
// stack.DefaultTarget) and returns its name.
func StackTarget(name string) (string, error) {
	t, err := stack.Lookup(name)
	if err != nil {
		return "", err
	}
	if len(TargetsOn(t.Name())) == 0 {
		return "", fmt.Errorf("no fuzz target runs on target %s", t.Name())
	}
	return t.Name(), nil
}

// Unavailable says why the target's stack cannot run its inputs in this build ("" when it
// can): netstack's controlled mode needs the hooked build of gVisor. It executes an empty
// program once per harness to find out. The fuzz targets skip their inputs then.
func (h *Harness) Unavailable() string {
	h.availOnce.Do(func() {
		p := &repro.Program{Header: repro.Header{Target: h.stack, CPUs: 1, Mode: repro.Controlled,
			Sched: repro.Schedule{Kind: sched.KindDefault}}}
		if _, err := repro.Execute(p, h.opt); err != nil {
			h.unavailable = fmt.Sprintf("%s cannot run on %s here: %v", h.target.Name, h.stack, err)
		}
	})
	return h.unavailable
}

// isFuzzWorker reports whether this process is a worker of go test -fuzz.
func isFuzzWorker() bool {
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// Seeds returns the seed corpus in the target's byte form: every seed program its profile can
// express, the shared seeds then its stack's own (corpus.TargetSeeds), as it is or without the calls the profile leaves out (Profile.EncodeSeed: before
// that, FuzzAcceptQueue started from 3 of the 35 seeds: the accept-queue seeds 17 to 25 all
// poll, recv, send or getsockopt), encoded once per harness. A seed that does not parse is a broken build, reported
// by the corpus tests.
func (h *Harness) Seeds() [][]byte {
	h.seedsOnce.Do(func() {
		if h.target.Edits {
			for i := range EditBases(h.target) {
				h.seeds = append(h.seeds, repro.EncodeBase(i))
			}
			h.nseeds = int64(len(h.seeds))
			return
		}
		for _, p := range seedPrograms(h.stack) {
			if data, err := h.target.Profile.EncodeSeed(p); err == nil {
				h.seeds = append(h.seeds, data)
			}
		}
		h.nseeds = int64(len(h.seeds))
	})
	return slices.Clip(h.seeds)
}

// ExploreInput is an input's whole exploration as a fuzz target makes it: Explore, then, for a
// seed (a shape the fuzzer starts from) that ran clean under its schedules, Sweep: every single
// preemption before one of its atomic writes, once, before fuzzing leaves it behind. A tool that
// runs an input again for its reports (the hunt) calls it to see what the target saw.
func ExploreInput(p *repro.Program, data []byte, n int, opt repro.Options, seed bool) (*Exploration, error) {
	x, err := Explore(p, data, n, opt)
	if err != nil || !seed || x.Outcome.Failed() || x.Outcome.Live != 0 || x.Own.Atomics == 0 {
		return x, err
	}
	return Sweep(p, x.Own, opt)
}

// IsSeed reports whether data is one of target t's seeds, the inputs ExploreInput sweeps.
func IsSeed(t Target, data []byte) bool { return HarnessFor(t).isSeed(data) }

// isSeed reports whether data is one of the target's seeds.
func (h *Harness) isSeed(data []byte) bool {
	h.Seeds()
	h.seedSetOnce.Do(func() {
		h.seedSet = make(map[string]bool, len(h.seeds))
		for _, s := range h.seeds {
			h.seedSet[string(s)] = true
		}
	})
	return h.seedSet[string(data)]
}

// textSeeds is TextSeeds' value, read once.
var textSeeds = sync.OnceValue(func() [][]byte {
	var out [][]byte
	for _, s := range corpus.Seeds() {
		out = append(out, s.Text)
	}
	return out
})

// TextSeeds returns the seed programs' text, FuzzReproText's seeds, read once per process: a
// libFuzzer build calls the target once per input, and reading them costs as much as the
// check.
func TextSeeds() [][]byte { return slices.Clip(textSeeds()) }

// Run executes one input under its schedules (Explore) and returns a failure message, "" when
// every oracle is quiet. The message starts with the first report's title, the dedup key a
// crash store uses, and ends with the program under the schedule that failed. The seed
// runs (the first ones) and every LeakCheckEvery-th run also check for leaked goroutines.
func (h *Harness) Run(data []byte) string {
	if h.err != nil {
		return h.err.Error()
	}
	growStack(0)
	msg := h.run(data)
	if msg == "" {
		return ""
	}
	if title, _, _ := strings.Cut(msg, "\n"); h.known[title] {
		return ""
	}
	return msg
}

// run is Run without the known-title filter.
func (h *Harness) run(data []byte) string {
	p := h.target.Decode(data)
	x, err := ExploreInput(p, data, h.nsched, h.options(), h.isSeed(data))
	if err != nil {
		return "execute: " + err.Error()
	}
	interleave.Report(x.Features)
	p, out := x.Program, x.Outcome
	if out.Live != 0 {
		return fmt.Sprintf("substrate: %d threads alive after the execution\n%v (%v)\n%s", out.Live, out.Alive, out.Result.Status, p)
	}
	if len(out.Reports) > 0 {
		if h.opt.Faults != 0 && h.stacksOwn(p, out.Reports[0].Title) {
			return ""
		}
		return out.Reports[0].Title + "\n" + out.Reports[0].String() + "\n\nprogram:\n" + p.String()
	}
	if n := h.runs.Add(1); n <= h.nseeds || n%LeakCheckEvery == 0 {
		if r := LeakCheck(); r != nil {
			return r.Title + "\n" + r.Detail
		}
	}
	return ""
}

// options are the options of one input's executions: the harness's, with a fresh table for
// their interleaving features when they count as coverage.
func (h *Harness) options() repro.Options {
	opt := h.opt
	if h.interleave {
		opt.Features = new(sched.Features)
	}
	return opt
}

// stacksOwn reports whether the failing program p, run with the faults off under its own
// schedule, fails with the same title: then the failure is the stack's own bug (a finding of
// the real stack, such as gVisor's today), not the faults', and a run hunting a fault passes
// it, as it says nothing of the fault; a run with the faults off reports it.
func (h *Harness) stacksOwn(p *repro.Program, title string) bool {
	opt := h.opt
	opt.Faults = 0
	q := *p
	q.Header.Faults = nil
	out, err := repro.Execute(&q, opt)
	return err == nil && out.HasTitle(title)
}

// runStackReserve is the stack an input's run needs, grown to in one step by Run: go test
// -fuzz calls the fuzz function on a new goroutine for every input (testing's tRunner), whose
// stack starts at 2 KiB, and decoding and executing the input grew it by doubling, copying
// the stack at every step, deeper each time.
const runStackReserve = 6 << 10

// growStack has a frame of runStackReserve bytes, so that calling it grows the goroutine's
// stack at once to the power of two that holds it. It returns a byte of the frame so that the
// compiler keeps it.
//
//go:noinline
func growStack(i int) byte {
	var buf [runStackReserve]byte
	return buf[i&(len(buf)-1)]
}

// readKnown reads a file of titles, one per line; "" is no file. Blank lines are ignored.
func readKnown(path string) (map[string]bool, error) {
	known := map[string]bool{}
	if path == "" {
		return known, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKnown, err)
	}
	for _, l := range strings.Split(string(src), "\n") {
		if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
			known[l] = true
		}
	}
	return known, nil
}

// leakIgnores are the goroutines of the test and fuzzing engines, alive during every check.
// They are named by function, not taken with goleak.IgnoreCurrent: that snapshot, taken at the
// check, would ignore the very goroutines the check looks for.
var leakIgnores = []goleak.Option{
	goleak.IgnoreTopFunction("testing.(*F).Fuzz.func1"),
	goleak.IgnoreTopFunction("os/signal.NotifyContext.func1"),
	goleak.IgnoreTopFunction("testing.tRunner.func1"),
	goleak.IgnoreTopFunction("testing.(*T).Run"),
	goleak.IgnoreTopFunction("testing.runFuzzing"),
	goleak.IgnoreTopFunction("testing.(*F).Fuzz"),
	goleak.IgnoreTopFunction("testing.(*B).run1"), // BenchmarkTargets
	goleak.IgnoreTopFunction("testing.(*B).doBench"),
	goleak.IgnoreTopFunction("runtime/pprof.readProfile"), // BenchmarkTargets -cpuprofile
	goleak.IgnoreAnyFunction(sched.IdleThreadFunc),        // idle pooled thread coroutines
}

// LeakCheck looks for goroutines left behind, ignoring the test and fuzzing engines' own.
func LeakCheck() *oracle.Report {
	err := goleak.Find(leakIgnores...)
	if err == nil {
		return nil
	}
	return oracle.GoroutineLeak(err)
}

// errNoSeeds is returned by CheckSeeds when a target has no seed at all.
var errNoSeeds = errors.New("no seed program fits the target's profile")

// CheckSeeds runs a target's seeds once each, for the tests: every one must be clean.
func CheckSeeds(t Target) error {
	h := NewHarness(t)
	seeds := h.Seeds()
	if len(seeds) == 0 {
		return fmt.Errorf("%s: %w", t.Name, errNoSeeds)
	}
	for i, s := range seeds {
		if msg := h.Run(s); msg != "" {
			return fmt.Errorf("%s seed %d: %s", t.Name, i, msg)
		}
	}
	return nil
}
