package sched

import "math/rand/v2"

// ID identifies a thread within one execution. IDs are given in creation order from 0, so they
// are stable across replays of the same execution.
type ID int32

// ClockID stands for the virtual clock among a decision's candidates: choosing it fires the
// earliest pending callout.
const ClockID ID = -1

// Decision is what a Chooser sees at a scheduling point where more than one candidate can run.
type Decision struct {
	// Step counts the scheduling points of the execution so far, this one included.
	Step int
	// Index counts the decisions made before this one.
	Index int
	// Current is the thread that reached the scheduling point. It is not among Cands when it
	// has just blocked or exited.
	Current ID
	// Kind is the kind of the last event recorded before the decision. When Current is among
	// Cands it is the operation Current is about to perform (a lock, a message send, an
	// access); otherwise it says little (EvBlock when Current has just blocked).
	Kind EventKind
	// Cands lists the candidates in increasing order; ClockID, when present, comes first.
	// It is the substrate's own list: read it, do not keep or change it.
	Cands []ID
	// Spinning tells that Current's last TryLock failed since its previous decision: it is
	// busy-waiting for a lock (gVisor's TCP processor requeues an endpoint whose lock a user
	// holds and tries again). Unfair choosers that would keep it running (PCT's fixed
	// priorities, a walk, the default of running the current thread) let another thread run,
	// or the spin never ends; the holder is not blocked, only never chosen.
	Spinning bool
	// Write tells, when Kind is EvAtomic, that the access writes the word (a store or a
	// read-modify-write): the decision ends a read-modify-write window.
	Write bool
}

// after picks the candidate that follows the spinning Current in increasing id order, the
// lowest one after the highest, or the clock when no other thread can run, or Current: the
// other thread numbered after as many others as are below Current (other wraps around).
func (d *Decision) after() ID {
	below := 0
	for _, c := range d.Cands {
		if c != ClockID && c < d.Current {
			below++
		}
	}
	return d.other(below)
}

// other picks a candidate other than the spinning Current: the n-th thread among the others
// (n reduced modulo their number), or the clock when no other thread can run, or Current.
func (d *Decision) other(n int) ID {
	k := 0
	for _, c := range d.Cands {
		if c != ClockID && c != d.Current {
			k++
		}
	}
	if k == 0 {
		if d.Cands[0] == ClockID {
			return ClockID
		}
		return d.Current
	}
	n %= k
	for _, c := range d.Cands {
		if c != ClockID && c != d.Current {
			if n == 0 {
				return c
			}
			n--
		}
	}
	return d.Current
}

// has reports whether id is a candidate of d.
func (d *Decision) has(id ID) bool {
	for _, c := range d.Cands {
		if c == id {
			return true
		}
	}
	return false
}

// Chooser picks the next thread at each decision. It must return one of d.Cands; anything else
// is replaced by Default(d). A chooser serves one execution: make a new one for each.
type Chooser interface {
	Choose(d *Decision) ID
}

// candidateChooser marks the package's own choosers, which always return a candidate: the
// substrate need not check their choices.
type candidateChooser interface {
	Chooser
	alwaysCandidate()
}

func (*replay) alwaysCandidate()        {}
func (*bytesChooser) alwaysCandidate()  {}
func (*randomChooser) alwaysCandidate() {}
func (*pct) alwaysCandidate()           {}

// Default is the fixed choice used when a chooser has no opinion (a replay list or a byte
// stream ran out): keep running the current thread if it can, else the lowest-numbered thread,
// and the clock only when no thread can run. A spinning current thread gives way to the next
// thread after it in id order, round robin (or the clock): giving way to the lowest-numbered
// other thread let two spinning TCP processors hand the turn to each other for ever while the
// lock's holder, numbered above both, never ran.
func Default(d *Decision) ID {
	if d.Spinning && d.has(d.Current) {
		return d.after()
	}
	if d.has(d.Current) {
		return d.Current
	}
	for _, c := range d.Cands {
		if c != ClockID {
			return c
		}
	}
	return d.Cands[0]
}

// replay is the Replay chooser.
type replay struct{ choices []ID }

// Replay returns a chooser that makes the given choices in order, one per decision, and
// Default choices once they run out. A choice that is not a candidate (the program changed,
// say during minimization) is replaced by Default for that decision.
func Replay(choices []ID) Chooser { return &replay{choices: choices} }

func (r *replay) Choose(d *Decision) ID {
	if d.Index < len(r.choices) && d.has(r.choices[d.Index]) {
		return r.choices[d.Index]
	}
	return Default(d)
}

// bytesChooser is the Bytes chooser.
type bytesChooser struct{ b []byte }

// Bytes returns a chooser that reads one byte per decision and picks candidate byte mod
// len(Cands); when the bytes run out it makes Default choices. A one-byte change of the input
// changes one decision, which keeps fuzzing mutations local.
func Bytes(b []byte) Chooser { return &bytesChooser{b: b} }

func (c *bytesChooser) Choose(d *Decision) ID {
	if d.Index >= len(c.b) {
		return Default(d)
	}
	return d.Cands[int(c.b[d.Index])%len(d.Cands)]
}

// randomChooser is the Random chooser.
type randomChooser struct{ r *rand.Rand }

// Random returns a chooser that picks uniformly among the candidate threads with its own
// generator seeded by seed (the global random source is never used), and the clock, when it is
// a candidate, once in ClockOdds decisions: a clock chosen as often as a thread would run every
// timeout long before the threads make progress.
func Random(seed uint64) Chooser {
	return &randomChooser{r: rand.New(rand.NewPCG(seed, 0x5eed50c4f022))}
}

// ClockOdds is the Random chooser's one-in-N chance of firing a pending callout early.
const ClockOdds = 256

func (c *randomChooser) Choose(d *Decision) ID {
	if d.Cands[0] == ClockID {
		if c.r.IntN(ClockOdds) == 0 {
			return ClockID
		}
		return d.Cands[1+c.r.IntN(len(d.Cands)-1)]
	}
	return d.Cands[c.r.IntN(len(d.Cands))]
}

// walk is the Walk chooser.
type walk struct {
	r    *rand.Rand
	odds int
}

func (*walk) alwaysCandidate() {}

// Walk returns a random chooser that keeps running the current thread at a decision, when it
// can, except once in switchOdds decisions on average, where it picks as Random does. Random
// preempts at nearly every decision, so it almost never holds one thread back while another
// runs a long stretch, which is what a race between a check in one thread and a whole
// protocol-thread message (a RST's processing, say) in another needs; PCT can, but only at the
// few change points it draws. Walk preempts rarely and anywhere. switchOdds below 2 is 2.
func Walk(seed uint64, switchOdds int) Chooser {
	return &walk{r: rand.New(rand.NewPCG(seed, 0x3a1c5eed)), odds: max(switchOdds, 2)}
}

func (c *walk) Choose(d *Decision) ID {
	if d.Spinning && d.has(d.Current) {
		return d.other(c.r.IntN(len(d.Cands)))
	}
	if c.r.IntN(c.odds) != 0 && d.has(d.Current) {
		return d.Current
	}
	if d.Cands[0] == ClockID && len(d.Cands) > 1 {
		if c.r.IntN(ClockOdds) == 0 {
			return ClockID
		}
		return d.Cands[1+c.r.IntN(len(d.Cands)-1)]
	}
	return d.Cands[c.r.IntN(len(d.Cands))]
}
