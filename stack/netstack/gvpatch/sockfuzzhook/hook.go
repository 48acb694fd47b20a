// Package sockfuzzhook is the one seam between a hooked copy of gVisor and sockfuzz.
//
// gvpatch copies this package into the generated gVisor tree as gvisor.dev/gvisor/pkg/sockfuzzhook
// (only the package clause's import comment differs), and the edited gVisor files call it. It
// imports only the standard library, so gVisor never imports sockfuzz: the netstack adapter
// installs a Hooks value for the length of one controlled execution, and every edit falls back
// to gVisor's original statement when none is installed.
package sockfuzzhook

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Hooks is what a controlled execution implements. Every method is called on the goroutine of
// the gVisor code that reached the edit; the implementation finds its thread itself.
type Hooks interface {
	// Lock, Unlock and TryLock replace CrossGoroutineMutex's (and so Mutex's and every
	// generated wrapper's) operations on the mutex at m.
	Lock(m unsafe.Pointer)
	Unlock(m unsafe.Pointer)
	TryLock(m unsafe.Pointer) bool

	// RLock, RUnlock, TryRLock, WLock, WUnlock, TryWLock and Downgrade replace
	// CrossGoroutineRWMutex's operations on the read-write mutex at rw.
	RLock(rw unsafe.Pointer)
	RUnlock(rw unsafe.Pointer)
	TryRLock(rw unsafe.Pointer) bool
	WLock(rw unsafe.Pointer)
	WUnlock(rw unsafe.Pointer)
	TryWLock(rw unsafe.Pointer) bool
	Downgrade(rw unsafe.Pointer)

	// Go starts fn as a thread of the execution; name says which go statement started it
	// ("pkg.Func" of the statement's enclosing function).
	Go(name string, fn func())

	// Park replaces the runtime park of pkg/sleep's Sleeper at s. waitingG is the sleeper's
	// word: it holds preparingG (1) on entry. Park claims it with a compare-and-swap from 1 to
	// ParkedToken; if that fails, a waker came in between and Park returns at once. Otherwise
	// the thread sleeps until Ready(s). pending reports whether a waker is queued (the wake
	// condition, for the lost-wakeup oracle).
	Park(s unsafe.Pointer, waitingG *uintptr, pending func() bool)
	// Ready wakes the thread parked on the Sleeper at s (the waker swapped waitingG from
	// ParkedToken to 0).
	Ready(s unsafe.Pointer)

	// ChanWait blocks until ready reports true, in place of a receive from the channel keyed
	// by key; ChanReady is called after a send to that channel.
	ChanWait(key unsafe.Pointer, ready func() bool)
	ChanReady(key unsafe.Pointer)

	// Point is a bare scheduling point that a fault's buggy variant inserts to widen its window.
	Point(site string)
	// Atomic is a scheduling point before an atomic access to addr at site, recorded as an
	// atomic access (read or write) for the happens-before detector.
	Atomic(site string, addr unsafe.Pointer, write bool)
	// Access records a plain access to addr at site for the happens-before detector.
	Access(site string, addr unsafe.Pointer, write bool)
}

// ParkedToken is the value Park stores in a Sleeper's waitingG: neither 0 (no waiter) nor
// preparingG (1), so gVisor's waker takes its "a G is parked" branch exactly when a thread is
// parked.
const ParkedToken uintptr = 2

type holder struct{ h Hooks }

var (
	installed  atomic.Pointer[holder]
	processors atomic.Int32
	faults     atomic.Uint64
	nextID     atomic.Uint64
)

// randomSource holds the reader SetRandom installed.
type randomSource struct{ r io.Reader }

var random atomic.Pointer[randomSource]

// SetRandom makes r what gVisor's pkg/rand.Read reads, until SetRandom(nil) restores the
// system's randomness: an execution's own seeded stream, which must be safe for concurrent use.
func SetRandom(r io.Reader) {
	if r == nil {
		random.Store(nil)
		return
	}
	random.Store(&randomSource{r})
}

// Random returns the reader SetRandom installed, or nil.
func Random() io.Reader {
	if p := random.Load(); p != nil {
		return p.r
	}
	return nil
}

// Install makes h the hooks of every edited gVisor path until Uninstall.
func Install(h Hooks) { installed.Store(&holder{h}) }

// Uninstall restores gVisor's original behaviour.
func Uninstall() { installed.Store(nil) }

// Get returns the installed hooks, or nil.
func Get() Hooks {
	if p := installed.Load(); p != nil {
		return p.h
	}
	return nil
}

// Go starts fn on the installed hooks' thread, or as a plain goroutine: the rewrite of every
// go statement of the copied packages.
func Go(name string, fn func()) {
	if h := Get(); h != nil {
		h.Go(name, fn)
		return
	}
	go fn()
}

// SetProcessors overrides the number of TCP processors (0 restores GOMAXPROCS).
func SetProcessors(n int) { processors.Store(int32(n)) }

// Processors returns the override if one is set, else n (gVisor passes GOMAXPROCS(0)).
func Processors(n int) int {
	if p := processors.Load(); p > 0 {
		return int(p)
	}
	return n
}

// SetFaults sets the bits of the faults the buggy variants test.
func SetFaults(bits uint64) { faults.Store(bits) }

// Fault reports whether fault n (a bit number) is on.
func Fault(n int) bool { return faults.Load()&(1<<uint(n)) != 0 }

// Point is a scheduling point under hooks; in free mode it yields the processor, so that a
// fault's window is wider there too.
func Point(site string) {
	if h := Get(); h != nil {
		h.Point(site)
		return
	}
	runtime.Gosched()
}

// Atomic is the A edits' call before an atomic access of the field at p (site names the
// field): a scheduling point and an atomic access for the detector under hooks, nothing
// otherwise.
func Atomic(site string, p unsafe.Pointer, write bool) {
	if h := Get(); h != nil {
		h.Atomic(site, p, write)
	}
}

// Access is the call before a plain access of the field at p (site names the field), recorded
// for the detector under hooks; nothing otherwise.
func Access(site string, p unsafe.Pointer, write bool) {
	if h := Get(); h != nil {
		h.Access(site, p, write)
	}
}

// NextID numbers endpoints in creation order, for sorted iteration of maps that gVisor ranges.
func NextID() uint64 { return nextID.Add(1) }

// ResetIDs starts the numbering again, at the start of an execution.
func ResetIDs() { nextID.Store(0) }

// Sorted iterates over m in the order of its keys by cmp, in place of a range over m whose
// randomised order would decide the order of scheduling points. Like a range, it skips an entry
// deleted during the iteration.
// Without hooks installed it is the plain range, in Go's order, at no cost.
func Sorted[M ~map[K]V, K comparable, V any](m M, cmp func(a, b K) int) iter.Seq2[K, V] {
	if Get() == nil {
		return func(yield func(K, V) bool) {
			for k, v := range m {
				if !yield(k, v) {
					return
				}
			}
		}
	}
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp)
	return func(yield func(K, V) bool) {
		for _, k := range keys {
			if v, ok := m[k]; ok && !yield(k, v) {
				return
			}
		}
	}
}

// Compare is a total order on the keys of any map, for Sorted: numbers and strings by value;
// keys that carry a creation number (SockfuzzID: tcp and udp endpoints) by it; anything else
// by its printed form, which for gVisor's keys (addresses, endpoint IDs, protocol pairs) holds
// no pointer.
func Compare[K comparable](a, b K) int {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.IsValid() && vb.IsValid() && va.Kind() == vb.Kind() {
		switch va.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return cmp.Compare(va.Int(), vb.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return cmp.Compare(va.Uint(), vb.Uint())
		case reflect.String:
			return strings.Compare(va.String(), vb.String())
		case reflect.Float32, reflect.Float64:
			return cmp.Compare(va.Float(), vb.Float())
		}
	}
	type ided interface{ SockfuzzID() uint64 }
	if x, ok := any(a).(ided); ok {
		if y, ok := any(b).(ided); ok {
			return cmp.Compare(x.SockfuzzID(), y.SockfuzzID())
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// ByString orders keys by their printed form: a fixed order for struct keys (endpoint IDs),
// where any fixed order will do.
func ByString[K any](a, b K) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }

// SortByID sorts s by the SockfuzzID of its elements (the creation numbers the edited tcp and
// udp endpoints carry), so that a slice gathered from maps comes in creation order. Elements
// without one keep their relative order, after those with one.
func SortByID[T any](s []T) {
	id := func(x T) uint64 {
		if v, ok := any(x).(interface{ SockfuzzID() uint64 }); ok {
			return v.SockfuzzID()
		}
		return 1<<64 - 1
	}
	slices.SortStableFunc(s, func(a, b T) int {
		x, y := id(a), id(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
}
