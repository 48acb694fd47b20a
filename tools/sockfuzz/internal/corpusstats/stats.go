// Package corpusstats measures what a fuzzing corpus reached beyond its seeds: the distinct
// programs its inputs decode to, the features they use, and the pairs of features they combine
// that no single seed combines (a bug that needs two features living in different seeds needs
// such a pair). It is how issue 16 compares input forms on the same budget.
package corpusstats

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sockfuzz/sockfuzz/repro"
)

// Features returns a program's features: each call by its name and word arguments (shutdown
// rd, recv oob peek, setsockopt reuseaddr), each wire operation by its kind (an injected
// packet by its flags), and more than one CPU or process. Numbers and resources are left
// out: a feature names what the program does, not with which values.
func Features(p *repro.Program) []string {
	set := map[string]bool{}
	for _, pr := range p.Procs {
		for _, c := range pr.Calls {
			f := c.Name
			for _, a := range c.Args {
				if w, ok := a.(repro.WordArg); ok {
					f += " " + string(w)
				}
			}
			set[f] = true
		}
	}
	for _, op := range p.Wire {
		if op.Kind == repro.WireInject {
			set[fmt.Sprintf("wire inject %s flags %#x", op.Packet.Proto, op.Packet.Flags)] = true
			continue
		}
		set["wire "+strings.Fields(op.String())[0]] = true
	}
	if p.Header.CPUs > 1 {
		set[fmt.Sprintf("cpus %d", p.Header.CPUs)] = true
	}
	if len(p.Procs) > 1 {
		set[fmt.Sprintf("procs %d", len(p.Procs))] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Stats are a corpus's counts against its seeds'.
type Stats struct {
	Inputs, Programs int
	// Features and Pairs are the distinct features and feature pairs of the corpus; NewFeatures
	// and NewPairs those no seed has (a pair counts as a seed's when one seed has both).
	Features, NewFeatures, Pairs, NewPairs int
}

// Measure counts the corpus programs against the seed programs. Programs are told apart by
// their text without schedule or comments (a schedule changes an input, not the program).
func Measure(seeds, corpus []*repro.Program) Stats {
	seedF, seedP := map[string]bool{}, map[string]bool{}
	for _, p := range seeds {
		fs := Features(p)
		for i, a := range fs {
			seedF[a] = true
			for _, b := range fs[i+1:] {
				seedP[a+"\x00"+b] = true
			}
		}
	}
	var st Stats
	progs, feats, pairs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range corpus {
		st.Inputs++
		q := *p
		q.Comments = nil
		q.Header.Sched = repro.Schedule{Kind: repro.SchedDefault}
		progs[q.String()] = true
		fs := Features(p)
		for i, a := range fs {
			feats[a] = true
			for _, b := range fs[i+1:] {
				pairs[a+"\x00"+b] = true
			}
		}
	}
	st.Programs, st.Features, st.Pairs = len(progs), len(feats), len(pairs)
	for f := range feats {
		if !seedF[f] {
			st.NewFeatures++
		}
	}
	for pr := range pairs {
		if !seedP[pr] {
			st.NewPairs++
		}
	}
	return st
}

// Write prints the stats as one line.
func (s Stats) Write(w io.Writer) {
	fmt.Fprintf(w, "%d inputs, %d distinct programs, %d features (%d no seed has), %d feature pairs (%d no seed combines)\n",
		s.Inputs, s.Programs, s.Features, s.NewFeatures, s.Pairs, s.NewPairs)
}
