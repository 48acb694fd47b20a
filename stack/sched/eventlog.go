package sched

import (
	"fmt"
	"math/bits"
)

// EventKind classifies a scheduling point.
type EventKind uint8

// The kinds of events.
const (
	EvYield EventKind = iota
	EvSpawn
	EvExit
	EvJoin
	EvBlock
	EvLock
	EvUnlock
	EvTryLock
	EvSleep
	EvWakeup
	EvSend
	EvRecv
	EvReply
	EvLoad
	EvStore
	EvRMW
	EvAtomic
	EvTimer
	EvFire
	EvInterrupt
)

var eventKindNames = [...]string{"yield", "spawn", "exit", "join", "block", "lock", "unlock",
	"trylock", "sleep", "wakeup", "send", "recv", "reply", "load", "store", "rmw", "atomic",
	"timer", "fire", "interrupt"}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// Event is one scheduling point: which thread reached it, at which site, on which object.
type Event struct {
	Step   int
	Thread ID
	Kind   EventKind
	Site   string
	Obj    string
}

func (ev Event) String() string {
	return fmt.Sprintf("%6d t%-2d %-9s %s %s", ev.Step, ev.Thread, ev.Kind, ev.Site, ev.Obj)
}

// eventLog keeps the most recent events in a ring and a hash of all of them, so that two
// executions can be compared event for event however long they are.
type eventLog struct {
	ring []Event // grows to max, then wraps: short executions allocate little
	max  int
	n    int // events added
	hash uint64
}

const (
	fnvOffset = 14695981039346656037
	mixPrime  = 0x9e3779b97f4a7c15
)

// mix folds x into h: a multiply and a rotation, enough to tell event streams apart (the
// hash checks determinism; it is not a defence against collisions made on purpose).
func mix(h, x uint64) uint64 {
	h = (h ^ x) * mixPrime
	return bits.RotateLeft64(h, 29)
}

// strWord condenses s into a word for the hash: its length and its first and last eight
// bytes (all of it when shorter), a constant cost per event. Sites and object names differ
// there in practice; a divergence between two executions shows in the threads, kinds and
// steps as well. The byte loads below compile to single wide loads.
func strWord(s string) uint64 {
	n := len(s)
	switch {
	case n >= 8:
		return le64(s) ^ bits.RotateLeft64(le64(s[n-8:]), 31) ^ uint64(n)<<56
	case n >= 4:
		return le32(s)<<32 | le32(s[n-4:]) ^ uint64(n)<<56
	case n > 0:
		return uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1]) | uint64(n)<<56
	}
	return 0
}

func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func le32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

func (l *eventLog) init(size int) {
	l.hash = fnvOffset
	l.max = max(size, 0)
}

// add hashes an event and keeps it when the ring is on. It takes the event's fields rather
// than an Event, which most executions (fuzzing: no ring) never need to build.
func (l *eventLog) add(step int, thread ID, kind EventKind, site, obj string) {
	h := mix(l.hash, uint64(step)<<40^uint64(uint32(thread))<<8^uint64(kind))
	h = mix(h, strWord(site))
	l.hash = mix(h, strWord(obj))
	l.n++
	if l.max > 0 {
		l.keep(Event{Step: step, Thread: thread, Kind: kind, Site: site, Obj: obj})
	}
}

// keep puts ev in the ring.
func (l *eventLog) keep(ev Event) {
	if len(l.ring) < l.max {
		l.ring = append(l.ring, ev)
	} else {
		l.ring[(l.n-1)%l.max] = ev
	}
}

// events returns the kept events, oldest first.
func (l *eventLog) events() []Event {
	c := l.max
	if len(l.ring) < c {
		return append([]Event(nil), l.ring...)
	}
	out := make([]Event, 0, c)
	out = append(out, l.ring[l.n%c:]...)
	return append(out, l.ring[:l.n%c]...)
}
