package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// defaultTraceEvents is how many events a trace view draws unless -events says otherwise: a
// corpus program takes a few hundred to a few thousand; beyond that the page gets slow to
// scroll and the violation is near the end anyway.
const defaultTraceEvents = 2000

// traceCmd is `sockfuzz trace [-events N] [-target T] -html OUT FILE`: it runs the program once
// on its target (its own target line, else -target's, else bsd) under its schedule, keeping
// every event, and writes a static HTML page drawing the interleaving (one
// column per thread, one row per event, lock holds as bars, the violation and racing accesses
// highlighted). The flags may come before or after FILE. Exit status as replay's: 0 clean,
// 1 when an oracle fired (the page is written either way), 2 for a bad file or argument.
func traceCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("html", "", "write the trace view to this file (- for standard output)")
	events := fs.Int("events", defaultTraceEvents, "events drawn, the last ones (1 to 1000000)")
	tname := programTargetFlag(fs)
	// flag stops at the first operand; parse again after it so that `trace FILE -html out`
	// works as well as `trace -html out FILE`.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(files) != 1:
		fmt.Fprintf(stderr, "sockfuzz trace: want one program file, got %d\n", len(files))
		return 2
	case *out == "":
		fmt.Fprintln(stderr, "sockfuzz trace: -html FILE is required (for a text trace: sockfuzz replay -trace N FILE)")
		return 2
	case *events < 1 || *events > 1_000_000:
		fmt.Fprintf(stderr, "sockfuzz trace: -events %d: want 1 to 1000000\n", *events)
		return 2
	}
	file := files[0]
	src, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz trace: %v\n", err)
		return 2
	}
	p, err := repro.Parse(file, src)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz trace: %v\n", err)
		return 2
	}
	tgt, err := programTarget(file, p, *tname)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz trace: %v\n", err)
		return 2
	}
	o, note, err := traceRun(p)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz trace: %s: %v\n", file, err)
		return 2
	}
	v := buildTraceView(traceInput{File: file, Source: string(src), Program: p, Target: tgt, Outcome: o,
		Events: *events, Note: note})
	var buf bytes.Buffer
	if err := writeTraceHTML(&buf, v); err != nil {
		fmt.Fprintf(stderr, "sockfuzz trace: %s: %v\n", file, err)
		return 2
	}
	if *out == "-" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			fmt.Fprintf(stderr, "sockfuzz trace: %v\n", err)
			return 2
		}
	} else {
		if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
			fmt.Fprintf(stderr, "sockfuzz trace: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "%s: %s; %d of %d events drawn in %s\n", file, verdict(o), len(v.Rows)-v.notes, len(o.Events), *out)
	}
	if o.Failed() {
		return 1
	}
	return 0
}

// traceRun executes p keeping every event. A free-mode program has no event order to draw:
// it runs controlled under its schedule instead, and the note says so.
func traceRun(p *repro.Program) (*repro.Outcome, string, error) {
	// Every scheduling point is an event, so the step budget bounds the events; a few more
	// (thread exits) come after it.
	opt := repro.Options{LogSize: repro.DefaultStepBudget + 1024}
	note := ""
	if p.Header.Mode == repro.Free {
		opt.Mode = repro.Controlled
		note = "This program runs in free mode, which keeps no event order; it is drawn here as run in controlled mode under its schedule."
	}
	o, err := repro.Execute(p, opt)
	return o, note, err
}

// writeFileAtomic writes data to path through a temporary file in the same directory, synced
// and renamed, so that a reader never sees half a page.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// traceInput is what a trace view is drawn from: an outcome and the program's text, so that
// tests can draw hand-made outcomes as well as real runs.
type traceInput struct {
	File    string
	Source  string         // the program's text, shown verbatim
	Program *repro.Program // its processes' columns come first, in order
	Target  stack.Target   // the program's target, which tells the roles of its own threads
	Outcome *repro.Outcome
	Events  int    // at most this many events are drawn, the last ones
	Note    string // shown under the verdict
}

// traceView is the page's data, every string still unescaped (the template escapes).
type traceView struct {
	File, Note, Source string
	Failed             bool
	Verdict, Summary   string
	Reports            []reportView
	Calls              []callView
	Cols               []colView
	Rows               []traceRow
	Locks              []lockView
	// Elided counts the execution's events before the first row drawn.
	Elided int
	// Width is the trace table's width in pixels.
	Width int
	// FirstStep is the step of the first event drawn.
	FirstStep int
	// Offstage lists marked accesses that fall before the first row drawn.
	Offstage []string
	notes    int // rows that are notes, not events
}

type reportView struct {
	N                            int
	Title, Oracle, Detail, Where string
	Href                         string // the row where it was seen, "" when not drawn
	Prev, PrevHref, Cur, CurHref string // a race's two accesses
}

type callView struct{ Proc, Call, Result string }

type colView struct {
	Name, Group string
	Width       int // pixels
}

type lockView struct {
	Name  string
	Color int
	Obj   int
}

// traceRow is one event (or a note spanning the columns: a report seen between events).
type traceRow struct {
	ID, Class string
	Step      int
	Note      string
	Cells     []traceCell
}

type traceCell struct {
	Class, Text, Title string
	Obj                int // object number for hover highlighting, 0 for none
	Bars               []traceBar
	Badges             []badge
}

type badge struct{ Text, Href, Class, Title string }

type traceBar struct {
	Class, Lock string
	Obj         int
}

// Column groups, in display order: the processes, then what the stack runs for them.
var groupRank = map[string]int{"proc": 0, "script": 1, "netisr": 2, "wire": 3, "clock": 4, "other": 5, "reaper": 6}

// roleGroup is the column group of each thread role. Protocol threads keep the name of the
// first target's, bsd's netisrs, which the page's style and its readers know them by.
var roleGroup = map[stack.Role]string{stack.RoleProcess: "proc", stack.RoleScript: "script", stack.RoleProtocol: "netisr",
	stack.RoleWire: "wire", stack.RoleClock: "clock", stack.RoleReaper: "reaper", stack.RoleOther: "other"}

// threadGroup classifies a thread by its role: the executor's threads (processes, the wire
// script, the reaper, the substrate's callout thread) by repro.ThreadRole, the rest by the
// target's Role; the clock's firings are the clock's.
func threadGroup(id sched.ID, name string, p *repro.Program, t stack.Target) string {
	if id == sched.ClockID {
		return "clock"
	}
	role, ok := repro.ThreadRole(p, name)
	if !ok && t != nil {
		role = t.Role(name)
	}
	if g, ok := roleGroup[role]; ok {
		return g
	}
	return "other"
}

// maxSlots is how many lock bars a cell draws side by side; deeper holds share the last slot.
const maxSlots = 6

// lockColors is the number of lock colours in the stylesheet, reused round-robin.
const lockColors = 10

// hold is a lock held (or waited for) by one thread over a run of rows (event indices).
type hold struct {
	obj           string
	thread        sched.ID
	from, to      int // rows of the request (or the first row, if before the log) and the release
	grant         int // first row where it is held; rows from..grant-1 are a wait
	slot          int
	open, granted bool // open: not released when the trace ends
	headless      bool // released with no request in the log: held since before it
	title         string
}

// buildTraceView lays out an outcome: columns, rows, lock bars and marks.
func buildTraceView(in traceInput) *traceView {
	o := in.Outcome
	v := &traceView{File: in.File, Note: in.Note, Source: in.Source, Failed: o.Failed()}
	evs := o.Events

	// Columns: every thread of the execution, the clock if it fired, and any other id seen.
	ids := map[sched.ID]string{}
	for i, name := range o.Threads {
		ids[sched.ID(i)] = name
	}
	for _, ev := range evs {
		if _, ok := ids[ev.Thread]; !ok {
			ids[ev.Thread] = threadName(o, ev.Thread)
		}
	}
	type col struct {
		id          sched.ID
		name, group string
	}
	cols := make([]col, 0, len(ids))
	for id, name := range ids {
		cols = append(cols, col{id, name, threadGroup(id, name, in.Program, in.Target)})
	}
	procRank := map[string]int{}
	for i, p := range in.Program.Procs {
		procRank[p.Name] = i
	}
	sort.Slice(cols, func(i, j int) bool {
		a, b := cols[i], cols[j]
		if ra, rb := groupRank[a.group], groupRank[b.group]; ra != rb {
			return ra < rb
		}
		if a.group == "proc" && procRank[a.name] != procRank[b.name] {
			return procRank[a.name] < procRank[b.name]
		}
		return a.id < b.id
	})
	colOf := map[sched.ID]int{}
	for i, c := range cols {
		colOf[c.id] = i
		v.Cols = append(v.Cols, colView{Name: c.name, Group: c.group})
	}

	// Object numbers, for hover highlighting, in order of first appearance.
	objs := map[string]int{}
	objNum := func(s string) int {
		if s == "" {
			return 0
		}
		if n, ok := objs[s]; ok {
			return n
		}
		objs[s] = len(objs) + 1
		return objs[s]
	}

	holds := lockHolds(evs)
	lockColor := map[string]int{}
	for _, h := range holds {
		if _, ok := lockColor[h.obj]; !ok {
			lockColor[h.obj] = len(lockColor) % lockColors
			v.Locks = append(v.Locks, lockView{Name: h.obj, Color: lockColor[h.obj], Obj: objNum(h.obj)})
		}
	}

	start := max(len(evs)-in.Events, 0)
	v.Elided = start
	if len(evs) > 0 && evs[0].Step > 1 {
		v.Elided += evs[0].Step - 1 // the log itself kept only the last events
	}

	// Marks: (thread, step) pairs resolve to the thread's last event at or before the step,
	// the scheduling point whose code saw the violation or made the access.
	perThread := map[sched.ID][]int{}
	for i, ev := range evs {
		perThread[ev.Thread] = append(perThread[ev.Thread], i)
	}
	eventAt := func(t sched.ID, step int) int {
		idx := perThread[t]
		k := sort.Search(len(idx), func(k int) bool { return evs[idx[k]].Step > step })
		if k == 0 {
			return -1
		}
		return idx[k-1]
	}
	rowID := func(i int) string { return fmt.Sprintf("e%d", i) }
	href := func(i int) string {
		if i < start {
			return ""
		}
		return "#" + rowID(i)
	}
	cellMarks := map[int][]badge{}
	viol := map[int]bool{}
	race := map[int]bool{}
	notesAfter := map[int][]traceRow{} // event index (-1: before all) -> report notes
	for n, r := range o.Reports {
		rv := reportView{N: n + 1, Title: r.Title, Oracle: r.Oracle, Detail: r.Detail}
		tag := fmt.Sprintf("R%d", n+1)
		i := -1
		if r.Thread >= 0 {
			i = eventAt(r.Thread, r.Step)
		}
		if i >= 0 {
			rv.Where = fmt.Sprintf("seen by %s after its event at step %d", threadName(o, r.Thread), evs[i].Step)
			rv.Href = href(i)
			viol[i] = true
			cellMarks[i] = append(cellMarks[i], badge{Text: tag, Href: fmt.Sprintf("#r%d", n+1), Class: "bv", Title: r.Title})
		} else {
			// Seen between events (at quiescence, at the end) or by no thread: a note row.
			at := sort.Search(len(evs), func(k int) bool { return evs[k].Step > r.Step }) - 1
			rv.Where = fmt.Sprintf("seen at step %d", r.Step)
			if r.Thread >= 0 {
				rv.Where = fmt.Sprintf("seen by %s at step %d", threadName(o, r.Thread), r.Step)
			}
			if at < start-1 {
				at = start - 1
			}
			id := fmt.Sprintf("n%d", n+1)
			notesAfter[at] = append(notesAfter[at], traceRow{ID: id, Class: "note", Note: fmt.Sprintf("%s: %s (%s)", tag, r.Title, rv.Where)})
			rv.Href = "#" + id
		}
		if rv.Href == "" {
			rv.Where += ", before the first row drawn (raise -events)"
			v.Offstage = append(v.Offstage, tag+" "+rv.Where)
		}
		v.Reports = append(v.Reports, rv)
	}
	var races []sched.Race
	if o.Result != nil {
		races = o.Result.Races
	}
	for _, rc := range races {
		for k, a := range []sched.Access{rc.Prev, rc.Cur} {
			i := eventAt(a.Thread, a.Step)
			if i < 0 {
				continue
			}
			race[i] = true
			which, tag := "earlier", "1st"
			if k == 1 {
				which, tag = "later", "2nd"
			}
			cellMarks[i] = append(cellMarks[i], badge{Text: tag, Class: "br", Title: fmt.Sprintf("the %s access of the race on %s: %v", which, rc.Word, a)})
			if i < start {
				v.Offstage = append(v.Offstage, fmt.Sprintf("race on %s: %s access by %s at step %d, before the first row drawn (raise -events)",
					rc.Word, which, threadName(o, a.Thread), evs[i].Step))
			}
		}
		// Tie the race to its report, if any, so the header can link both accesses.
		for n := range v.Reports {
			if o.Reports[n].Oracle == oracle.DataRace && o.Reports[n].Thread == rc.Cur.Thread && o.Reports[n].Step == rc.Cur.Step {
				rv := &v.Reports[n]
				rv.Prev, rv.Cur = rc.Prev.String(), rc.Cur.String()
				rv.PrevHref, rv.CurHref = href(eventAt(rc.Prev.Thread, rc.Prev.Step)), href(eventAt(rc.Cur.Thread, rc.Cur.Step))
			}
		}
	}

	// Bars by row: for each drawn row, the holds covering it.
	bars := make([][]*hold, len(evs))
	slotsUsed := make([]int, len(cols))
	for _, h := range holds {
		h.title = lockTitle(h, evs)
		from := max(h.from, start)
		for i := from; i <= h.to; i++ {
			bars[i] = append(bars[i], h)
		}
		if h.to >= start {
			slotsUsed[colOf[h.thread]] = max(slotsUsed[colOf[h.thread]], min(h.slot, maxSlots-1)+1)
		}
	}

	v.Verdict = "clean"
	if o.Failed() {
		v.Verdict = fmt.Sprintf("FAILED: %d report", len(o.Reports))
		if len(o.Reports) > 1 {
			v.Verdict += "s"
		}
	}
	if r := o.Result; r != nil {
		v.Summary = fmt.Sprintf("%s after %d steps, %d scheduling decisions, virtual time %d ms", r.Status, r.Steps, len(r.Choices), r.Now)
	}
	for _, c := range o.Calls {
		res := "not reached"
		if c.Done {
			res = fmt.Sprintf("= %d %v", c.N, c.Err)
		}
		v.Calls = append(v.Calls, callView{Proc: c.Proc, Call: c.Call.String(), Result: res})
	}

	addNotes := func(at int) {
		v.Rows = append(v.Rows, notesAfter[at]...)
		v.notes += len(notesAfter[at])
	}
	if start < len(evs) {
		v.FirstStep = evs[start].Step
	}
	addNotes(start - 1)
	textLens := make([][]int, len(cols))
	for i := start; i < len(evs); i++ {
		ev := evs[i]
		row := traceRow{ID: rowID(i), Class: "ev", Step: ev.Step, Cells: make([]traceCell, len(cols))}
		if viol[i] {
			row.Class += " viol"
		}
		for c := range row.Cells {
			if n := slotsUsed[c]; n > 0 {
				row.Cells[c].Class = fmt.Sprintf("p%d", n)
			}
		}
		for _, h := range bars[i] {
			cls := fmt.Sprintf("bar s%d c%d", min(h.slot, maxSlots-1), lockColor[h.obj])
			if !h.granted || i < h.grant {
				cls += " wait"
			}
			if i == h.from && !h.headless {
				cls += " top"
			}
			if i == h.to && !h.open {
				cls += " bot"
			}
			if h.open && i == len(evs)-1 {
				cls += " open"
			}
			cell := &row.Cells[colOf[h.thread]]
			cell.Bars = append(cell.Bars, traceBar{Class: cls, Lock: h.title, Obj: objNum(h.obj)})
		}
		cell := &row.Cells[colOf[ev.Thread]]
		cell.Class = strings.TrimSpace("ev k-" + kindGroup(ev.Kind) + " " + cell.Class)
		if viol[i] {
			cell.Class += " mv"
		} else if race[i] {
			cell.Class += " mr"
		}
		cell.Text, cell.Title = eventText(ev, threadName(o, ev.Thread))
		cell.Obj = objNum(ev.Obj)
		cell.Badges = cellMarks[i]
		textLens[colOf[ev.Thread]] = append(textLens[colOf[ev.Thread]], len(cell.Text)+4*len(cell.Badges))
		v.Rows = append(v.Rows, row)
		addNotes(i)
	}
	v.Width = traceStepWidth
	for c := range v.Cols {
		v.Cols[c].Width = colWidth(v.Cols[c].Name, textLens[c], slotsUsed[c])
		v.Width += v.Cols[c].Width
	}
	return v
}

// lockTitle is a bar's tooltip: the lock and the steps it was held over.
func lockTitle(h *hold, evs []sched.Event) string {
	from := "before the log"
	if !h.headless {
		from = fmt.Sprintf("step %d", evs[h.from].Step)
	}
	to := "the end"
	if !h.open {
		to = fmt.Sprintf("step %d", evs[h.to].Step)
	}
	s := fmt.Sprintf("%s held from %s to %s", h.obj, from, to)
	if h.grant > h.from || !h.granted {
		s = fmt.Sprintf("%s requested at %s", h.obj, from)
		if h.granted {
			s += fmt.Sprintf(", held from step %d to %s", evs[h.grant].Step, to)
		} else {
			s += ", not held by the end"
		}
	}
	return s
}

// lockHolds finds each thread's lock holds in the events. A lock event is the point before
// the acquisition: the thread holds the lock from its next event that is not a block (if it
// blocked first, it waited). A trylock succeeded if the thread's next event on that lock is an
// unlock. An unlock with no request in the log ends a hold that began before it.
func lockHolds(evs []sched.Event) []*hold {
	type key struct {
		t   sched.ID
		obj string
	}
	// nextOn[i]: the kind of the thread's next lock event on the same object, for trylocks.
	nextOn := make([]sched.EventKind, len(evs))
	seen := map[key]sched.EventKind{}
	for i := len(evs) - 1; i >= 0; i-- {
		ev := evs[i]
		if !isLockKind(ev.Kind) {
			continue
		}
		k := key{ev.Thread, ev.Obj}
		if nk, ok := seen[k]; ok {
			nextOn[i] = nk
		} else {
			nextOn[i] = sched.EvYield // none
		}
		seen[k] = ev.Kind
	}

	var out []*hold
	active := map[key]*hold{}
	slots := map[sched.ID][]bool{}
	take := func(t sched.ID) int {
		s := slots[t]
		for i, used := range s {
			if !used {
				s[i] = true
				return i
			}
		}
		slots[t] = append(s, true)
		return len(s)
	}
	pending := map[sched.ID][]*hold{}

	// Headless holds first: their bars start at the top, so they take their slots first.
	depth := map[key]int{}
	for i, ev := range evs {
		k := key{ev.Thread, ev.Obj}
		switch {
		case ev.Kind == sched.EvLock || ev.Kind == sched.EvTryLock && nextOn[i] == sched.EvUnlock:
			depth[k]++
		case ev.Kind == sched.EvUnlock:
			if depth[k] > 0 {
				depth[k]--
			} else if active[k] == nil {
				h := &hold{obj: ev.Obj, thread: ev.Thread, from: 0, grant: 0, granted: true, headless: true, open: true, slot: take(ev.Thread)}
				active[k] = h
				out = append(out, h)
			}
		}
	}
	for i, ev := range evs {
		k := key{ev.Thread, ev.Obj}
		if ev.Kind != sched.EvBlock {
			// The thread runs on: what it requested, it now holds. Granted at once (its
			// very next row), the request row counts as held.
			for _, h := range pending[ev.Thread] {
				h.grant, h.granted = i, true
				if h.from+1 == i {
					h.grant = h.from
				}
			}
			pending[ev.Thread] = pending[ev.Thread][:0]
		}
		switch ev.Kind {
		case sched.EvLock:
			h := &hold{obj: ev.Obj, thread: ev.Thread, from: i, slot: take(ev.Thread), open: true}
			out = append(out, h)
			active[k] = h
			pending[ev.Thread] = append(pending[ev.Thread], h)
		case sched.EvTryLock:
			if nextOn[i] == sched.EvUnlock {
				h := &hold{obj: ev.Obj, thread: ev.Thread, from: i, grant: i, granted: true, slot: take(ev.Thread), open: true}
				out = append(out, h)
				active[k] = h
			}
		case sched.EvUnlock:
			if h := active[k]; h != nil {
				h.to, h.open = i, false
				slots[ev.Thread][h.slot] = false
				delete(active, k)
			}
		}
	}
	for _, h := range out {
		if h.open {
			h.to = len(evs) - 1
		}
	}
	return out
}

func isLockKind(k sched.EventKind) bool {
	return k == sched.EvLock || k == sched.EvTryLock || k == sched.EvUnlock
}

// kindGroup names an event kind's colour class.
func kindGroup(k sched.EventKind) string {
	switch k {
	case sched.EvLock, sched.EvUnlock, sched.EvTryLock:
		return "lk"
	case sched.EvBlock, sched.EvSleep, sched.EvJoin:
		return "bl"
	case sched.EvWakeup:
		return "wk"
	case sched.EvSend, sched.EvRecv, sched.EvReply:
		return "msg"
	case sched.EvLoad, sched.EvStore, sched.EvRMW:
		return "mem"
	case sched.EvAtomic:
		return "at"
	case sched.EvTimer, sched.EvFire:
		return "tm"
	}
	return "th"
}

// kindWords are the cell texts of the memory kinds: accesses are most of a trace, so their
// kinds are short (an atomic access shows no kind at all, only its colour).
var kindWords = map[sched.EventKind]string{sched.EvAtomic: "", sched.EvLoad: "ld", sched.EvStore: "st"}

// eventText is a cell's text and its tooltip: the kind, the site when it says more than the
// kind, and the object.
func eventText(ev sched.Event, thread string) (text, title string) {
	kind := ev.Kind.String()
	var rest []string
	if ev.Site != "" && ev.Site != kind {
		rest = append(rest, ev.Site)
	}
	if ev.Obj != "" {
		rest = append(rest, ev.Obj)
	}
	word, short := kindWords[ev.Kind]
	if !short {
		word = kind
	}
	shown := rest
	if word != "" {
		shown = append([]string{word}, rest...)
	}
	full := append([]string{kind}, rest...)
	return strings.Join(shown, " "), fmt.Sprintf("step %d, %s: %s", ev.Step, thread, strings.Join(full, " "))
}

// Column widths: a monospace character is about charPx wide at the trace's font size.
const (
	charPx      = 6.6
	minColChars = 10
	maxColChars = 30
)

// colWidth sizes a column to most of its texts (the 85th percentile of their lengths, so that
// one long name does not widen it), within bounds; longer texts are cut, whole on hover.
func colWidth(name string, lens []int, slots int) int {
	sort.Ints(lens)
	n := len(name) + 2
	if len(lens) > 0 {
		n = max(n, lens[len(lens)*85/100])
	}
	n = min(max(n, minColChars), maxColChars)
	return int(float64(n)*charPx) + 10 + 5*slots
}
