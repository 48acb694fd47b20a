package bench

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro"
)

// Seeds is FuzzSockets' harness with one schedule per input and its seed inputs, for the
// in-process measurements of where an execution's time goes.
type Seeds struct {
	// Harness runs an input as FuzzSockets does (decode, the controlled run with every oracle,
	// the result checks, a goroutine-leak check every fuzz.LeakCheckEvery-th run).
	Harness *fuzz.Harness
	// Inputs are the harness's seeds: the seed programs in FuzzSockets' byte form.
	Inputs [][]byte
	// Progs are the inputs decoded, as the harness decodes them.
	Progs []*repro.Program
}

// NewSeeds makes FuzzSockets' harness as a fuzzing worker with SOCKFUZZ_SCHEDULES=1 and the
// faults off makes it, whatever this process's environment says (the harness reads the
// environment once, here).
func NewSeeds() (*Seeds, error) {
	var h *fuzz.Harness
	withEnv(map[string]string{fuzz.EnvSchedules: "1", fuzz.EnvFaults: "", fuzz.EnvMode: "", fuzz.EnvKnown: ""}, func() {
		h = fuzz.NewHarness(fuzz.Sockets)
	})
	s := &Seeds{Harness: h, Inputs: h.Seeds()}
	if len(s.Inputs) == 0 {
		return nil, fmt.Errorf("%s: no seed input", fuzz.Sockets.Name)
	}
	for _, in := range s.Inputs {
		s.Progs = append(s.Progs, fuzz.Sockets.Profile.Decode(in))
	}
	// The harness checks for leaked goroutines on its first runs (the seeds', as go test runs
	// them first): one pass here, so that the measured runs are the steady ones.
	for i, in := range s.Inputs {
		if msg := h.Run(in); msg != "" {
			return nil, fmt.Errorf("%s seed %d fails: %s", fuzz.Sockets.Name, i, msg)
		}
	}
	return s, nil
}

// withEnv runs f with the environment variables set (an empty value unsets one), then
// restores them.
func withEnv(vars map[string]string, f func()) {
	type old struct {
		v  string
		ok bool
	}
	saved := map[string]old{}
	for k, v := range vars {
		ov, ok := os.LookupEnv(k)
		saved[k] = old{ov, ok}
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	defer func() {
		for k, o := range saved {
			if o.ok {
				os.Setenv(k, o.v)
			} else {
				os.Unsetenv(k)
			}
		}
	}()
	f()
}

// The in-process measurements of section 2, each one execution (or one decode) per seed
// input, in the order of the inputs.
const (
	stepDecode       = "decode"
	stepBareFree     = "bare-free"
	stepBareCtl      = "bare-controlled"
	stepBareCtlRace  = "bare-controlled-race"
	stepControlled   = "controlled"
	stepControlledCv = "controlled-coverage" // a child process, see covloop
	stepSeedMix      = "seedmix"             // go test -fuzz of covloop's FuzzSeedMix
)

// Step runs the i-th seed once for one in-process measurement.
func (s *Seeds) Step(name string, i int) error {
	switch name {
	case stepDecode:
		if p := fuzz.Sockets.Profile.Decode(s.Inputs[i]); p == nil {
			return fmt.Errorf("seed %d decoded to nothing", i)
		}
		return nil
	case stepBareFree, stepBareCtl, stepBareCtlRace:
		opt := repro.BareOptions{Mode: repro.Controlled, StepBudget: fuzz.StepBudget, Race: name == stepBareCtlRace}
		if name == stepBareFree {
			opt.Mode = repro.Free
		}
		if _, err := repro.ExecuteBare(s.Progs[i], opt); err != nil {
			return fmt.Errorf("seed %d: %w", i, err)
		}
		return nil
	case stepControlled:
		if msg := s.Harness.Run(s.Inputs[i]); msg != "" {
			return fmt.Errorf("seed %d fails: %s", i, msg)
		}
		return nil
	}
	return fmt.Errorf("unknown in-process measurement %q", name)
}

// interleaved runs the in-process measurements steps in turn, on one P, each for slices of
// whole passes over the seeds (every seed weighs the same in every measurement) until each
// has run for the time each, and returns their executions per second of wall time and of
// this process's CPU time. Taking turns in short slices, the measurements see the same load
// of the machine.
func (s *Seeds) interleaved(steps []string, each, slice time.Duration) ([]rate, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	n := make([]int, len(steps))
	wall := make([]time.Duration, len(steps))
	cpu := make([]time.Duration, len(steps))
	slice = min(slice, each)
	for cycle, left := 0, true; left; cycle++ {
		left = false
		for j := range steps {
			k := (j + cycle) % len(steps) // the first in turn changes every cycle
			if wall[k] >= each {
				continue
			}
			left = true
			start, cpu0 := time.Now(), ProcessCPU()
			for time.Since(start) < slice {
				for i := range s.Inputs {
					if err := s.Step(steps[k], i); err != nil {
						return nil, fmt.Errorf("%s: %w", steps[k], err)
					}
				}
				n[k] += len(s.Inputs)
			}
			wall[k] += time.Since(start)
			cpu[k] += ProcessCPU() - cpu0
		}
	}
	out := make([]rate, len(steps))
	for k := range steps {
		out[k].Wall = float64(n[k]) / wall[k].Seconds()
		if cpu[k] > 0 {
			out[k].CPU = float64(n[k]) / cpu[k].Seconds()
		}
	}
	return out, nil
}
