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

func (v vclock) grow(n int) vclock {
	if len(v) >= n {
		return v
	}
	if cap(v) < n {
		nv := make(vclock, len(v), max(n, 16)) // room for a typical execution's threads
		copy(nv, v)
		v = nv
	}
	old := len(v)
	v = v[:n]
	clear(v[old:])
	return v
}

func (v vclock) set(i ID, x uint32) vclock {
	v = v.grow(int(i) + 1)
	v[i] = x
	return v
}

// tick advances i's own component, after a release, so that i's later accesses are not
// covered by the clock it just published.
func (v vclock) tick(i ID) vclock {
	v = v.grow(int(i) + 1)
	v[i]++
	return v
}

// join sets v to the component-wise maximum of v and o.
func (v vclock) join(o vclock) vclock {
	v = v.grow(len(o))
	for i, x := range o {
		if x > v[i] {
			v[i] = x
		}
	}
	return v
}

// assign overwrites v with o, reusing v's storage.
func (v vclock) assign(o vclock) vclock {
	if cap(v) < len(o) {
		v = make(vclock, 0, max(len(o), 16))
	}
	return append(v[:0], o...)
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
	clk    uint32
	site   string
	locks  lockset
	step   int
	write  bool
	atomic bool
}

// shadow is a word's access history: the last write, the reads since it, one per thread, and
// the release clock of its atomic operations.
type shadow struct {
	w     access
	reads []access
	sync  vclock
}

type raceKey struct{ word, prev, cur string }

// raceDetector checks instrumented accesses for happens-before races (Controlled mode).
type raceDetector struct {
	enabled bool
	reports []Race
	seen    map[raceKey]bool
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
	// Fast paths (FastTrack's same-epoch cases): t already accessed the word in this epoch
	// and nothing by another thread came since, so no check can find anything new. Only the
	// site and step move on, so that a report names the latest access.
	if atomic && write && sh.w.t == t && sh.w.atomic && len(sh.reads) == 0 {
		// t's own atomic write again: nothing to check, only the release to publish.
		t.vc = t.vc.join(sh.sync)
		sh.sync = sh.sync.join(t.vc)
		t.vc = t.vc.tick(t.id)
		sh.w.clk, sh.w.site, sh.w.step, sh.w.locks = clk, site, t.e.steps, t.held
		return
	}
	if !atomic {
		if write {
			if sh.w.t == t && sh.w.clk == clk && !sh.w.atomic && len(sh.reads) == 0 {
				sh.w.site, sh.w.step, sh.w.locks = site, t.e.steps, t.held
				return
			}
		} else {
			for i := range sh.reads {
				if r := &sh.reads[i]; r.t == t && r.clk == clk && !r.atomic {
					r.site, r.step, r.locks = site, t.e.steps, t.held
					return
				}
			}
		}
	}
	cur := access{t: t, clk: clk, site: site, locks: t.held, step: t.e.steps,
		write: write, atomic: atomic}
	if conflicts(&sh.w, t, write, atomic) {
		d.report(w, &sh.w, &cur)
	}
	if write {
		for i := range sh.reads {
			if conflicts(&sh.reads[i], t, write, atomic) {
				d.report(w, &sh.reads[i], &cur)
			}
		}
	}
	if atomic {
		t.vc = t.vc.join(sh.sync)
		if write {
			sh.sync = sh.sync.join(t.vc)
			t.vc = t.vc.tick(t.id)
		}
	}
	if write {
		sh.w = cur
		sh.reads = sh.reads[:0]
		return
	}
	for i := range sh.reads {
		if sh.reads[i].t == t {
			sh.reads[i] = cur
			return
		}
	}
	sh.reads = append(sh.reads, cur)
}

func (d *raceDetector) report(w *Word, prev, cur *access) {
	k := raceKey{w.name, prev.site, cur.site}
	if d.seen[k] {
		return
	}
	if d.seen == nil {
		d.seen = make(map[raceKey]bool)
	}
	d.seen[k] = true
	d.reports = append(d.reports, Race{Word: w.name, Prev: prev.export(), Cur: cur.export()})
}

func (a *access) export() Access {
	x := Access{Thread: a.t.id, Name: a.t.name, Site: a.site, Write: a.write, Atomic: a.atomic,
		Step: a.step}
	x.Locks = a.locks.names()
	return x
}
