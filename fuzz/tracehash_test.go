package fuzz

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
)

var update = flag.Bool("update", false, "rewrite testdata/tracehash.golden")

// benchInputs are BenchmarkTargets' inputs for a harness: its seeds, then 64 random inputs.
func benchInputs(h *Harness) [][]byte {
	inputs := h.Seeds()
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 64; i++ {
		in := make([]byte, 8+r.IntN(200))
		for j := range in {
			in[j] = byte(r.UintN(256))
		}
		inputs = append(inputs, in)
	}
	return inputs
}

// TestTraceHashes pins what the fuzz targets execute: every target's BenchmarkTargets inputs,
// decoded and explored under DefaultSchedules schedules with the faults off and all on, must
// give the schedule index, runs, trace hash, steps, choices and first title of
// testdata/tracehash.golden (regenerate with -update only for a change meant to alter them).
// It covers the targets on the default stack; the netstack targets have their own golden file,
// checked on the hooked build (TestNetstackTraceHashes).
func TestTraceHashes(t *testing.T) {
	checkTraceHashes(t, filepath.Join("testdata", "tracehash.golden"), stack.DefaultTarget)
}

// checkTraceHashes checks the trace-hash lines of the targets on stack stackName against
// golden.
func checkTraceHashes(t *testing.T, golden, stackName string) {
	var buf bytes.Buffer
	for _, tg := range TargetsOn(stackName) {
		h := NewHarness(tg)
		inputs := benchInputs(h)
		for _, faults := range []stack.FaultSet{0, stack.AllFaults(stack.MustLookup(stackName))} {
			opt := repro.Options{StepBudget: StepBudget, Mode: repro.Controlled, Faults: faults}
			for i, in := range inputs {
				p := tg.Decode(in)
				x, err := Explore(p, in, DefaultSchedules, opt)
				if err != nil {
					t.Fatal(err)
				}
				r := x.Outcome.Result
				ch := fnv.New64a()
				for _, c := range r.Choices {
					fmt.Fprintf(ch, "%d,", c)
				}
				fmt.Fprintf(&buf, "%s faults=%x %d: index=%d runs=%d hash=%016x steps=%d %v choices=%d/%016x live=%d title=%q\n",
					tg.Name, uint64(faults), i, x.Index, x.Runs, r.TraceHash, r.Steps, r.Status, len(r.Choices), ch.Sum64(), x.Outcome.Live, x.Outcome.Title())
			}
		}
	}
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		g, w := bytes.Split(buf.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
		bad := 0
		for i := 0; i < min(len(g), len(w)); i++ {
			if !bytes.Equal(g[i], w[i]) {
				if bad++; bad <= 10 {
					t.Errorf("line %d:\n got %s\nwant %s", i+1, g[i], w[i])
				}
			}
		}
		t.Errorf("%d lines differ from %s (%d lines, want %d)", bad, golden, len(g), len(w))
	}
}
