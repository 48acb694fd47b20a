package sched

import "math/rand/v2"

// pct is the PCT chooser: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010). Each thread gets a random priority above depth when first seen;
// depth-1 change points are drawn uniformly from steps 1..k; at each decision the candidate with
// the highest priority runs, and when the execution passes change point i the thread that reached
// it drops to priority depth-i, below every initial priority. A bug of depth d among n threads
// and k steps is found by one run with probability at least 1/(n*k^(d-1)). The virtual clock
// is a candidate like a thread, but draws a fresh priority each time it is chosen, and half of
// its draws are the lowest priority of all.
type pct struct {
	r       *rand.Rand
	depth   int
	changes []int        // change points, in increasing order: steps, or sync points (sync)
	next    int          // index of the next change point not yet passed
	prio    map[ID]int64 // a thread's current priority; looked up, never iterated
	sync    bool         // SyncPCT: change points count synchronization points, not steps
	nsync   int          // synchronization points passed (SyncPCT)
	spinLow int64        // the priority given to the last spinning thread, below all others
}

// PCT returns a PCT chooser with the given seed, bug depth (at least 1) and estimate of the
// number of scheduling points in one execution (at least 1).
func PCT(seed uint64, depth, steps int) Chooser { return newPCT(seed, depth, steps, false) }

// SyncPCT returns a PCT chooser whose change points fall only at synchronization points: a
// decision where the running thread is about to take a lock or send a message, the places a
// check-then-act window in the stack ends (a predicate tested before the sockbuf token is
// taken, a state checked before pru_send is queued). syncs estimates how many such decisions
// one execution makes. Plain PCT spends its few change points on any of the execution's
// steps, most of them word accesses inside a critical section, so a window that ends at one
// particular lock is hit about steps/syncs times as often by SyncPCT; CHESS preempts at
// synchronization operations for the same reason (Musuvathi and Qadeer, PLDI 2007).
func SyncPCT(seed uint64, depth, syncs int) Chooser { return newPCT(seed, depth, syncs, true) }

func newPCT(seed uint64, depth, steps int, sync bool) *pct {
	if depth < 1 {
		depth = 1
	}
	if steps < 1 {
		steps = 1
	}
	p := &pct{
		r:     rand.New(rand.NewPCG(seed, 0x9c7c4a11)),
		depth: depth,
		prio:  make(map[ID]int64),
		sync:  sync,
	}
	for i := 0; i < depth-1; i++ {
		p.changes = append(p.changes, 1+p.r.IntN(steps))
	}
	// Sort the change points (insertion sort: there are few).
	for i := 1; i < len(p.changes); i++ {
		for j := i; j > 0 && p.changes[j] < p.changes[j-1]; j-- {
			p.changes[j], p.changes[j-1] = p.changes[j-1], p.changes[j]
		}
	}
	return p
}

// priority returns id's priority, drawing a random initial one on first sight.
func (p *pct) priority(id ID) int64 {
	pr, ok := p.prio[id]
	if !ok {
		pr = int64(p.depth) + 1 + p.r.Int64N(1<<40)
		if id == ClockID && p.r.IntN(2) == 0 {
			pr = 0 // below the demoted threads too
		}
		p.prio[id] = pr
	}
	return pr
}

// syncKind reports whether an event of kind k is a synchronization point for SyncPCT.
func syncKind(k EventKind) bool { return k == EvLock || k == EvTryLock || k == EvSend }

func (p *pct) Choose(d *Decision) ID {
	at := d.Step
	if p.sync {
		if syncKind(d.Kind) && d.has(d.Current) {
			p.nsync++
		}
		at = p.nsync
	}
	for p.next < len(p.changes) && p.changes[p.next] <= at {
		p.next++
		p.priority(d.Current)
		p.prio[d.Current] = int64(p.depth - p.next)
	}
	if d.Spinning && d.has(d.Current) {
		// A thread that busy-waits yields: it goes below every other (PCT with yields), so
		// that the lock's holder, whatever its priority, runs. This is no change point.
		p.spinLow--
		p.prio[d.Current] = p.spinLow
	}
	best, bestPrio := d.Cands[0], p.priority(d.Cands[0])
	for _, c := range d.Cands[1:] {
		// Ties (vanishingly rare) go to the lower id, which keeps the choice deterministic.
		if pr := p.priority(c); pr > bestPrio {
			best, bestPrio = c, pr
		}
	}
	if best == ClockID {
		// The clock draws a new priority each time it fires, and half of the draws put it
		// below every thread. A fixed high priority would let a thread in a timed-sleep loop
		// and the clock starve the demoted threads forever.
		delete(p.prio, ClockID)
	}
	return best
}
