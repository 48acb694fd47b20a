package sched

import "sync/atomic"

// Word is an instrumented shared word: a field of the stack that several threads touch
// (so_state, so_refs, queue lengths, sockbuf counters, ...). Each access is a scheduling point
// and, in Controlled mode, is checked by the happens-before detector. In Free mode the word is
// plain memory, so go test -race sees conflicting accesses to it.
//
// The plain read-modify-write methods (Or, AndNot, Add) are a load, a scheduling point and a
// store, so that two of them can really lose an update, unless the caller holds the word's
// declared lock. The Atomic methods and CAS never split.
type Word struct {
	v    uint64 // first, for 64-bit alignment of the atomic operations
	e    *Exec
	name string
	lock *Mutex
	sh   shadow
	// lastW and lastSite are the last writer and its site (features).
	lastW    *Thread
	lastSite string
}

// NewWord returns a word named name (the name race reports use) whose accesses are meant to be
// made under lock (nil for none).
func (e *Exec) NewWord(name string, lock *Mutex) *Word {
	var w *Word
	if e.mem != nil {
		w = e.mem.words.get()
	} else {
		w = new(Word)
	}
	e.InitWord(w, name, lock)
	return w
}

// InitWord initializes a Word embedded in a larger structure, as NewWord would make one: one
// allocation for a structure and all its words.
func (e *Exec) InitWord(w *Word, name string, lock *Mutex) {
	*w = Word{e: e, name: name, lock: lock}
}

// Name returns the word's name.
func (w *Word) Name() string { return w.name }

// Init sets the value before the word is shared: no scheduling point, no record.
func (w *Word) Init(v uint64) { w.v = v }

// Peek reads the value with no scheduling point and no race record: for wait predicates,
// snapshots and oracles, which observe rather than take part.
//
// In Free mode a Peek is an atomic load, so that the stack's own wake conditions do not race
// with the atomic updates; against a plain write, go test -race reports it as it should.
func (w *Word) Peek() uint64 {
	if w.e.mode == Free {
		return atomic.LoadUint64(&w.v)
	}
	return w.v
}

// access is the scheduling point and race check before an access by t.
func (w *Word) access(t *Thread, kind EventKind, site string, write, atomic bool) {
	e := w.e
	e.atomicWrite = write
	e.point(t, kind, site, w.name)
	if e.race.enabled && !t.unwinding {
		e.race.onAccess(t, w, site, write, atomic)
	}
	if e.feat != nil {
		e.featAccess(w, t, site, write)
	}
}

// Load is a plain read.
func (w *Word) Load(t *Thread, site string) uint64 {
	if w.e.mode == Free {
		w.e.pointFree(t)
		return w.v
	}
	w.access(t, EvLoad, site, false, false)
	return w.v
}

// Store is a plain write.
func (w *Word) Store(t *Thread, site string, v uint64) {
	if w.e.mode == Free {
		w.e.pointFree(t)
		w.v = v
		return
	}
	w.access(t, EvStore, site, true, false)
	w.v = v
}

const (
	opOr = iota
	opAndNot
	opAdd
)

func apply(op int, old, x uint64) uint64 {
	switch op {
	case opOr:
		return old | x
	case opAndNot:
		return old &^ x
	default:
		return old + x
	}
}

// rmw is a plain read-modify-write: a load, a scheduling point unless t holds the word's
// lock, and a store of the value computed from the load. It returns the old value.
func (w *Word) rmw(t *Thread, site string, op int, x uint64) uint64 {
	e := w.e
	if e.mode == Free {
		e.pointFree(t)
		old := w.v
		if w.lock == nil || w.lock.fowner.Load() != t {
			e.pointFree(t)
		}
		w.v = apply(op, old, x)
		return old
	}
	w.access(t, EvLoad, site, false, false)
	old := w.v
	if w.lock == nil || w.lock.owner != t {
		w.access(t, EvStore, site, true, false)
	} else {
		if e.race.enabled && !t.unwinding {
			e.race.onAccess(t, w, site, true, false)
		}
		if e.feat != nil {
			e.featAccess(w, t, site, true)
		}
	}
	w.v = apply(op, old, x)
	return old
}

// Or sets bits with a plain read-modify-write and returns the old value.
func (w *Word) Or(t *Thread, site string, bits uint64) uint64 { return w.rmw(t, site, opOr, bits) }

// AndNot clears bits with a plain read-modify-write and returns the old value.
func (w *Word) AndNot(t *Thread, site string, bits uint64) uint64 {
	return w.rmw(t, site, opAndNot, bits)
}

// Add adds delta with a plain read-modify-write and returns the new value.
func (w *Word) Add(t *Thread, site string, delta int64) uint64 {
	return w.rmw(t, site, opAdd, uint64(delta)) + uint64(delta)
}

// AtomicLoad is an atomic read.
func (w *Word) AtomicLoad(t *Thread, site string) uint64 {
	if w.e.mode == Free {
		w.e.pointFree(t)
		return atomic.LoadUint64(&w.v)
	}
	w.access(t, EvAtomic, site, false, true)
	return w.v
}

// AtomicStore is an atomic write.
func (w *Word) AtomicStore(t *Thread, site string, v uint64) {
	if w.e.mode == Free {
		w.e.pointFree(t)
		atomic.StoreUint64(&w.v, v)
		return
	}
	w.access(t, EvAtomic, site, true, true)
	w.v = v
}

// atomicRMW is an indivisible read-modify-write; it returns the old value.
func (w *Word) atomicRMW(t *Thread, site string, op int, x uint64) uint64 {
	if w.e.mode == Free {
		w.e.pointFree(t)
		switch op {
		case opOr:
			return atomic.OrUint64(&w.v, x)
		case opAndNot:
			return atomic.AndUint64(&w.v, ^x)
		default:
			return atomic.AddUint64(&w.v, x) - x
		}
	}
	w.access(t, EvAtomic, site, true, true)
	old := w.v
	w.v = apply(op, old, x)
	return old
}

// AtomicOr sets bits atomically (as DragonFly's sosetstate) and returns the old value.
func (w *Word) AtomicOr(t *Thread, site string, bits uint64) uint64 {
	return w.atomicRMW(t, site, opOr, bits)
}

// AtomicAndNot clears bits atomically (as DragonFly's soclrstate) and returns the old value.
func (w *Word) AtomicAndNot(t *Thread, site string, bits uint64) uint64 {
	return w.atomicRMW(t, site, opAndNot, bits)
}

// AtomicAdd adds delta atomically and returns the new value.
func (w *Word) AtomicAdd(t *Thread, site string, delta int64) uint64 {
	return w.atomicRMW(t, site, opAdd, uint64(delta)) + uint64(delta)
}

// CAS stores new if the word holds old, atomically, and reports whether it did.
func (w *Word) CAS(t *Thread, site string, old, new uint64) bool {
	if w.e.mode == Free {
		w.e.pointFree(t)
		return atomic.CompareAndSwapUint64(&w.v, old, new)
	}
	w.access(t, EvAtomic, site, true, true)
	if w.v != old {
		return false
	}
	w.v = new
	return true
}
