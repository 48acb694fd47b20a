package sched

import "fmt"

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
	ring []Event
	n    int // events added
	hash uint64
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (l *eventLog) init(size int) {
	l.hash = fnvOffset
	if size > 0 {
		l.ring = make([]Event, 0, size)
	}
}

func (l *eventLog) add(ev Event) {
	h := l.hash
	h = (h ^ uint64(ev.Step)) * fnvPrime
	h = (h ^ uint64(uint32(ev.Thread))) * fnvPrime
	h = (h ^ uint64(ev.Kind)) * fnvPrime
	for i := 0; i < len(ev.Site); i++ {
		h = (h ^ uint64(ev.Site[i])) * fnvPrime
	}
	h = (h ^ 0xff) * fnvPrime
	for i := 0; i < len(ev.Obj); i++ {
		h = (h ^ uint64(ev.Obj[i])) * fnvPrime
	}
	l.hash = h
	if c := cap(l.ring); c > 0 {
		if len(l.ring) < c {
			l.ring = append(l.ring, ev)
		} else {
			l.ring[l.n%c] = ev
		}
	}
	l.n++
}

// events returns the kept events, oldest first.
func (l *eventLog) events() []Event {
	c := cap(l.ring)
	if c == 0 || len(l.ring) < c {
		return append([]Event(nil), l.ring...)
	}
	out := make([]Event, 0, c)
	out = append(out, l.ring[l.n%c:]...)
	return append(out, l.ring[:l.n%c]...)
}
