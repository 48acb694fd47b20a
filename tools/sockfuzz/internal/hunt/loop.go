package hunt

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// LoopConfig is a mutation loop without coverage feedback: the stress baseline (free mode) and
// random schedules (controlled mode, a fresh random schedule per execution).
type LoopConfig struct {
	// Decode decodes the mutated bytes into programs (the target's Decode).
	Decode func([]byte) *repro.Program
	// Seeds are the seed programs' encodings in that profile.
	Seeds [][]byte
	// Target is the stack target the programs run on; "" is stack.DefaultTarget.
	Target string
	// Faults are switched on, of the target's catalog.
	Faults stack.FaultSet
	// Oracle is the expected oracle: the loop stops at its first report.
	Oracle string
	// Mode is repro.Free (stress) or repro.Controlled (random schedules).
	Mode repro.Mode
	// RandomSchedule gives each execution a random schedule seed (controlled mode).
	RandomSchedule bool
	// Seed seeds the loop's mutations and schedules, so that a trial is reproducible.
	Seed uint64
	// Deadline ends the loop; it is checked between executions.
	Deadline time.Time
	// Done, when set, ends the loop early when closed (the hunt interrupted).
	Done <-chan struct{}
	// Progress, when set, is called every ProgressEvery executions with the count.
	Progress func(execs int64)
	// Other, when set, is called once per new title of another oracle.
	Other func(oracle, title string)
}

// ProgressEvery is how often, in executions, a loop reports progress.
const ProgressEvery = 500

// LoopResult is what a loop found.
type LoopResult struct {
	Found         bool
	Execs         int64
	Title, Oracle string
	Others        []string
}

// Loop runs mutated seeds until a report with the expected oracle or the deadline.
func Loop(cfg LoopConfig) (LoopResult, error) {
	if len(cfg.Seeds) == 0 {
		return LoopResult{}, fmt.Errorf("mutation loop: no seeds")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x68756e74))
	seen := map[string]bool{}
	var res LoopResult
	for !time.Now().After(cfg.Deadline) {
		select {
		case <-cfg.Done:
			return res, fmt.Errorf("mutation loop: interrupted")
		default:
		}
		data := Mutate(rng, cfg.Seeds)
		p := cfg.Decode(data)
		if cfg.Target != stack.DefaultTarget {
			p.Header.Target = cfg.Target
		}
		opt := repro.Options{Faults: cfg.Faults, Mode: cfg.Mode, StepBudget: fuzz.StepBudget}
		var schedSeed uint64
		if cfg.RandomSchedule {
			schedSeed = rng.Uint64()
			opt.Chooser = sched.Random(schedSeed)
		}
		out, err := repro.Execute(p, opt)
		res.Execs++
		if cfg.Progress != nil && res.Execs%ProgressEvery == 0 {
			cfg.Progress(res.Execs)
		}
		if err != nil {
			// A decoded program is valid by construction; one that is not is the codec's bug,
			// not this fault's exposure: note it and go on.
			if t := "execute: " + err.Error(); !seen[t] {
				seen[t] = true
				res.Others = append(res.Others, t)
			}
			continue
		}
		exposed := false
		for _, r := range out.Reports {
			if r.Oracle == cfg.Oracle {
				exposed = true
				res.Title, res.Oracle = r.Title, r.Oracle
				break
			}
		}
		if exposed {
			off := opt
			off.Faults = 0
			if cfg.RandomSchedule {
				off.Chooser = sched.Random(schedSeed)
			}
			own, err := FaultsOwn(p, off, cfg.Oracle)
			if err != nil {
				return res, err
			}
			if own {
				res.Found = true
				return res, nil
			}
			if t := res.Title + " (with the fault off too)"; !seen[t] {
				seen[t] = true
				res.Others = append(res.Others, t)
				if cfg.Other != nil {
					cfg.Other(res.Oracle, t)
				}
			}
			res.Title, res.Oracle = "", ""
			continue
		}
		if len(out.Reports) > 0 {
			r := out.Reports[0]
			if !seen[r.Title] {
				seen[r.Title] = true
				res.Others = append(res.Others, r.Title)
				if cfg.Other != nil {
					cfg.Other(r.Oracle, r.Title)
				}
			}
		}
	}
	return res, nil
}

// freeRetries is how many times FaultsOwn runs a free-mode program with the faults off: free
// executions differ run to run, so a stack's own bug may need more than one to show.
const freeRetries = 3

// FaultsOwn reports whether a report of oracle in an execution of p with faults on is the
// faults' exposure: p, run as opt says with the faults off (opt.Faults zero; a controlled
// execution under the same schedule, a fresh chooser made the same way), reports nothing of
// that oracle. A report the stack makes without the fault too is its own bug, such as the
// netstack findings gVisor has today, not the fault's. Free executions are tried freeRetries
// times.
func FaultsOwn(p *repro.Program, opt repro.Options, oracle string) (bool, error) {
	tries := 1
	if opt.Mode == repro.Free || opt.Mode == "" && p.Header.Mode == repro.Free {
		tries = freeRetries
	}
	for i := 0; i < tries; i++ {
		out, err := repro.Execute(p, opt)
		if err != nil {
			return false, fmt.Errorf("faults off: %w", err)
		}
		for _, r := range out.Reports {
			if r.Oracle == oracle {
				return false, nil
			}
		}
	}
	return true, nil
}

// Mutate picks a seed and applies one to four random byte mutations to a copy: the
// mutations a plain stress test with a random input generator would make, with no feedback.
func Mutate(rng *rand.Rand, seeds [][]byte) []byte {
	b := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
	for n := 1 + rng.IntN(4); n > 0; n-- {
		switch op := rng.IntN(6); {
		case op == 0 && len(b) > 0: // overwrite a byte
			b[rng.IntN(len(b))] = byte(rng.Uint32())
		case op == 1 && len(b) > 0: // flip a bit
			b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
		case op == 2: // insert a byte
			i := rng.IntN(len(b) + 1)
			b = append(b[:i], append([]byte{byte(rng.Uint32())}, b[i:]...)...)
		case op == 3 && len(b) > 1: // delete a run
			i := rng.IntN(len(b))
			j := min(len(b), i+1+rng.IntN(8))
			b = append(b[:i], b[j:]...)
		case op == 4 && len(b) > 1: // duplicate a run
			i := rng.IntN(len(b))
			j := min(len(b), i+1+rng.IntN(16))
			run := append([]byte(nil), b[i:j]...)
			k := rng.IntN(len(b) + 1)
			b = append(b[:k], append(run, b[k:]...)...)
		default: // splice in another seed's tail
			o := seeds[rng.IntN(len(seeds))]
			if len(o) > 0 && len(b) > 0 {
				b = append(b[:rng.IntN(len(b))], o[rng.IntN(len(o)):]...)
			}
		}
	}
	return b
}

// TargetByName returns the fuzz target called name.
func TargetByName(name string) (fuzz.Target, error) {
	var names []string
	for _, t := range fuzz.ByteTargets() {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return fuzz.Target{}, fmt.Errorf("unknown fuzz target %q: want one of %s", name, strings.Join(names, ", "))
}
