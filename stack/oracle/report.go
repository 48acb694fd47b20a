package oracle

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The generic oracles, as Report.Oracle names them; a target's own oracles name themselves.
const (
	LostWakeup     = "lost-wakeup"
	DataRace       = "data-race"
	Panic          = "panic"
	Substrate      = "substrate"
	Livelock       = "livelock"
	Deadlock       = "deadlock"
	GoroutineLeaks = "goroutine-leak"
)

// Report is one violation found by an oracle.
type Report struct {
	// Oracle names the oracle that fired (LostWakeup, a target's "use-after-soclose", ...).
	Oracle string
	// Title is the stable deduplication key: it names the bug, never the run (no step, socket,
	// descriptor or thread numbers).
	Title string
	// Detail says what was seen in this run, with the ids.
	Detail string
	// Thread is the thread where the violation was seen, -1 if none.
	Thread sched.ID
	// Step is the substrate's step count when it was seen.
	Step int
	// Trace is the recent observed events, oldest first.
	Trace []string
}

// String formats the report for people: title, oracle, thread and step, detail and trace.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s] thread %d step %d\n  %s", r.Title, r.Oracle, r.Thread, r.Step, r.Detail)
	for _, ev := range r.Trace {
		b.WriteString("\n    ")
		b.WriteString(ev)
	}
	return b.String()
}

var (
	reObjID   = regexp.MustCompile(`\b(so|p)\d+\.`)
	reSockID  = regexp.MustCompile(`\bso\d+\b`)
	reHexAddr = regexp.MustCompile(`0x[0-9a-fA-F]+`)
	reIndex   = regexp.MustCompile(`\[\d+(:\d+)?(:\d+)?\]`)
	reLength  = regexp.MustCompile(`(length|capacity) \d+`)
	reGoID    = regexp.MustCompile(`goroutine \d+`)
)

// Stable strips from a name or message what varies between runs of the same bug: socket and
// process prefixes of object names ("so3.so_rcv" -> "so_rcv"), socket ids, addresses, slice
// indices and lengths, goroutine numbers.
func Stable(s string) string {
	s = reObjID.ReplaceAllString(s, "")
	s = reSockID.ReplaceAllString(s, "so")
	s = reHexAddr.ReplaceAllString(s, "0x?")
	s = reIndex.ReplaceAllString(s, "[N]")
	s = reLength.ReplaceAllString(s, "$1 N")
	s = reGoID.ReplaceAllString(s, "goroutine N")
	return s
}

// FirstLine returns s up to its first newline.
func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
