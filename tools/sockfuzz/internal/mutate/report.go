package mutate

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// opStats are one operator's counts.
type opStats struct {
	mutants, stillborn, killed, hung, survived, fuzzed, found int
	toKill                                                    []float64
}

// Report writes the results as Markdown: per operator, the mutants, those the suite killed,
// the survivors and the share of the fuzzed survivors the fuzzer killed with its median time
// to kill; then the survivors the fuzzer did not kill, for inspection (equivalent, or a blind
// spot of the harness). order is the results' order (ReadResults).
func Report(w io.Writer, results map[string]Result, order []string, budget string) {
	byOp := map[string]*opStats{}
	all := &opStats{}
	var alive []Result
	for _, id := range order {
		r := results[id]
		s := byOp[r.Op]
		if s == nil {
			s = &opStats{}
			byOp[r.Op] = s
		}
		for _, s := range []*opStats{s, all} {
			s.mutants++
			switch r.Suite {
			case Stillborn:
				s.stillborn++
			case Killed:
				s.killed++
			case Hung:
				s.hung++
			case Survived:
				s.survived++
				if r.Fuzzed {
					s.fuzzed++
					if r.Found {
						s.found++
						s.toKill = append(s.toKill, r.FuzzSeconds)
					}
				}
			}
		}
		if r.Suite == Survived && r.Fuzzed && !r.Found {
			alive = append(alive, r)
		}
	}
	fmt.Fprintf(w, "| operator | mutants | stillborn | killed by the suite | hung | survived | fuzzed | killed by fuzzing (%s each) | median time to kill |\n", budget)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	row := func(name string, s *opStats) {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %s | %s |\n", name, s.mutants, s.stillborn, s.killed, s.hung,
			s.survived, s.fuzzed, share(s.found, s.fuzzed), median(s.toKill))
	}
	for _, op := range OperatorNames() {
		if s := byOp[op]; s != nil {
			row(op, s)
		}
	}
	row("**all**", all)
	fmt.Fprintf(w, "\nSurvivors the fuzzer did not kill (%d), to inspect: equivalent (no observable change) or a blind spot of the harness.\n\n", len(alive))
	for _, r := range alive {
		fmt.Fprintf(w, "- `%s` %s:%d: %s\n", r.ID, r.File, r.Line, strings.ReplaceAll(r.Desc, "|", `\|`))
	}
}

func share(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%d (%.0f%%)", n, 100*float64(n)/float64(of))
}

func median(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("%.1f s", m)
}
