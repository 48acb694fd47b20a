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
// whose window is a few steps wide wherever it falls; PCT those that need one thread held back
// for long at one of a few points (depth 2 most often); sync PCT (sched.SyncPCT) those whose
// window ends at a lock or a message send; a walk (sched.Walk) those that need a thread held
// back while another runs a whole message, anywhere. Measured on the witnesses
// (corpus/crashers/witnesses) with their schedules replaced: each kind finds some that the
// others almost never do.
var derivedCycle = []struct {
	kind  string
	param int // PCT's depth, the walk's switch odds
}{{"random", 0}, {"pct", 2}, {"walk", 16}, {"syncpct", 2}, {"walk", 32}, {"random", 0}, {"pct", 3}}

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
// kind derivedCycle gives. A PCT schedule's step estimate is steps, the length of the input's
// run under its own schedule: PCT places its change points among the steps it expects, and an
// estimate far above the real length would rarely place one.
func derived(hash uint64, i, steps int) Derived {
	seed := mix64(hash + uint64(i)*0x9e3779b97f4a7c15)
	switch c := derivedCycle[(i-1)%len(derivedCycle)]; c.kind {
	case "pct":
		steps = min(max(steps, 1), repro.MaxPCTSteps)
		return Derived{Schedule: repro.Schedule{Kind: repro.SchedPCT, Seed: seed, Depth: c.param, Steps: steps}}
	case "walk":
		return Derived{Schedule: repro.Schedule{Kind: repro.SchedWalk, Seed: seed, Odds: c.param}}
	case "syncpct":
		syncs := min(max(steps/syncsPerStep, 1), sched.MaxPCTSteps)
		return Derived{Schedule: repro.Schedule{Kind: repro.SchedSyncPCT, Seed: seed, Depth: c.param, Syncs: syncs}}
	default:
		return Derived{Schedule: repro.Schedule{Kind: repro.SchedRandom, Seed: seed}}
	}
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
	// Index is the schedule's index: 0 the input's own, i >= 1 the i-th derived schedule.
	Index int
	// Runs is the number of executions made.
	Runs int
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
	steps := 0
	var hash uint64
	if n > 1 {
		hash = inputHash(data)
	}
	for i := 0; i < n; i++ {
		q, o := p, opt
		if i > 0 {
			c := *p
			d := derived(hash, i, steps)
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
			steps = out.Result.Steps
		}
		if out.Failed() || out.Live != 0 {
			return x, nil
		}
	}
	x.Program, x.Index = p, 0
	return x, nil
}
