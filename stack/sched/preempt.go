package sched

import "math/rand/v2"

// preempt is the Preempt chooser.
type preempt struct {
	d       demote
	changes []int // preemption points, in atomic decisions counted from 1, increasing
	n       int   // contended atomic decisions passed
	next    int   // index of the next preemption point not yet passed
}

func (*preempt) alwaysCandidate() {}

// Preempt returns a chooser that makes Default's choices (the running thread until it blocks)
// except at depth-1 preemption points drawn uniformly among the first points atomic decisions:
// contended decisions where the running thread is about to write an atomic word, a store or a
// read-modify-write (Result's Atomics counts them). At one, the running thread is demoted as Demote does, below every
// thread not demoted, for the rest of the execution.
//
// It is aimed at read-modify-write windows on one word, a load then a store with a scheduling
// point between (gVisor's direction bits before PR 14366): the race needs one preemption, at the
// one decision before the store, while another thread has the conflicting update pending. PCT
// reaches it only when its random priorities put the loading thread above that other thread
// and its change point falls on that one step among all of them; Preempt keeps the default's
// order, in which a thread that has just sent a message runs on before the message's receiver,
// and spends its change points on atomic writes only, where such a window ends (the loads,
// most of them reads of a state word, begin one). CHESS bounds preemptions for the same reason (Musuvathi and Qadeer, PLDI 2007).
func Preempt(seed uint64, depth, points int) Chooser {
	depth, points = max(depth, 1), max(points, 1)
	r := rand.New(rand.NewPCG(seed, 0x7e3e3a7))
	c := &preempt{}
	for i := 0; i < depth-1; i++ {
		c.changes = append(c.changes, 1+r.IntN(points))
	}
	for i := 1; i < len(c.changes); i++ { // insertion sort: there are few
		for j := i; j > 0 && c.changes[j] < c.changes[j-1]; j-- {
			c.changes[j], c.changes[j-1] = c.changes[j-1], c.changes[j]
		}
	}
	return c
}

func (c *preempt) Choose(d *Decision) ID {
	if d.Write && d.has(d.Current) {
		c.n++
		for c.next < len(c.changes) && c.changes[c.next] <= c.n {
			c.next++
			if c.d.rank(d.Current) < 0 {
				c.d.low = append(c.d.low, d.Current)
			}
		}
	}
	return c.d.Choose(d)
}

// PreemptAt returns the chooser of one step of a bounded systematic search: Default's choices
// with one preemption, at the k-th atomic decision (k >= 1), as Preempt would place it. A
// sweep of k from 1 to an execution's Result.Atomics tries every single preemption before an
// atomic write.
func PreemptAt(k int) Chooser { return &preempt{changes: []int{max(k, 1)}} }
