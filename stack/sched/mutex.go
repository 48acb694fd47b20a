package sched

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Mutex is a sleep lock (a DragonFly token or lockmgr lock) with its owner tracked. Locking a
// mutex the caller already holds, or unlocking one it does not, is reported as a Bug and
// returned as an error: it never hangs.
type Mutex struct {
	e     *Exec
	name  string
	quiet bool // NewQuietMutex: no scheduling points in Controlled mode
	cross bool // NewCrossMutex: any thread may unlock it

	// Controlled
	owner   *Thread
	waiters []*Thread
	vc      vclock  // clock released by the last Unlock
	vcBy    *Thread // the thread of the last Unlock, whose clock covers vc from then on
	lastBy  *Thread // the thread of the last Unlock (features)
	cls     uint64  // the class hash (features), 0 until computed

	// Free
	fmu      sync.Mutex // the lock itself
	wmu      sync.Mutex // guards fwaiters
	fwaiters []*Thread
	fowner   atomic.Pointer[Thread]
}

// NewMutex returns an unlocked mutex named name.
func (e *Exec) NewMutex(name string) *Mutex {
	m := e.newMutex()
	e.InitMutex(m, name)
	return m
}

// newMutex returns a zero Mutex, carved from the execution's memory in Controlled mode.
func (e *Exec) newMutex() *Mutex {
	if e.mem != nil {
		return e.mem.mutexes.get()
	}
	return new(Mutex)
}

// InitMutex initializes a Mutex embedded in a larger structure (before any use, or to use it
// again in another execution: it drops the state of the last).
func (e *Exec) InitMutex(m *Mutex, name string) {
	*m = Mutex{e: e, name: name}
}

// NewQuietMutex returns a mutex for the model's own bookkeeping (tables, lists) whose
// critical sections contain no scheduling point. In Controlled mode, where one thread runs at a
// time, such a section is atomic already: the mutex costs no scheduling point, no event and no
// happens-before edge, and a scheduling point reached while holding it is reported as a Bug.
// In Free mode it is a Mutex like any other.
func (e *Exec) NewQuietMutex(name string) *Mutex {
	m := e.newMutex()
	m.e, m.name, m.quiet = e, name, true
	return m
}

// NewCrossMutex returns an unlocked mutex that any thread may unlock, not only its owner: the
// semantics of gVisor's CrossGoroutineMutex (a lock taken by one goroutine and released by
// another, as tcp.Endpoint's user lock is). Locking it twice from one thread is still a Bug.
func (e *Exec) NewCrossMutex(name string) *Mutex {
	m := e.newMutex()
	m.e, m.name, m.cross = e, name, true
	return m
}

// Name returns the mutex's name.
func (m *Mutex) Name() string { return m.name }

// Owner returns the thread holding the mutex, or nil.
func (m *Mutex) Owner() *Thread {
	if m.e.mode == Free {
		return m.fowner.Load()
	}
	return m.owner
}

// HeldBy reports whether t holds the mutex.
func (m *Mutex) HeldBy(t *Thread) bool { return m.Owner() == t }

// Lock acquires the mutex, blocking while another thread holds it. A recursive lock is a
// misuse, recorded as a Bug of the result (and the lock is not taken); a thread torn down while
// it waits (the execution aborted) returns without the lock and unwinds.
func (m *Mutex) Lock(t *Thread) {
	e := m.e
	if t.unwinding {
		return
	}
	if m.Owner() == t {
		_ = e.bug(t, "Mutex.Lock", m.name, ErrRecursiveLock)
		return
	}
	if e.mode == Free {
		if err := m.lockFree(t); err != nil {
			return
		}
	} else if m.quiet {
		m.owner = t
		t.quiet++
		return
	} else {
		e.point(t, EvLock, "lock", m.name)
		for m.owner != nil {
			m.waiters = append(m.waiters, t)
			if err := e.block(t, blockInfo{kind: "mutex", obj: m.name, cond: m}); err != nil {
				return
			}
		}
		m.owner = t
		if e.race.enabled && m.vcBy != t {
			e.race.join(&t.vc, m.vc)
		}
		if e.feat != nil {
			e.featAcquired(m, t)
		}
	}
	m.addHeld(t)
}

// addHeld records m among the mutexes t holds. A cross mutex is not recorded in Free mode,
// where another thread's goroutine may release it while t runs.
func (m *Mutex) addHeld(t *Thread) {
	if m.cross && m.e.mode == Free {
		return
	}
	t.held.add(m)
	t.heldSnap = nil
}

// holds is the wake condition of a thread blocked on the mutex: it is free.
func (m *Mutex) holds() bool { return m.owner == nil }

// TryLock acquires the mutex if it is free and reports whether it did.
func (m *Mutex) TryLock(t *Thread) bool {
	e := m.e
	if t.unwinding {
		return false
	}
	if e.mode == Free {
		e.pointFree(t)
		if !m.fmu.TryLock() {
			return false
		}
		m.fowner.Store(t)
	} else {
		e.point(t, EvTryLock, "trylock", m.name)
		if m.owner != nil {
			t.spun = true
			return false
		}
		m.owner = t
		if e.race.enabled && m.vcBy != t {
			e.race.join(&t.vc, m.vc)
		}
		if e.feat != nil {
			e.featAcquired(m, t)
		}
	}
	m.addHeld(t)
	return true
}

// Unlock releases the mutex, which t must hold (any holder, for a cross mutex): an unlock by
// another thread is a misuse, recorded as a Bug of the result (the mutex stays held).
func (m *Mutex) Unlock(t *Thread) {
	e := m.e
	owner := m.Owner()
	if owner != t && !(m.cross && owner != nil) {
		if !t.unwinding { // a deferred unlock while torn down: the lock was never taken
			_ = e.bug(t, "Mutex.Unlock", m.name, ErrNotOwner)
		}
		return
	}
	if m.quiet && e.mode == Controlled {
		m.owner = nil
		t.quiet--
		return
	}
	if e.mode == Free {
		if !m.cross {
			t.held.remove(m)
			t.heldSnap = nil
		}
		m.unlockFree()
		return
	}
	owner.held.remove(m)
	owner.heldSnap = nil
	m.owner, m.lastBy = nil, t
	if e.race.enabled {
		e.race.release(&m.vc, t)
		m.vcBy = t
	}
	for _, w := range m.waiters {
		if w.state == stBlocked {
			e.makeRunnable(nil, w, nil)
		}
	}
	m.waiters = m.waiters[:0]
	e.point(t, EvUnlock, "unlock", m.name)
}

// lockFree is Lock in Free mode: a sync.Mutex, with the waiters parked through the substrate
// so that a deadlock is seen as quiescence rather than a hang.
func (m *Mutex) lockFree(t *Thread) error {
	e := m.e
	e.pointFree(t)
	for !m.fmu.TryLock() {
		m.wmu.Lock()
		if m.fmu.TryLock() {
			m.wmu.Unlock()
			break
		}
		m.fwaiters = append(m.fwaiters, t)
		ok := e.fblock(t, blockInfo{kind: "mutex", obj: m.name})
		m.wmu.Unlock()
		if !ok {
			t.abort()
		}
		if err := e.fwait(t); err != nil {
			return err
		}
	}
	m.fowner.Store(t)
	return nil
}

func (m *Mutex) unlockFree() {
	m.fowner.Store(nil)
	m.fmu.Unlock()
	m.wmu.Lock()
	if len(m.fwaiters) > 0 {
		w := m.fwaiters[0]
		m.fwaiters = m.fwaiters[1:]
		m.e.funblock(w, nil)
	}
	m.wmu.Unlock()
}

// maxLockset is the number of mutexes a lockset names; deeper nesting is counted, not named.
const maxLockset = 6

// lockset is the set of mutexes a thread holds, in acquisition order: a value, so that race
// records copy it without allocating.
type lockset struct {
	m     [maxLockset]*Mutex
	n     uint8
	extra uint8 // held beyond maxLockset
}

func (s *lockset) add(m *Mutex) {
	if int(s.n) < maxLockset {
		s.m[s.n] = m
		s.n++
		return
	}
	s.extra++
}

func (s *lockset) remove(m *Mutex) {
	for i := 0; i < int(s.n); i++ {
		if s.m[i] == m {
			copy(s.m[i:], s.m[i+1:s.n])
			s.n--
			s.m[s.n] = nil
			return
		}
	}
	if s.extra > 0 {
		s.extra--
	}
}

// names lists the mutexes' names.
func (s *lockset) names() []string {
	var out []string
	for i := 0; i < int(s.n); i++ {
		out = append(out, s.m[i].name)
	}
	if s.extra > 0 {
		out = append(out, fmt.Sprintf("(%d more)", s.extra))
	}
	return out
}
