package sched

import "slices"

// demote is the Demote chooser.
type demote struct {
	at    []int // decision indices, increasing
	clock bool  // the clock runs before demoted threads
	low   []ID  // the demoted threads, in the order demoted (the last is the lowest)
	spun  []ID  // threads seen busy-waiting since the first demotion, below the demoted ones
	next  int
}

func (*demote) alwaysCandidate() {}

// Demote returns the chooser of a systematic PCT search: Default's choices, except that at
// decision index at[i] the thread current there is demoted, below every thread not demoted and
// below those demoted before it, for the rest of the execution. A demoted thread runs only when
// no thread above it can. The clock, when a candidate, runs before the demoted threads if
// clockFirst is set, after every thread otherwise (Default's rule). Enumerating every index, or
// every pair within a window, covers the schedules PCT reaches with one or two change points,
// each exactly once; at must be increasing.
func Demote(at []int, clockFirst bool) Chooser { return &demote{at: at, clock: clockFirst} }

func (c *demote) Choose(d *Decision) ID {
	for c.next < len(c.at) && c.at[c.next] <= d.Index {
		if c.at[c.next] == d.Index && c.rank(d.Current) < 0 {
			c.low = append(c.low, d.Current)
		}
		c.next++
	}
	if len(c.low) == 0 {
		return Default(d)
	}
	// A busy-waiting thread goes below every other, the demoted ones included, as under PCT:
	// giving way only to threads not demoted let two spinners hand the turn to each other
	// for ever while the demoted holder of their lock never ran (two TCP processors).
	spin := d.Spinning && d.has(d.Current) && len(d.Cands) > 1
	if spin {
		c.spun = append(slices.DeleteFunc(c.spun, func(x ID) bool { return x == d.Current }), d.Current)
	}
	up := func(x ID) bool { return x != ClockID && c.rank(x) < 0 && !slices.Contains(c.spun, x) }
	if !spin && d.has(d.Current) && up(d.Current) {
		return d.Current
	}
	for _, x := range d.Cands {
		if up(x) {
			return x
		}
	}
	if c.clock && d.Cands[0] == ClockID {
		return ClockID
	}
	for _, y := range c.low {
		if d.has(y) && !slices.Contains(c.spun, y) {
			return y
		}
	}
	for _, y := range c.spun {
		if d.has(y) && !(spin && y == d.Current) {
			return y
		}
	}
	return Default(d)
}

// rank is x's place among the demoted threads, -1 when it is not demoted.
func (c *demote) rank(x ID) int {
	for i, y := range c.low {
		if y == x {
			return i
		}
	}
	return -1
}
