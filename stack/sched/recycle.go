package sched

import "sync"

// execMem is the memory a Controlled execution carves its happens-before clocks, lists of
// reads and lockset snapshots from (the race detector's slabs), its threads, the objects it
// makes (words, mutexes, wait queues, timers, ports) and its lists: Exec.Release
// clears it and hands it to a later execution, instead of leaving it to the garbage collector
// (the slabs and the threads were a quarter of the bytes an execution allocated,
// BenchmarkTargets/FuzzSockets).
//
// Nothing of a released execution may be used by another, not even the objects its New
// functions returned: they are another execution's once released. A Word, Mutex or WaitQueue
// embedded in a structure that a later execution reuses is initialized again (InitWord, InitMutex, InitWaitQueue), which drops
// its clock and its access history, carved from memory now the later execution's.
type execMem struct {
	// The slabs given out to this execution, and the spare ones (cleared) to give out next.
	clocks, spareClocks [][]uint32
	reads, spareReads   [][]access
	locks, spareLocks   [][]lockset
	threads             []*Thread // zeroed, for spawn

	// The objects of NewWord, NewMutex, NewQuietMutex, NewWaitQueue, NewTimer and NewPort.
	words   objSlab[Word]
	mutexes objSlab[Mutex]
	queues  objSlab[WaitQueue]
	timers  objSlab[Timer]
	ports   objSlab[Port]

	// The backing arrays of the execution's lists of threads, runnable threads and timers.
	threadList []*Thread
	rq         []ID
	timerList  []*Timer
}

// objSlab hands out zero objects of type T carved from chunks, and takes them all back
// cleared (reset): an execution makes a few dozen words, mutexes, queues, timers and ports,
// one allocation each before.
type objSlab[T any] struct {
	chunks [][]T
	cur    int // the chunk being carved
	off    int // the next object in it
}

// maxSlabChunks bounds the chunks an objSlab keeps across executions (8 to 64 objects each,
// doubling).
const maxSlabChunks = 4

// get returns a zero object.
func (s *objSlab[T]) get() *T {
	for s.cur < len(s.chunks) {
		if c := s.chunks[s.cur]; s.off < len(c) {
			s.off++
			return &c[s.off-1]
		}
		s.cur++
		s.off = 0
	}
	c := make([]T, 8<<min(len(s.chunks), 3))
	s.chunks = append(s.chunks, c)
	s.cur, s.off = len(s.chunks)-1, 1
	return &c[0]
}

// reset clears the objects handed out, to hand them out again.
func (s *objSlab[T]) reset() {
	for i := 0; i < len(s.chunks) && i <= s.cur; i++ {
		if i == s.cur {
			clear(s.chunks[i][:s.off])
		} else {
			clear(s.chunks[i])
		}
	}
	if len(s.chunks) > maxSlabChunks {
		clear(s.chunks[maxSlabChunks:])
		s.chunks = s.chunks[:maxSlabChunks]
	}
	s.cur, s.off = 0, 0
}

// maxSpare bounds each list of spare slabs and of threads that an execution hands on, so that
// one long execution does not make every later one hold its memory.
const maxSpare = 64

// execMemPool holds the memory of released executions.
var execMemPool sync.Pool // of *execMem

// getExecMem returns a released execution's memory, or new.
func getExecMem() *execMem {
	if m, _ := execMemPool.Get().(*execMem); m != nil {
		return m
	}
	return new(execMem)
}

// takeSlab returns a zero slab: a spare one, or a new one of *n units of unit entries after
// doubling *n (at least least, at most most). The slab is recorded in used, to be cleared and
// spared when the execution is released.
func takeSlab[T any](spare, used *[][]T, n *int, least, most, unit int) []T {
	var s []T
	if k := len(*spare); k > 0 {
		s = (*spare)[k-1]
		(*spare)[k-1] = nil
		*spare = (*spare)[:k-1]
	} else {
		*n = min(max(2**n, least), most)
		s = make([]T, *n*unit)
	}
	*used = append(*used, s)
	return s
}

// clockSlab returns a zero slab of clock entries: a spare one, or a new one of *n entries
// after doubling *n up to maxClockSlab.
func (m *execMem) clockSlab(n *int) []uint32 {
	return takeSlab(&m.spareClocks, &m.clocks, n, 8*clockUnit, maxClockSlab, 1)
}

// readsSlab is clockSlab for lists of reads (*n lists of readsCap).
func (m *execMem) readsSlab(n *int) []access {
	return takeSlab(&m.spareReads, &m.reads, n, 4, maxReadsSlab, readsCap)
}

// locksSlab is clockSlab for lockset snapshots.
func (m *execMem) locksSlab(n *int) []lockset {
	return takeSlab(&m.spareLocks, &m.locks, n, 8, maxLocksSlab, 1)
}

// thread returns a zero Thread, a released execution's or new.
func (m *execMem) thread() *Thread {
	if k := len(m.threads); k > 0 {
		t := m.threads[k-1]
		m.threads[k-1] = nil
		m.threads = m.threads[:k-1]
		return t
	}
	return new(Thread)
}

// release clears the memory the execution e used, with its threads, objects and lists, and
// puts it in the pool.
func (m *execMem) release(e *Exec) {
	threads := e.threads
	m.words.reset()
	m.mutexes.reset()
	m.queues.reset()
	m.timers.reset()
	m.ports.reset()
	clear(e.timers[:cap(e.timers)])
	m.timerList = e.timers[:0]
	m.rq = e.rq[:0]
	m.spareClocks = recycleSlabs(m.spareClocks, m.clocks)
	clear(m.clocks)
	m.clocks = m.clocks[:0]
	m.spareReads = recycleSlabs(m.spareReads, m.reads)
	clear(m.reads)
	m.reads = m.reads[:0]
	m.spareLocks = recycleSlabs(m.spareLocks, m.locks)
	clear(m.locks)
	m.locks = m.locks[:0]
	for _, t := range threads {
		if len(m.threads) == maxSpare {
			break
		}
		*t = Thread{}
		m.threads = append(m.threads, t)
	}
	clear(threads)
	m.threadList = threads[:0]
	execMemPool.Put(m)
}

// recycleSlabs clears the used slabs and adds them to the spare ones, up to maxSpare.
func recycleSlabs[T any](spare, used [][]T) [][]T {
	for _, s := range used {
		if len(spare) == maxSpare {
			break
		}
		clear(s)
		spare = append(spare, s)
	}
	return spare
}
