package sched

import "sync"

// RWMutex is a reader/writer sleep lock with writer preference (a waiting writer holds new
// readers back, as Go's and gVisor's RWMutex do, so a recursive read lock can deadlock), for
// foreign code such as gVisor's CrossGoroutineRWMutex. Any thread may release it: it tracks
// how many readers hold it and which writer, not who took each read lock. Happens-before edges
// go from a writer to later readers and writers, and from every reader to the next writer.
type RWMutex struct {
	e    *Exec
	name string

	// Controlled
	writer   *Thread
	readers  int
	wwaiting int       // writers blocked in Lock: new readers wait behind them
	waiters  []*Thread // threads blocked in Lock or RLock
	vc       vclock    // released by the last writer
	rvc      vclock    // the readers' clocks since the last writer, for the next writer
	lastW    *Thread   // the last writer to release it (features)
	cls      uint64    // the class hash (features), 0 until computed

	// Free
	fmu      sync.Mutex // guards the fields below and fwaiters
	fwriter  *Thread
	freaders int
	fwwait   int
	fwaiters []*Thread
}

// NewRWMutex returns an unlocked reader/writer mutex named name.
func (e *Exec) NewRWMutex(name string) *RWMutex {
	return &RWMutex{e: e, name: name}
}

// Name returns the mutex's name.
func (rw *RWMutex) Name() string { return rw.name }

// Writer returns the thread holding rw for writing, or nil.
func (rw *RWMutex) Writer() *Thread {
	if rw.e.mode == Free {
		rw.fmu.Lock()
		defer rw.fmu.Unlock()
		return rw.fwriter
	}
	return rw.writer
}

// Readers returns the number of read locks held.
func (rw *RWMutex) Readers() int {
	if rw.e.mode == Free {
		rw.fmu.Lock()
		defer rw.fmu.Unlock()
		return rw.freaders
	}
	return rw.readers
}

// rwWriteCond and rwReadCond are the wake conditions of threads blocked in Lock and RLock.
type rwWriteCond RWMutex
type rwReadCond RWMutex

func (c *rwWriteCond) holds() bool { return c.writer == nil && c.readers == 0 }
func (c *rwReadCond) holds() bool  { return c.writer == nil && c.wwaiting == 0 }

// Lock takes rw for writing, blocking while a writer or any reader holds it.
func (rw *RWMutex) Lock(t *Thread) {
	e := rw.e
	if t.unwinding {
		return
	}
	if e.mode == Free {
		rw.lockFree(t, true)
		return
	}
	e.point(t, EvLock, "wlock", rw.name)
	if rw.writer != nil || rw.readers > 0 {
		rw.wwaiting++
		for rw.writer != nil || rw.readers > 0 {
			rw.waiters = append(rw.waiters, t)
			if err := e.block(t, blockInfo{kind: "mutex", obj: rw.name, cond: (*rwWriteCond)(rw)}); err != nil {
				rw.wwaiting--
				return
			}
		}
		rw.wwaiting--
	}
	rw.acquire(t, true)
}

// RLock takes rw for reading, blocking while a writer holds it or waits for it.
func (rw *RWMutex) RLock(t *Thread) {
	e := rw.e
	if t.unwinding {
		return
	}
	if e.mode == Free {
		rw.lockFree(t, false)
		return
	}
	e.point(t, EvLock, "rlock", rw.name)
	for rw.writer != nil || rw.wwaiting > 0 {
		rw.waiters = append(rw.waiters, t)
		if err := e.block(t, blockInfo{kind: "mutex", obj: rw.name, cond: (*rwReadCond)(rw)}); err != nil {
			return
		}
	}
	rw.acquire(t, false)
}

// TryLock takes rw for writing if it is free, and reports whether it did.
func (rw *RWMutex) TryLock(t *Thread) bool {
	e := rw.e
	if t.unwinding {
		return false
	}
	if e.mode == Free {
		return rw.tryFree(t, true)
	}
	e.point(t, EvTryLock, "trywlock", rw.name)
	if rw.writer != nil || rw.readers > 0 {
		t.spun = true
		return false
	}
	rw.acquire(t, true)
	return true
}

// TryRLock takes rw for reading if no writer holds it or waits for it, and reports whether it
// did.
func (rw *RWMutex) TryRLock(t *Thread) bool {
	e := rw.e
	if t.unwinding {
		return false
	}
	if e.mode == Free {
		return rw.tryFree(t, false)
	}
	e.point(t, EvTryLock, "tryrlock", rw.name)
	if rw.writer != nil || rw.wwaiting > 0 {
		t.spun = true
		return false
	}
	rw.acquire(t, false)
	return true
}

// acquire records t's hold (Controlled) and its happens-before edges.
func (rw *RWMutex) acquire(t *Thread, write bool) {
	e := rw.e
	if write {
		rw.writer = t
	} else {
		rw.readers++
	}
	if e.race.enabled {
		e.race.join(&t.vc, rw.vc)
		if write {
			e.race.join(&t.vc, rw.rvc)
		}
	}
	if e.feat != nil && rw.lastW != nil && rw.lastW != t {
		if rw.cls == 0 {
			rw.cls = classHash(rw.name)
		}
		mode := uint64(1) // a writer's release met a reader, or a writer (2)
		if write {
			mode = 2
		}
		e.feat.add(featHandoff, rw.cls^mode, rw.lastW.role(), t.role())
	}
}

// Unlock releases rw's write lock. A release with no writer is a misuse, recorded as a Bug.
func (rw *RWMutex) Unlock(t *Thread) {
	e := rw.e
	if e.mode == Free {
		rw.unlockFree(t, true)
		return
	}
	if rw.writer == nil {
		if !t.unwinding {
			_ = e.bug(t, "RWMutex.Unlock", rw.name, ErrNotOwner)
		}
		return
	}
	rw.writer, rw.lastW = nil, t
	if e.race.enabled {
		e.race.release(&rw.vc, t)
		rw.rvc = rw.rvc[:0]
	}
	rw.wakeWaiters()
	e.point(t, EvUnlock, "wunlock", rw.name)
}

// RUnlock releases one read lock. A release with no reader is a misuse, recorded as a Bug.
func (rw *RWMutex) RUnlock(t *Thread) {
	e := rw.e
	if e.mode == Free {
		rw.unlockFree(t, false)
		return
	}
	if rw.readers == 0 {
		if !t.unwinding {
			_ = e.bug(t, "RWMutex.RUnlock", rw.name, ErrNotOwner)
		}
		return
	}
	rw.readers--
	if e.race.enabled {
		e.race.join(&rw.rvc, t.vc)
		e.race.tick(&t.vc, t.id)
	}
	if rw.readers == 0 {
		rw.wakeWaiters()
	}
	e.point(t, EvUnlock, "runlock", rw.name)
}

// DowngradeLock turns t's write lock into a read lock, letting waiting readers in.
func (rw *RWMutex) DowngradeLock(t *Thread) {
	e := rw.e
	if e.mode == Free {
		rw.fmu.Lock()
		if rw.fwriter == nil {
			rw.fmu.Unlock()
			_ = e.bug(t, "RWMutex.DowngradeLock", rw.name, ErrNotOwner)
			return
		}
		rw.fwriter, rw.freaders = nil, rw.freaders+1
		rw.wakeFreeLocked()
		rw.fmu.Unlock()
		return
	}
	if rw.writer == nil {
		_ = e.bug(t, "RWMutex.DowngradeLock", rw.name, ErrNotOwner)
		return
	}
	rw.writer, rw.lastW = nil, t
	rw.readers++
	if e.race.enabled {
		e.race.release(&rw.vc, t)
	}
	rw.wakeWaiters()
	e.point(t, EvUnlock, "downgrade", rw.name)
}

// wakeWaiters makes every blocked waiter runnable; each tests its condition again.
func (rw *RWMutex) wakeWaiters() {
	for _, w := range rw.waiters {
		if w.state == stBlocked {
			rw.e.makeRunnable(nil, w, nil)
		}
	}
	clear(rw.waiters)
	rw.waiters = rw.waiters[:0]
}

// lockFree takes rw in Free mode, parking through the substrate so that a deadlock is seen as
// quiescence rather than a hang.
func (rw *RWMutex) lockFree(t *Thread, write bool) {
	e := rw.e
	e.pointFree(t)
	rw.fmu.Lock()
	if write {
		rw.fwwait++
	}
	for !rw.freeAvailLocked(write) {
		rw.fwaiters = append(rw.fwaiters, t)
		ok := e.fblock(t, blockInfo{kind: "mutex", obj: rw.name})
		rw.fmu.Unlock()
		if !ok {
			t.abort()
		}
		if err := e.fwait(t); err != nil {
			return
		}
		rw.fmu.Lock()
	}
	if write {
		rw.fwwait--
		rw.fwriter = t
	} else {
		rw.freaders++
	}
	rw.fmu.Unlock()
}

// freeAvailLocked tells whether a lock for writing (or reading) can be taken now; a writer
// counts itself among the waiting writers.
func (rw *RWMutex) freeAvailLocked(write bool) bool {
	if write {
		return rw.fwriter == nil && rw.freaders == 0
	}
	return rw.fwriter == nil && rw.fwwait == 0
}

func (rw *RWMutex) tryFree(t *Thread, write bool) bool {
	rw.e.pointFree(t)
	rw.fmu.Lock()
	defer rw.fmu.Unlock()
	if write {
		if rw.fwriter != nil || rw.freaders > 0 {
			return false
		}
		rw.fwriter = t
		return true
	}
	if !rw.freeAvailLocked(false) {
		return false
	}
	rw.freaders++
	return true
}

func (rw *RWMutex) unlockFree(t *Thread, write bool) {
	rw.fmu.Lock()
	defer rw.fmu.Unlock()
	if write && rw.fwriter == nil || !write && rw.freaders == 0 {
		_ = rw.e.bug(t, "RWMutex.Unlock", rw.name, ErrNotOwner)
		return
	}
	if write {
		rw.fwriter = nil
	} else {
		rw.freaders--
	}
	rw.wakeFreeLocked()
}

// wakeFreeLocked unparks every Free waiter; each tests availability again.
func (rw *RWMutex) wakeFreeLocked() {
	for _, w := range rw.fwaiters {
		rw.e.funblock(w, nil)
	}
	clear(rw.fwaiters)
	rw.fwaiters = rw.fwaiters[:0]
}
