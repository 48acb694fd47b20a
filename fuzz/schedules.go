package fuzz

import (
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Schedule exploration. Go's coverage feedback sees which code an input reached, not the
// interleaving it reached it in: a mutation that only changes the schedule bytes is rarely
// kept, and an input decoded with the default schedule would be run under one interleaving
// forever. So each input runs under its own schedule and then under schedules derived from a
// hash of its bytes, alternately random and PCT: every mutation of any byte brings fresh
// interleavings, coverage reached under any of them is the input's, and the same input still
// runs the same executions, in the same order, every time (go test -fuzz re-runs a failing
// input to minimize it; a crasher file must fail again).

// EnvSchedules is the number of schedules each input runs under, its own included
// (SOCKFUZZ_SCHEDULES=1 runs only the input's own schedule).
const EnvSchedules = "SOCKFUZZ_SCHEDULES"

// DefaultSchedules is the number of schedules per input unless EnvSchedules says otherwise.
const DefaultSchedules = 6

// MaxSchedules bounds EnvSchedules: one input must stay a short execution.
const MaxSchedules = 64

// SchedulesFromEnv returns the number of schedules per input the environment asks for, or
// DefaultSchedules.
func SchedulesFromEnv() (int, error) {
	v := strings.TrimSpace(os.Getenv(EnvSchedules))
	if v == "" {
		return DefaultSchedules, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxSchedules {
		return DefaultSchedules, fmt.Errorf("%s=%q: want a number of schedules from 1 to %d", EnvSchedules, v, MaxSchedules)
	}
	return n, nil
}

// derivedCycle is the kinds of the derived schedules, in turn. Random schedules find the races
// whose window is a few steps wide wherever it falls; PCT those that need one thread held
// back for long at one of a few points (depth 2 most often); sync PCT (sched.SyncPCT) those
// whose window ends at a lock or a message send; a walk (sched.Walk) those that need a thread
// held back while another runs a whole message, anywhere; a preempting schedule
// (sched.Preempt) those that need the default's order, the thread that sent a message running
// on, and one preemption before an atomic write. Measured on the witnesses
// (corpus/crashers/witnesses) with their schedules replaced by the default, 300 schedules of
// each kind (`sockfuzz kinds`, docs/search-power.md §4), counting only the witnesses the default
// schedule does not already expose: each kind finds some that the others almost never do;
// preempt2 took walk32's place in the first five for listen-bound-window (27, at most 4
// otherwise), listen-close-drain (37, PCT 22) and wakeup-before-append (120, PCT 109); walk32
// was behind walk16 or random on all but one.
var derivedCycle = []struct {
	kind  string
	param int // PCT's and Preempt's depth, the walk's switch odds
}{{"random", 0}, {"pct", 2}, {"walk", 16}, {"syncpct", 2}, {"preempt", 2}, {"walk", 32}, {"random", 0}, {"pct", 3}, {"preempt", 3}}

// syncsPerStep turns the steps of the input's own run into sync PCT's estimate of its
// synchronization points. The seeds under random schedules make one in about 7 steps; an
// estimate of half that puts the change points in the execution's first half, where the
// witnesses' windows are: steps/16 exposed predicate-wakeup-race's witness in 23 of 300 runs,
// steps/8 in 13, plain PCT depth 2 in 6 and depth 1 (which it replaces in the cycle) in 0.
const syncsPerStep = 16

// Derived is one schedule derived from an input's bytes, as a program's header states it.
type Derived struct {
	Schedule repro.Schedule
}

// inputHash is the hash the derived schedules' seeds come from.
func inputHash(data []byte) uint64 {
	h := fnv.New64a()
	if len(data) > 0 {
		// Not the version byte: Decode reads the program from what follows it, and a new
		// version of the byte form must not give every input other schedules (the v1 form
		// writes FuzzSockets' programs as v0 did, after its version byte).
		h.Write(data[1:])
	}
	return h.Sum64()
}

// derived returns the i-th schedule (i >= 1) derived from an input whose hash is hash, of the
// kind derivedCycle gives, with estimates from own, the input's run under its own schedule.
func derived(hash uint64, i int, own Own) Derived {
	seed := mix64(hash + uint64(i)*0x9e3779b97f4a7c15)
	return Derived{Schedule: CycleSchedule((i-1)%len(derivedCycle), seed, own)}
}

// Own is what the derived schedules' estimates come from: the input's run under its own
// schedule.
type Own struct {
	// Steps is the run's scheduling points; Atomics its contended atomic decisions.
	Steps, Atomics int
}

// CycleKinds names the kinds of the derived schedules, in turn (with their parameter, as
// "pct2" or "walk16"): the i-th derived schedule is of kind (i-1) mod len.
func CycleKinds() []string {
	out := make([]string, len(derivedCycle))
	for j, c := range derivedCycle {
		out[j] = c.kind
		if c.param != 0 {
			out[j] += strconv.Itoa(c.param)
		}
	}
	return out
}

// CycleSchedule returns the schedule of the j-th kind of the derived cycle with the given seed.
func CycleSchedule(j int, seed uint64, own Own) repro.Schedule {
	return kindSchedule(derivedCycle[j].kind, derivedCycle[j].param, seed, own)
}

// KindSchedule returns the schedule a kind of the derived cycle's form names ("random",
// "pct2", "walk16", "syncpct2", "preempt2": a kind and its parameter, PCT's depth or the walk's
// odds), with the given seed and estimates from own, whether or not the cycle has it: `sockfuzz
// kinds` measures candidates with it.
func KindSchedule(spec string, seed uint64, own Own) (repro.Schedule, error) {
	name := strings.TrimRight(spec, "0123456789")
	param := 0
	if name != spec {
		n, err := strconv.Atoi(spec[len(name):])
		if err != nil {
			return repro.Schedule{}, fmt.Errorf("kind %q: %w", spec, err)
		}
		param = n
	}
	switch name {
	case "random":
		if param != 0 {
			return repro.Schedule{}, fmt.Errorf("kind %q: random takes no parameter", spec)
		}
	case "pct", "syncpct", "preempt", "walk":
	default:
		return repro.Schedule{}, fmt.Errorf("kind %q: want random, pctN, syncpctN, walkN or preemptN", spec)
	}
	// The parameter's range is the substrate's registry's (Schedule.Validate).
	s := kindSchedule(name, param, seed, own)
	if err := s.Validate(); err != nil {
		return repro.Schedule{}, fmt.Errorf("kind %q: %w", spec, err)
	}
	return s, nil
}

// kindSchedule is a derived schedule of a kind and its parameter. A PCT schedule's step
// estimate is own's steps: PCT places its change points among the steps it expects, and an
// estimate far above the real length would rarely place one; a preempting one's is own's
// atomic decisions.
func kindSchedule(kind string, param int, seed uint64, own Own) repro.Schedule {
	switch kind {
	case "pct":
		steps := min(max(own.Steps, 1), repro.MaxPCTSteps)
		return repro.Schedule{Kind: repro.SchedPCT, Seed: seed, Depth: param, Steps: steps}
	case "walk":
		return repro.Schedule{Kind: repro.SchedWalk, Seed: seed, Odds: param}
	case "syncpct":
		syncs := min(max(own.Steps/syncsPerStep, 1), sched.MaxPCTSteps)
		return repro.Schedule{Kind: repro.SchedSyncPCT, Seed: seed, Depth: param, Syncs: syncs}
	case "preempt":
		points := min(max(own.Atomics, 1), sched.MaxPCTSteps)
		return repro.Schedule{Kind: sched.KindPreempt, Seed: seed, Depth: param, Points: points}
	default:
		return repro.Schedule{Kind: repro.SchedRandom, Seed: seed}
	}
}

// SweepPoints bounds a sweep's executions (Sweep).
const SweepPoints = 256

// Sweep runs p under every single preemption at an atomic decision (before an atomic write,
// sched.PreemptAt), of the
// own.Atomics its run under the default order makes, at most SweepPoints of them evenly spread,
// and stops at the first execution an oracle reports or whose threads outlive it. It is a
// bounded systematic search in the manner of CHESS: the harness gives it to the seeds, the
// shapes the fuzzer starts from, whose read-modify-write windows random schedules reach once
// in hundreds of runs. A failure's program replays it (an explicit replay schedule).
func Sweep(p *repro.Program, own Own, opt repro.Options) (*Exploration, error) {
	if opt.Chooser != nil {
		return nil, fmt.Errorf("sweep: the schedules are the sweep's own")
	}
	x := &Exploration{Program: p, Own: own, Features: opt.Features}
	n := min(own.Atomics, SweepPoints)
	for j := 0; j < n; j++ {
		k := 1 + j*own.Atomics/n
		c := *p
		c.Header.Sched = repro.Schedule{Kind: repro.SchedDefault}
		o := opt
		o.Chooser = sched.PreemptAt(k)
		out, err := repro.Execute(&c, o)
		if err != nil {
			return nil, err
		}
		x.Runs++
		x.Outcome = out
		if out.Failed() || out.Live != 0 {
			q := out.Replayable(&c)
			q.Comments = append([]string{fmt.Sprintf(" preempted at atomic decision %d of %d (the harness's sweep of its seeds)", k, own.Atomics)}, p.Comments...)
			x.Program, x.Index = q, -k
			return x, nil
		}
	}
	return x, nil
}

// mix64 is splitmix64's finalizer: neighbouring inputs give unrelated seeds.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Exploration is the result of running one input under its schedules.
type Exploration struct {
	// Program is the program with the schedule of the execution returned: the failing one,
	// or the input's own when none failed. Replaying it gives the same execution.
	Program *repro.Program
	// Outcome is the failing execution's, or the last one's when none failed.
	Outcome *repro.Outcome
	// Index is the schedule's index: 0 the input's own, i >= 1 the i-th derived schedule, -k
	// a sweep's preemption at the k-th atomic decision.
	Index int
	// Runs is the number of executions made.
	Runs int
	// Own is the estimates the input's run under its own schedule gave (zero in free mode).
	Own Own
	// Features are the interleaving features of all the executions made: opt.Features, which
	// they all add to; nil when it is.
	Features *sched.Features
}

// Explore runs p, decoded from data, under its own schedule and then the derived ones, n in
// all, and stops at the first execution an oracle reports or whose threads outlive it. In
// free mode there is no schedule to vary and p runs once. opt.Chooser must be nil.
func Explore(p *repro.Program, data []byte, n int, opt repro.Options) (*Exploration, error) {
	if opt.Chooser != nil {
		return nil, fmt.Errorf("explore: the schedules are the exploration's own")
	}
	mode := p.Header.Mode
	if opt.Mode != "" {
		mode = opt.Mode
	}
	if mode == repro.Free {
		n = 1
	}
	n = max(n, 1)
	x := &Exploration{Program: p, Features: opt.Features}
	var own Own
	var hash uint64
	if n > 1 {
		hash = inputHash(data)
	}
	for i := 0; i < n; i++ {
		q, o := p, opt
		if i > 0 {
			c := *p
			d := derived(hash, i, own)
			c.Header.Sched = d.Schedule
			c.Comments = append([]string{fmt.Sprintf(" schedule %d derived from the input's bytes (%s=%d)", i, EnvSchedules, n)}, p.Comments...)
			q = &c
		}
		out, err := repro.Execute(q, o)
		if err != nil {
			return nil, err
		}
		x.Runs++
		x.Program, x.Outcome, x.Index = q, out, i
		if i == 0 {
			own = Own{Steps: out.Result.Steps, Atomics: out.Result.Atomics}
			x.Own = own
		}
		if out.Failed() || out.Live != 0 {
			return x, nil
		}
	}
	x.Program, x.Index = p, 0
	return x, nil
}
