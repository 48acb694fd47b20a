package sched

// demote is the Demote chooser.
type demote struct {
	at    []int // decision indices, increasing
	clock bool  // the clock runs before demoted threads
	low   []ID  // the demoted threads, in the order demoted (the last is the lowest)
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
	// A spinning thread gives way to any other candidate, as under Default.
	spin := d.Spinning && d.has(d.Current) && len(d.Cands) > 1
	if !spin && d.has(d.Current) && c.rank(d.Current) < 0 {
		return d.Current
	}
	for _, x := range d.Cands {
		if x != ClockID && c.rank(x) < 0 && !(spin && x == d.Current) {
			return x
		}
	}
	if c.clock && d.Cands[0] == ClockID {
		return ClockID
	}
	for _, y := range c.low {
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
