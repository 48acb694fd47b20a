package corpusstats

import (
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
)

func parse(t *testing.T, src string) *repro.Program {
	t.Helper()
	p, err := repro.Parse("t", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFeatures(t *testing.T) {
	p := parse(t, `
cpus 2
proc p0
  r0 = socket(tcp)
  shutdown(r0, rd)
  recv(r0, 5, oob, peek)
proc p1
  send(r0, 100)
wire
  < 10.0.0.2:4000 > :80 S 0:0(0)
  tick 10
`)
	want := []string{"cpus 2", "procs 2", "recv oob peek", "send", "shutdown rd", "socket tcp", "wire inject tcp flags 0x2", "wire tick"}
	if got := Features(p); !slices.Equal(got, want) {
		t.Errorf("features %q, want %q", got, want)
	}
}

// TestMeasure: two seeds, one with shutdown and one with an injected SYN; a corpus program
// that has both combines a pair no seed has, and one equal to a seed but for its schedule is
// no new program.
func TestMeasure(t *testing.T) {
	a := parse(t, "proc p0\n  r0 = socket(tcp)\n  shutdown(r0, rd)\n")
	b := parse(t, "proc p0\n  r0 = socket(tcp)\nwire\n  < 10.0.0.2:4000 > :80 S 0:0(0)\n")
	both := parse(t, "proc p0\n  r0 = socket(tcp)\n  shutdown(r0, rd)\nwire\n  < 10.0.0.2:4000 > :80 S 0:0(0)\n")
	aOtherSched := parse(t, "sched random seed=7\nproc p0\n  r0 = socket(tcp)\n  shutdown(r0, rd)\n")
	st := Measure([]*repro.Program{a, b}, []*repro.Program{a, aOtherSched, both})
	want := Stats{Inputs: 3, Programs: 2, Features: 3, NewFeatures: 0, Pairs: 3, NewPairs: 1}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	var sb strings.Builder
	st.Write(&sb)
	if !strings.Contains(sb.String(), "3 feature pairs (1 no seed combines)") {
		t.Errorf("line: %s", sb.String())
	}
}
