package corpus

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

var update = flag.Bool("update", false, "rewrite testdata/tracehash.golden")

// traceSchedules is the number of schedules each program runs under in TestTraceHashes, its
// own included.
const traceSchedules = 30

// traceGolden is TestTraceHashes' golden file.
var traceGolden = filepath.Join("testdata", "tracehash.golden")

// TestTraceHashes pins the executions themselves: every seed and every witness, under its own
// schedule and 29 derived from its name (random, PCT depth 2 and 3, walk, sync PCT), with the
// faults off and on (a witness's own fault; every fault of the catalog for a seed), must give
// the trace hash, steps, status, choices and report titles of testdata/tracehash.golden; under
// its own schedule the whole event list too.
// A change meant to make executions faster must leave every line as it is; regenerate
// (go test ./corpus -run TestTraceHashes -update) only for a change meant to alter them.
func TestTraceHashes(t *testing.T) {
	type prog struct {
		name   string
		p      *repro.Program
		faults []string // "on"
	}
	var progs []prog
	for _, s := range Seeds() {
		p, err := s.Program()
		if err != nil {
			t.Fatal(err)
		}
		progs = append(progs, prog{"seeds/" + s.Name, p, stack.FaultNames(bsdTarget())})
	}
	for _, f := range Witnesses() {
		c, err := f.Crasher()
		if err != nil {
			t.Fatal(err)
		}
		if stack.TargetName(c.Program.Header.Target) != stack.DefaultTarget {
			continue // another target's witness: TestNetstackWitnesses replays those (hooked build)
		}
		progs = append(progs, prog{f.Name, c.Program, c.Program.Header.Faults})
	}
	var buf bytes.Buffer
	for _, pr := range progs {
		for _, on := range []bool{false, true} {
			q := *pr.p
			q.Header.Faults = nil
			label := "off"
			if on {
				q.Header.Faults = pr.faults
				label = "on"
			}
			steps := 0
			for i := 0; i < traceSchedules; i++ {
				r, opt := q, repro.Options{}
				if i > 0 {
					r.Header.Sched, opt.Chooser = traceSchedule(pr.name, i, steps)
				}
				out, err := repro.Execute(&r, opt)
				if err != nil {
					t.Fatalf("%s faults %s schedule %d: %v", pr.name, label, i, err)
				}
				line := traceLine(out)
				if i == 0 {
					steps = out.Result.Steps
					// Once more keeping every event, compared whole: the hash condenses
					// the sites' and objects' names.
					opt.LogSize = 1 << 20
					full, err := repro.Execute(&r, opt)
					if err != nil {
						t.Fatal(err)
					}
					ev := fnv.New64a()
					for _, e := range full.Events {
						fmt.Fprintf(ev, "%d %d %d %s %s\n", e.Step, e.Thread, e.Kind, e.Site, e.Obj)
					}
					line += fmt.Sprintf(" events=%d/%016x same=%v", len(full.Events), ev.Sum64(), traceLine(full) == line)
				}
				fmt.Fprintf(&buf, "%s %s %d: %s\n", pr.name, label, i, line)
			}
		}
	}
	if *update {
		if err := os.WriteFile(traceGolden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(traceGolden)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	got := strings.Split(buf.String(), "\n")
	wl := strings.Split(string(want), "\n")
	bad := 0
	for i := 0; i < max(len(got), len(wl)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			if bad++; bad <= 10 {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d lines differ from %s", bad, len(wl), traceGolden)
	}
}

// traceSchedule is the i-th derived schedule (i >= 1) of the program called name; steps is the
// length of its run under its own schedule, PCT's estimate.
func traceSchedule(name string, i, steps int) (repro.Schedule, sched.Chooser) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", name, i)
	seed := h.Sum64()
	steps = min(max(steps, 1), repro.MaxPCTSteps)
	switch i % 5 {
	case 1:
		return repro.Schedule{Kind: repro.SchedRandom, Seed: seed}, nil
	case 2:
		return repro.Schedule{Kind: repro.SchedPCT, Seed: seed, Depth: 2, Steps: steps}, nil
	case 3:
		return repro.Schedule{Kind: repro.SchedPCT, Seed: seed, Depth: 3, Steps: steps}, nil
	case 4:
		return repro.Schedule{Kind: repro.SchedDefault}, sched.Walk(seed, 16)
	default:
		return repro.Schedule{Kind: repro.SchedDefault}, sched.SyncPCT(seed, 2, max(steps/16, 1))
	}
}

// traceLine condenses one outcome: the trace hash, steps, status, virtual time, a hash of the
// choices and of the calls' results, the races and bugs counted, and the report titles.
func traceLine(o *repro.Outcome) string {
	r := o.Result
	ch := fnv.New64a()
	for _, c := range r.Choices {
		fmt.Fprintf(ch, "%d,", c)
	}
	cr := fnv.New64a()
	for _, c := range o.Calls {
		fmt.Fprintf(cr, "%s/%d %s %d %d %v;", c.Proc, c.Index, c.Call, c.N, c.Err, c.Done)
	}
	var titles []string
	for _, rep := range o.Reports {
		titles = append(titles, fmt.Sprintf("%s@%d/t%d", rep.Title, rep.Step, rep.Thread))
	}
	return fmt.Sprintf("hash=%016x steps=%d %v now=%d choices=%d/%016x calls=%016x races=%d bugs=%d live=%d reports=%q",
		r.TraceHash, r.Steps, r.Status, r.Now, len(r.Choices), ch.Sum64(), cr.Sum64(), len(r.Races), len(r.Bugs), o.Live, titles)
}
