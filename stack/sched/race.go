package sched

import (
	"fmt"
	"strings"
)

// vclock is a vector clock indexed by thread ID.
type vclock []uint32

func (v vclock) get(i ID) uint32 {
	if int(i) < len(v) {
		return v[i]
	}
	return 0
}

// clockUnit is the capacity step of a clock carved from the detector's slab: a clock has room
// for its threads rounded up to a multiple of clockUnit, up to maxSlabClock; a clock that needs
// more moves to the heap.
const (
	clockUnit    = 8
	maxSlabClock = 16
)

// maxClockSlab is the most clock entries the detector allocates at a time: an execution makes
// a clock for every thread, mutex, message and timer, and one allocation per clock was a tenth
// of all of an execution's allocations. The slabs start small and double, so that a short
// execution allocates little.
const maxClockSlab = 64 * clockUnit

// newClock returns a zero clock of length n.
func (d *raceDetector) newClock(n int) vclock {
	c := (n + clockUnit - 1) / clockUnit * clockUnit
	if c > maxSlabClock {
		return make(vclock, n, 2*n)
	}
	c = max(c, clockUnit)
	if len(d.clocks) < c {
		d.clocks = d.mem.clockSlab(&d.nclocks)
	}
	v := d.clocks[:n:c]
	d.clocks = d.clocks[c:]
	return v
}

// grow returns v extended with zeros to length n at least.
func (d *raceDetector) grow(v vclock, n int) vclock {
	if len(v) >= n {
		return v
	}
	if cap(v) < n {
		nv := d.newClock(n)
		copy(nv, v)
		return nv
	}
	old := len(v)
	v = v[:n]
	clear(v[old:])
	return v
}

// set sets i's component of *v to x.
func (d *raceDetector) set(v *vclock, i ID, x uint32) {
	*v = d.grow(*v, int(i)+1)
	(*v)[i] = x
}

// tick advances i's own component of *v, after a release, so that i's later accesses are not
// covered by the clock it just published.
func (d *raceDetector) tick(v *vclock, i ID) {
	if int(i) >= len(*v) {
		*v = d.grow(*v, int(i)+1)
	}
	(*v)[i]++
}

// join sets *v to the component-wise maximum of *v and o.
func (d *raceDetector) join(v *vclock, o vclock) {
	if len(*v) < len(o) {
		*v = d.grow(*v, len(o))
	}
	w := (*v)[:len(o)]
	for i, x := range o {
		w[i] = max(w[i], x) // branch-free: the clocks' components interleave unpredictably
	}
}

// assign overwrites *v with o, reusing *v's storage.
func (d *raceDetector) assign(v *vclock, o vclock) {
	if cap(*v) < len(o) {
		*v = d.newClock(len(o))
	}
	*v = append((*v)[:0], o...)
}

// release publishes t's clock into *v (a mutex's, a message's, a timer's) and ticks t.
func (d *raceDetector) release(v *vclock, t *Thread) {
	d.assign(v, t.vc)
	d.tick(&t.vc, t.id)
}

// Access is one side of a data race.
type Access struct {
	Thread ID
	Name   string // the thread's name
	Site   string
	Locks  []string // mutexes held, in acquisition order
	Write  bool
	Atomic bool
	Step   int
}

func (a Access) String() string {
	op := "read"
	if a.Write {
		op = "write"
	}
	if a.Atomic {
		op = "atomic " + op
	}
	locks := "no locks"
	if len(a.Locks) > 0 {
		locks = "holding " + strings.Join(a.Locks, ", ")
	}
	return fmt.Sprintf("%s at %s by %s#%d (step %d, %s)", op, a.Site, a.Name, a.Thread, a.Step, locks)
}

// Race is a pair of conflicting accesses to an instrumented word not ordered by
// happens-before: at least one writes and not both are atomic.
type Race struct {
	Word      string
	Prev, Cur Access
}

func (r Race) String() string {
	return fmt.Sprintf("data race on %s: %v; previous %v", r.Word, r.Cur, r.Prev)
}

// access is the detector's record of one access (FastTrack-style epoch: thread and its clock).
type access struct {
	t      *Thread
	site   string
	locks  *lockset // the mutexes held, nil for none
	step   int
	clk    uint32
	write  bool
	atomic bool
}

// shadow is a word's access history: the last write, the reads since it, one per thread, and
// the release clock of its atomic operations.
type shadow struct {
	w     access
	reads []access
	sync  vclock
	// syncBy is the thread whose atomic write last changed sync: sync is then its clock at
	// that write, which its own clock covers from then on, so joining sync into it changes
	// nothing.
	syncBy *Thread
}

type raceKey struct{ word, prev, cur string }

// readsCap is the capacity of a word's list of reads carved from the detector's slab: the
// threads that read a word between two writes are few. A longer list moves to the heap.
const readsCap = 2

// maxReadsSlab is the most lists of reads the detector allocates at a time; the slabs start
// small and double, as the clocks' do.
const maxReadsSlab = 32

// raceDetector checks instrumented accesses for happens-before races (Controlled mode).
type raceDetector struct {
	enabled bool
	reports []Race
	seen    map[raceKey]bool
	clocks  []uint32  // slab that newClock carves clocks from
	reads   []access  // slab that words' lists of reads are carved from
	locks   []lockset // slab that locksOf carves snapshots from
	nclocks int       // clocks in the last slab
	nreads  int       // lists of reads in the last slab
	nlocks  int       // snapshots in the last slab
	mem     *execMem  // where the slabs come from (the execution's)
}

// conflicts reports whether a (by another thread) races with an access by t.
func conflicts(a *access, t *Thread, write, atomic bool) bool {
	return a.t != nil && a.t != t && (a.write || write) && !(a.atomic && atomic) &&
		a.clk > t.vc.get(a.t.id)
}

// onAccess checks an access by t to w and records it.
func (d *raceDetector) onAccess(t *Thread, w *Word, site string, write, atomic bool) {
	sh := &w.sh
	clk := t.vc.get(t.id)
	step := t.e.steps
	// Fast paths (FastTrack's same-epoch cases): t already accessed the word in this epoch
	// and nothing by another thread came since, so no check can find anything new. Only the
	// site and step move on, so that a report names the latest access.
	if atomic && write && sh.w.t == t && sh.w.atomic && len(sh.reads) == 0 {
		// t's own atomic write again: nothing to check, only the release to publish.
		if sh.syncBy != t {
			d.join(&t.vc, sh.sync)
		}
		d.join(&sh.sync, t.vc)
		sh.syncBy = t
		d.tick(&t.vc, t.id)
		sh.w.clk, sh.w.site, sh.w.step, sh.w.locks = clk, site, step, d.locksOf(t)
		return
	}
	if atomic && !write {
		for i := range sh.reads {
			if r := &sh.reads[i]; r.t == t && r.atomic {
				// t's atomic read again, with no write since (a write empties the reads):
				// t joined the word's release clock then, so joining again would change
				// nothing. Only the check against the last write remains.
				if conflicts(&sh.w, t, false, true) {
					d.report(w, &sh.w, t, site, step, clk, false, true)
				}
				r.site, r.step, r.locks, r.clk = site, step, d.locksOf(t), clk
				return
			}
		}
	}
	if !atomic {
		if write {
			if sh.w.t == t && sh.w.clk == clk && !sh.w.atomic && len(sh.reads) == 0 {
				sh.w.site, sh.w.step, sh.w.locks = site, step, d.locksOf(t)
				return
			}
		} else {
			for i := range sh.reads {
				if r := &sh.reads[i]; r.t == t && r.clk == clk && !r.atomic {
					r.site, r.step, r.locks = site, step, d.locksOf(t)
					return
				}
			}
		}
	}
	if conflicts(&sh.w, t, write, atomic) {
		d.report(w, &sh.w, t, site, step, clk, write, atomic)
	}
	if write {
		for i := range sh.reads {
			if conflicts(&sh.reads[i], t, write, atomic) {
				d.report(w, &sh.reads[i], t, site, step, clk, write, atomic)
			}
		}
	}
	if atomic {
		if sh.syncBy != t {
			d.join(&t.vc, sh.sync)
		}
		if write {
			d.join(&sh.sync, t.vc)
			sh.syncBy = t
			d.tick(&t.vc, t.id)
		}
	}
	// Record the access in place: the last write, or t's entry among the reads.
	var a *access
	if write {
		a = &sh.w
		sh.reads = sh.reads[:0]
	} else {
		for i := range sh.reads {
			if sh.reads[i].t == t {
				a = &sh.reads[i]
				break
			}
		}
		if a == nil {
			if sh.reads == nil {
				sh.reads = d.newReads()
			}
			sh.reads = append(sh.reads, access{})
			a = &sh.reads[len(sh.reads)-1]
		}
	}
	a.t, a.site, a.locks, a.step, a.clk, a.write, a.atomic = t, site, d.locksOf(t), step, clk, write, atomic
}

// maxLocksSlab is the most lockset snapshots the detector allocates at a time.
const maxLocksSlab = 64

// locksOf returns the mutexes t holds, for an access record: a snapshot shared by t's
// accesses until its lockset changes (a record then costs a pointer, not a copy of the set),
// nil when it holds none.
func (d *raceDetector) locksOf(t *Thread) *lockset {
	if t.heldSnap == nil && (t.held.n > 0 || t.held.extra > 0) {
		if t.lastSnap != nil && *t.lastSnap == t.held {
			// Back to the lockset of its previous snapshot, as a thread that takes the same
			// lock again and again does: share it.
			t.heldSnap = t.lastSnap
			return t.heldSnap
		}
		if len(d.locks) == 0 {
			d.locks = d.mem.locksSlab(&d.nlocks)
		}
		d.locks[0] = t.held
		t.heldSnap = &d.locks[0]
		t.lastSnap = t.heldSnap
		d.locks = d.locks[1:]
	}
	return t.heldSnap
}

// newReads returns an empty list of reads with room for readsCap.
func (d *raceDetector) newReads() []access {
	if len(d.reads) < readsCap {
		d.reads = d.mem.readsSlab(&d.nreads)
	}
	r := d.reads[:0:readsCap]
	d.reads = d.reads[readsCap:]
	return r
}

// report records the race between prev and the current access by t, once per word and pair
// of sites.
func (d *raceDetector) report(w *Word, prev *access, t *Thread, site string, step int, clk uint32, write, atomic bool) {
	k := raceKey{w.name, prev.site, site}
	if d.seen[k] {
		return
	}
	if d.seen == nil {
		d.seen = make(map[raceKey]bool)
	}
	d.seen[k] = true
	cur := access{t: t, site: site, locks: d.locksOf(t), step: step, clk: clk, write: write, atomic: atomic}
	d.reports = append(d.reports, Race{Word: w.name, Prev: prev.export(), Cur: cur.export()})
}

func (a *access) export() Access {
	x := Access{Thread: a.t.id, Name: a.t.name, Site: a.site, Write: a.write, Atomic: a.atomic,
		Step: a.step}
	if a.locks != nil {
		x.Locks = a.locks.names()
	}
	return x
}
