package sched

import "math/bits"

// Interleaving features. Coverage feedback sees which code an execution reached, not how its
// threads met there, so a schedule that brings two threads together in a new way looks like
// nothing new to the fuzzer. An execution can record the ways its threads met as features, in
// the spirit of RFF's reads-from pairs (Wolff et al., ASPLOS 2024): a thread woken by a thread
// of another role, a lock handed from one role to another, a load that reads a store of
// another thread, and a preemption at a site in favour of another role. A role is a thread's
// name without its digits (p0 and p1 are both "p", tcp-processor#0 and #1 one processor) and
// an object's class its name without its digits, so that the features name code and kinds of
// threads, not one execution's numbering. Each feature is hashed into a fixed table of
// FeatureBits bits: however noisy the schedules, an execution reaches at most that many.

// FeatureBits is the size of the interleaving feature table.
const FeatureBits = 1 << 12

// Features is a set of interleaving features, a bitmap of FeatureBits bits.
type Features struct {
	w [FeatureBits / 64]uint64
}

// The kinds of features, mixed into their hashes.
const (
	featWake uint64 = iota + 1
	featHandoff
	featReadsFrom
	featPreempt
)

// Has reports whether feature i is in the set.
func (f *Features) Has(i int) bool { return f.w[i/64]&(1<<(i%64)) != 0 }

// Len returns the number of features in the set.
func (f *Features) Len() int {
	n := 0
	for _, w := range f.w {
		n += bits.OnesCount64(w)
	}
	return n
}

// Union adds the features of o to f.
func (f *Features) Union(o *Features) {
	for i := range f.w {
		f.w[i] |= o.w[i]
	}
}

// Each calls fn with every feature of the set, in increasing order.
func (f *Features) Each(fn func(i int)) {
	for k, w := range f.w {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			fn(k*64 + b)
			w &= w - 1
		}
	}
}

// add records the feature of kind k between a and b (hashes of its roles, sites and classes).
func (f *Features) add(k, a, b, c uint64) {
	h := mixFeature(k*0x9e3779b97f4a7c15 ^ mixFeature(a^mixFeature(b^mixFeature(c))))
	i := h % FeatureBits
	f.w[i/64] |= 1 << (i % 64)
}

// mixFeature is splitmix64's finalizer.
func mixFeature(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// classHash hashes a name without its digits (FNV-1a): "so3.rcv" and "so12.rcv" are one class,
// "tcp-processor#0" and "tcp-processor#1" one role. It is never 0, so that 0 can mean "not
// computed yet".
func classHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	return h | 1
}

// role returns t's role hash, computed once per execution.
func (t *Thread) role() uint64 {
	if t.roleH == 0 {
		t.roleH = classHash(t.name)
	}
	return t.roleH
}

// class returns m's class hash, computed once per execution.
func (m *Mutex) class() uint64 {
	if m.cls == 0 {
		m.cls = classHash(m.name)
	}
	return m.cls
}

// featWoken records that from made t runnable: t's wait (its kind and object) met a thread
// of from's role. Nothing when from is t or no thread (Run's goroutine, the clock).
func (e *Exec) featWoken(from, t *Thread) {
	if from == nil || from == t {
		return
	}
	e.feat.add(featWake, classHash(t.blk.kind)^classHash(t.blk.obj)<<1, from.role(), t.role())
}

// featAcquired records that t took m, last released by another thread.
func (e *Exec) featAcquired(m *Mutex, t *Thread) {
	if m.lastBy != nil && m.lastBy != t {
		e.feat.add(featHandoff, m.class(), m.lastBy.role(), t.role())
	}
}

// featAccess records an access by t to w at site: a store makes t and site w's last writer;
// a load that reads another thread's store is a reads-from feature of the two sites.
func (e *Exec) featAccess(w *Word, t *Thread, site string, write bool) {
	if write {
		w.lastW, w.lastSite = t, site
		return
	}
	if w.lastW != nil && w.lastW != t {
		e.feat.add(featReadsFrom, classHash(w.lastSite), classHash(site)<<1^w.lastW.role(), t.role())
	}
}

// featPreempted records that cur, runnable at its last event (e.site on e.obj), was switched
// away from in favour of next (ClockID for the clock).
func (e *Exec) featPreempted(cur *Thread, next ID) {
	to := uint64(0x636c6f636b) // the clock
	if next != ClockID {
		to = e.threads[next].role()
	}
	e.feat.add(featPreempt, classHash(e.site)^classHash(e.obj)<<1, cur.role(), to)
}
