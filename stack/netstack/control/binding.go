// Package control binds a hooked copy of gVisor to sched's controlled execution: it implements
// the hook contract (gvpatch/sockfuzzhook.Hooks, matched structurally, so that this package
// needs neither the generated tree nor gVisor) on one *sched.Exec.
//
// gVisor's primitives take no thread: every hook finds its caller with Exec.Current, the one
// thread holding control. Each gVisor object a hook sees (a mutex, a read-write mutex, a
// Sleeper, a channel) gets its sched counterpart on first use, keyed by its address and named
// after the function that first used it, so that names are the same in every replay.
//
// Code that runs outside any thread (the target's setup before Run, and the wake conditions
// Run evaluates at quiescence) takes the outside path: a free lock is taken with no event and
// no scheduling point; a lock some blocked thread holds cannot be, and the hook panics with
// ErrBusy, which Probe turns into "condition false".
package control

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/sockfuzz/sockfuzz/stack/netstack/gvpatch/sockfuzzhook"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// preparingG is pkg/sleep's value of waitingG while its sleeper prepares to park.
const preparingG uintptr = 1

// ErrBusy is the panic value of a hook reached outside any thread on a lock a thread holds.
var ErrBusy = errors.New("control: lock held by a thread, taken from outside any thread")

// Binding is the hooks of one controlled execution.
type Binding struct {
	e *sched.Exec

	mutexes  map[unsafe.Pointer]*mutex
	rws      map[unsafe.Pointer]*rwmutex
	sleepers map[unsafe.Pointer]*sched.WaitQueue
	chans    map[unsafe.Pointer]*sched.WaitQueue
	words    map[unsafe.Pointer]*sched.Word
	counts   map[string]int // objects and threads named so far, by base name

	// mhits and rwhits cache the last lookups of mutexes and rws by address, direct-mapped
	// (slot): most hook calls find their lock there instead of in the map.
	mhits  [cacheSlots]mutexHit
	rwhits [cacheSlots]rwHit

	threads []*sched.Thread // started by Go, in order
	outside []func()        // undo the outside path's holds, for Probe

	// ThreadNames renames the threads of a go statement ("tcp.dispatcher.startLocked") to a
	// name of the target's roles ("tcp-processor"); others keep the statement's name.
	ThreadNames map[string]string
}

type mutex struct {
	m       *sched.Mutex
	outside bool // held by the outside path
}

type rwmutex struct {
	rw       *sched.RWMutex
	oreaders int  // read locks held by the outside path
	owriter  bool // write lock held by the outside path
}

// New returns the binding for e (a Controlled execution).
func New(e *sched.Exec) *Binding {
	return &Binding{
		e:        e,
		mutexes:  make(map[unsafe.Pointer]*mutex),
		rws:      make(map[unsafe.Pointer]*rwmutex),
		sleepers: make(map[unsafe.Pointer]*sched.WaitQueue),
		chans:    make(map[unsafe.Pointer]*sched.WaitQueue),
		words:    make(map[unsafe.Pointer]*sched.Word),
		counts:   make(map[string]int),
	}
}

// Threads returns the threads gVisor started (Go), in start order.
func (b *Binding) Threads() []*sched.Thread { return b.threads }

// name numbers base within the execution: base#0, base#1, ... Every execution names the same
// objects, so the names are kept process-wide (numberedNames) rather than built each time.
func (b *Binding) name(base string) string {
	n := b.counts[base]
	b.counts[base] = n + 1
	k := numberedKey{base, n}
	if s, ok := numberedNames.Load(k); ok {
		return s.(string)
	}
	s := base + "#" + strconv.Itoa(n)
	numberedNames.Store(k, s)
	return s
}

// numberedKey is a base name and its number within an execution.
type numberedKey struct {
	base string
	n    int
}

// numberedNames caches name's results by numberedKey, process-wide. A value is a pure function
// of its key, so what a lookup finds cannot depend on which execution stored it; only the
// allocation is saved.
var numberedNames sync.Map

const bindingPrefix = "github.com/sockfuzz/sockfuzz/stack/netstack/control.(*Binding)."

// callerName names an object after the first function on the stack outside the hook
// machinery, gVisor's pkg/sync and its generated lock wrappers: "tcp.(*Endpoint).LockUser".
// Resolving frames costs microseconds, and an execution names about a hundred objects: names
// are cached process-wide by the return addresses of the innermost physical frames (framePCs,
// nanoseconds), which decide them.
//
// The key covers the name: it starts at most four physical frames below the hook's caller
// (framePCs' ABI wrapper, callerName, mutexFor, the hook), and a physical frame holds at least
// one logical frame, so the namePCs logical frames the name is chosen from lie within the
// key's keyFrames physical ones.
func callerName(skip int) string {
	var key callerKey
	framePCs(&key)
	if name, ok := callerNames.Load(key); ok {
		return name.(string)
	}
	var pcs [namePCs]uintptr
	n := runtime.Callers(skip+2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	name := "unknown"
	for {
		f, more := frames.Next()
		fn := f.Function
		if !strings.Contains(fn, "/pkg/sync.") && !strings.Contains(fn, "/sockfuzzhook.") &&
			!strings.HasSuffix(f.File, "_mutex.go") && !strings.HasPrefix(fn, bindingPrefix) {
			if i := strings.LastIndexByte(fn, '/'); i >= 0 {
				fn = fn[i+1:]
			}
			name = fn
			break
		}
		if !more {
			break
		}
	}
	callerNames.Store(key, name)
	return name
}

const (
	// namePCs is how many logical frames above the hook's caller callerName looks through.
	namePCs = 12
	// keyFrames is the depth of callerName's key in physical frames: namePCs plus the four
	// frames the key may start below the hook's caller.
	keyFrames = namePCs + 4
)

// callerKey is the innermost return addresses of a naming call (framePCs).
type callerKey [keyFrames]uintptr

// callerNames caches callerName's answers (callerKey to string).
var callerNames sync.Map

// FuncName names the function of the logical frame skip levels above its caller (0: the
// caller itself) by its package and function, without the path: "tcp.(*sender).resendTimer".
// Like callerName it caches its answers by the frame-pointer chain, cut after the physical
// frames that can hold that logical frame (skip+1, after at most two of FuncName's own).
func FuncName(skip int) string {
	if skip+3 >= keyFrames {
		panic("control: FuncName's skip is deeper than its key")
	}
	var key callerKey
	framePCs(&key)
	clear(key[skip+3:])
	key[keyFrames-1] = uintptr(skip) // a key of FuncName's cache, never callerName's
	if name, ok := funcNames.Load(key); ok {
		return name.(string)
	}
	var pcs [1]uintptr
	name := "?"
	if runtime.Callers(skip+2, pcs[:]) == 1 {
		fr, _ := runtime.CallersFrames(pcs[:]).Next()
		name = fr.Function
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
	}
	funcNames.Store(key, name)
	return name
}

// funcNames caches FuncName's answers (callerKey, with skip in its last word, to string).
var funcNames sync.Map

// cacheSlots is the size of the binding's lock caches: a power of two, above the 50 mutexes
// and 40 read-write mutexes an execution of three sockets uses.
const cacheSlots = 128

type mutexHit struct {
	p unsafe.Pointer
	m *mutex
}

type rwHit struct {
	p  unsafe.Pointer
	rw *rwmutex
}

// slot is the cache slot of address p: a multiplicative hash, as the low bits of an address
// repeat with the allocation's size class.
func slot(p unsafe.Pointer) uintptr {
	return uintptr(uint64(uintptr(p)) * 0x9e3779b97f4a7c15 >> (64 - 7) & (cacheSlots - 1))
}

// mutexFor returns the mutex at p, made and named on its first use; its frame and Lock's
// or TryLock's are the two that callerName skips.
func (b *Binding) mutexFor(p unsafe.Pointer) *mutex {
	h := &b.mhits[slot(p)]
	if h.p == p {
		return h.m
	}
	m := b.mutexes[p]
	if m == nil {
		m = &mutex{m: b.e.NewCrossMutex(b.name(callerName(2)))}
		b.mutexes[p] = m
	}
	*h = mutexHit{p, m}
	return m
}

func (b *Binding) rwFor(p unsafe.Pointer) *rwmutex {
	h := &b.rwhits[slot(p)]
	if h.p == p {
		return h.rw
	}
	rw := b.rws[p]
	if rw == nil {
		rw = &rwmutex{rw: b.e.NewRWMutex(b.name(callerName(2)))}
		b.rws[p] = rw
	}
	*h = rwHit{p, rw}
	return rw
}

// Lock is CrossGoroutineMutex.Lock.
func (b *Binding) Lock(p unsafe.Pointer) {
	m := b.mutexFor(p)
	if t := b.e.Current(); t != nil {
		if m.outside {
			panic(fmt.Sprintf("control: %s locked from outside any thread, never unlocked", m.m.Name()))
		}
		m.m.Lock(t)
		return
	}
	if m.outside || m.m.Owner() != nil {
		panic(ErrBusy)
	}
	m.outside = true
	b.outside = append(b.outside, func() { m.outside = false })
}

// Unlock is CrossGoroutineMutex.Unlock.
func (b *Binding) Unlock(p unsafe.Pointer) {
	m := b.mutexFor(p)
	if m.outside {
		m.outside = false
		return
	}
	t := b.e.Current()
	if t == nil {
		panic(fmt.Sprintf("control: %s unlocked from outside any thread while a thread holds it", m.m.Name()))
	}
	m.m.Unlock(t)
}

// TryLock is CrossGoroutineMutex.TryLock.
func (b *Binding) TryLock(p unsafe.Pointer) bool {
	m := b.mutexFor(p)
	if t := b.e.Current(); t != nil {
		return !m.outside && m.m.TryLock(t)
	}
	if m.outside || m.m.Owner() != nil {
		return false
	}
	m.outside = true
	b.outside = append(b.outside, func() { m.outside = false })
	return true
}

// RLock is CrossGoroutineRWMutex.RLock.
func (b *Binding) RLock(p unsafe.Pointer) {
	rw := b.rwFor(p)
	if t := b.e.Current(); t != nil {
		rw.rw.RLock(t)
		return
	}
	if rw.owriter || rw.rw.Writer() != nil {
		panic(ErrBusy)
	}
	rw.oreaders++
	b.outside = append(b.outside, func() { rw.oreaders = 0 })
}

// RUnlock is CrossGoroutineRWMutex.RUnlock.
func (b *Binding) RUnlock(p unsafe.Pointer) {
	rw := b.rwFor(p)
	if t := b.e.Current(); t != nil {
		rw.rw.RUnlock(t)
		return
	}
	rw.oreaders--
}

// TryRLock is CrossGoroutineRWMutex.TryRLock.
func (b *Binding) TryRLock(p unsafe.Pointer) bool {
	rw := b.rwFor(p)
	if t := b.e.Current(); t != nil {
		return !rw.owriter && rw.rw.TryRLock(t)
	}
	if rw.owriter || rw.rw.Writer() != nil {
		return false
	}
	rw.oreaders++
	b.outside = append(b.outside, func() { rw.oreaders = 0 })
	return true
}

// WLock is CrossGoroutineRWMutex.Lock.
func (b *Binding) WLock(p unsafe.Pointer) {
	rw := b.rwFor(p)
	if t := b.e.Current(); t != nil {
		if rw.owriter || rw.oreaders > 0 {
			panic(fmt.Sprintf("control: %s held from outside any thread, never released", rw.rw.Name()))
		}
		rw.rw.Lock(t)
		return
	}
	if rw.owriter || rw.oreaders > 0 || rw.rw.Writer() != nil || rw.rw.Readers() > 0 {
		panic(ErrBusy)
	}
	rw.owriter = true
	b.outside = append(b.outside, func() { rw.owriter = false })
}

// WUnlock is CrossGoroutineRWMutex.Unlock.
func (b *Binding) WUnlock(p unsafe.Pointer) {
	rw := b.rwFor(p)
	if rw.owriter {
		rw.owriter = false
		return
	}
	t := b.e.Current()
	if t == nil {
		panic(fmt.Sprintf("control: %s unlocked from outside any thread while a thread holds it", rw.rw.Name()))
	}
	rw.rw.Unlock(t)
}

// TryWLock is CrossGoroutineRWMutex.TryLock.
func (b *Binding) TryWLock(p unsafe.Pointer) bool {
	rw := b.rwFor(p)
	if t := b.e.Current(); t != nil {
		return !rw.owriter && rw.oreaders == 0 && rw.rw.TryLock(t)
	}
	if rw.owriter || rw.oreaders > 0 || rw.rw.Writer() != nil || rw.rw.Readers() > 0 {
		return false
	}
	rw.owriter = true
	b.outside = append(b.outside, func() { rw.owriter = false })
	return true
}

// Downgrade is CrossGoroutineRWMutex.DowngradeLock.
func (b *Binding) Downgrade(p unsafe.Pointer) {
	rw := b.rwFor(p)
	if rw.owriter {
		rw.owriter = false
		rw.oreaders++
		return
	}
	if t := b.e.Current(); t != nil {
		rw.rw.DowngradeLock(t)
		return
	}
	panic(fmt.Sprintf("control: %s downgraded from outside any thread while a thread holds it", rw.rw.Name()))
}

// Go starts fn as a thread named after its go statement and numbered: a root thread before
// Run, a child of the running thread during it.
func (b *Binding) Go(name string, fn func()) {
	body := func(*sched.Thread) { fn() }
	if alias, ok := b.ThreadNames[name]; ok {
		name = alias
	}
	var th *sched.Thread
	if t := b.e.Current(); t != nil {
		th = t.Go(b.name(name), body)
	} else {
		th = b.e.Go(b.name(name), body)
	}
	b.threads = append(b.threads, th)
}

func (b *Binding) queue(set map[unsafe.Pointer]*sched.WaitQueue, p unsafe.Pointer, base string) *sched.WaitQueue {
	q := set[p]
	if q == nil {
		q = b.e.NewWaitQueue(b.name(base))
		set[p] = q
	}
	return q
}

// Park parks the running thread on the Sleeper at s, keeping pkg/sleep's protocol: waitingG
// goes from preparingG to ParkedToken, unless a waker reset it to 0 first. The interlock is
// announced before the compare-and-swap, so a waker that sees the token always finds the
// thread on the queue. The sleep is not interruptible: a kernel's idle worker is not.
func (b *Binding) Park(s unsafe.Pointer, waitingG *uintptr, pending func() bool) {
	t := b.e.Current()
	if t == nil {
		panic("control: a Sleeper parks outside any thread")
	}
	q := b.queue(b.sleepers, s, "sleeper:"+callerName(1))
	q.Interlock(t)
	if !atomic.CompareAndSwapUintptr(waitingG, preparingG, sockfuzzhook.ParkedToken) {
		return
	}
	_ = q.Sleep(t, pending, sched.Interlocked)
}

// Ready wakes the thread parked on the Sleeper at s.
func (b *Binding) Ready(s unsafe.Pointer) {
	b.queue(b.sleepers, s, "sleeper:"+callerName(1)).WakeOneForeign()
}

// ChanWait blocks the running thread until ready holds, in place of a channel receive.
func (b *Binding) ChanWait(key unsafe.Pointer, ready func() bool) {
	t := b.e.Current()
	if t == nil {
		panic("control: a channel wait outside any thread")
	}
	q := b.queue(b.chans, key, "chan:"+callerName(1))
	for !ready() {
		q.Interlock(t)
		if ready() {
			return
		}
		_ = q.Sleep(t, ready, sched.Interlocked)
	}
}

// ChanReady wakes the threads waiting on the channel keyed by key.
func (b *Binding) ChanReady(key unsafe.Pointer) {
	if q := b.chans[key]; q != nil {
		q.WakeAllForeign()
	}
}

// Point is a scheduling point of the running thread (none outside threads).
func (b *Binding) Point(site string) {
	if t := b.e.Current(); t != nil {
		t.Yield(site)
	}
}

func (b *Binding) word(p unsafe.Pointer, site string) *sched.Word {
	w := b.words[p]
	if w == nil {
		w = b.e.NewWord(b.name(site), nil)
		b.words[p] = w
	}
	return w
}

// Atomic is a scheduling point before an atomic access, recorded for the happens-before
// detector as an atomic access of a word standing for addr (its value is not gVisor's).
func (b *Binding) Atomic(site string, p unsafe.Pointer, write bool) {
	t := b.e.Current()
	if t == nil {
		return
	}
	w := b.word(p, site)
	if write {
		w.AtomicStore(t, site, 0)
	} else {
		w.AtomicLoad(t, site)
	}
}

// Access records a plain access for the happens-before detector.
func (b *Binding) Access(site string, p unsafe.Pointer, write bool) {
	t := b.e.Current()
	if t == nil {
		return
	}
	w := b.word(p, site)
	if write {
		w.Store(t, site, 0)
	} else {
		w.Load(t, site)
	}
}

// Probe evaluates cond outside any thread (a wake condition at quiescence) and answers false
// when cond reaches a lock a thread holds: that thread is blocked, and it is reported itself.
// The locks cond took before it gave up are released.
func (b *Binding) Probe(cond func() bool) (ok bool) {
	b.outside = b.outside[:0]
	defer func() {
		if r := recover(); r != nil {
			if r != ErrBusy {
				panic(r)
			}
			for _, undo := range b.outside {
				undo()
			}
			ok = false
		}
		b.outside = b.outside[:0]
	}()
	return cond()
}
