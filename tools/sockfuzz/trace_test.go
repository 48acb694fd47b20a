package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

var traceDemo = flag.String("tracedemo", "", "write the hand-marked trace of TestTraceMarksOnRealRun to this file (docs/trace.png shows it)")

// node is an element of a parsed page: the page is XHTML-ish by design, so encoding/xml reads it.
type node struct {
	name string
	attr map[string]string
	kids []*node
	text string // all text inside, descendants' included
}

func parsePage(t *testing.T, page []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	root := &node{name: "#root"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, n := range stack {
				n.text += string(tok)
			}
		}
	}
	if len(stack) != 1 {
		t.Fatalf("page has %d unclosed elements", len(stack)-1)
	}
	return root
}

func (n *node) hasClass(c string) bool { return slices.Contains(strings.Fields(n.attr["class"]), c) }

// find returns the descendants named name that have every class given, in document order.
func (n *node) find(name string, classes ...string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		for _, k := range m.kids {
			ok := k.name == name
			for _, c := range classes {
				ok = ok && k.hasClass(c)
			}
			if ok {
				out = append(out, k)
			}
			walk(k)
		}
	}
	walk(n)
	return out
}

// page is a parsed trace view with its rows indexed.
type page struct {
	root  *node
	cols  []string         // thread column names, in order
	rows  []*node          // tbody rows, notes included
	byID  map[string]*node // rows by id
	notes []*node
	evs   []*node
}

func readPage(t *testing.T, b []byte) *page {
	t.Helper()
	p := &page{root: parsePage(t, b), byID: map[string]*node{}}
	for _, th := range p.root.find("th", "th") {
		p.cols = append(p.cols, th.text)
	}
	tbody := p.root.find("tbody")
	if len(tbody) != 1 {
		t.Fatalf("page has %d tbody elements, want 1", len(tbody))
	}
	for _, tr := range tbody[0].kids {
		p.rows = append(p.rows, tr)
		p.byID[tr.attr["id"]] = tr
		switch {
		case tr.hasClass("note"):
			p.notes = append(p.notes, tr)
		case tr.hasClass("ev"):
			p.evs = append(p.evs, tr)
		}
	}
	return p
}

// cell returns row's cell in thread column col (0-based; the step column is skipped).
func (p *page) cell(t *testing.T, row *node, col string) *node {
	t.Helper()
	i := slices.Index(p.cols, col)
	if i < 0 {
		t.Fatalf("no column %q in %q", col, p.cols)
	}
	if len(row.kids) != len(p.cols)+1 {
		t.Fatalf("row %s has %d cells, want %d", row.attr["id"], len(row.kids), len(p.cols)+1)
	}
	return row.kids[i+1]
}

// barClasses returns the classes of the bars in a cell, one string per bar, without the
// colour and slot classes.
func barClasses(c *node) []string {
	var out []string
	for _, b := range c.find("i", "bar") {
		var keep []string
		for _, f := range strings.Fields(b.attr["class"]) {
			if f == "bar" || len(f) == 2 && (f[0] == 'c' || f[0] == 's') {
				continue
			}
			keep = append(keep, f)
		}
		out = append(out, strings.Join(append([]string{"bar"}, keep...), " "))
	}
	return out
}

const seed = "../../corpus/seeds/27_udp_close_while_receiving.prog"

// TestTraceSeed draws a corpus seed through the command and checks the page against an
// execution of its own: a column per thread, a row per event in its thread's column, lock
// bars where the locks are held, the program text, identical bytes on a second run.
func TestTraceSeed(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "trace.html")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"trace", seed, "-html", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("trace exited %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := repro.Parse(seed, src)
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := traceRun(prog)
	if err != nil {
		t.Fatal(err)
	}
	p := readPage(t, b)

	wantCols := slices.Clone(o.Threads)
	for _, ev := range o.Events {
		if ev.Thread == sched.ClockID && !slices.Contains(wantCols, "clock") {
			wantCols = append(wantCols, "clock")
		}
	}
	if got := slices.Sorted(slices.Values(p.cols)); !slices.Equal(got, slices.Sorted(slices.Values(wantCols))) {
		t.Errorf("columns %q, want one per thread %q", p.cols, wantCols)
	}
	if !slices.Equal(p.cols[:3], []string{"p0", "p1", "p2"}) {
		t.Errorf("columns %q: the processes should come first, in program order", p.cols)
	}
	if len(p.evs) != len(o.Events) || len(p.notes) != 0 {
		t.Fatalf("%d event rows and %d notes, want %d and 0", len(p.evs), len(p.notes), len(o.Events))
	}
	locks := 0
	for i, ev := range o.Events {
		row := p.evs[i]
		name := threadName(o, ev.Thread)
		filled := row.find("td", "ev")
		if len(filled) != 1 || filled[0] != p.cell(t, row, name) {
			t.Fatalf("row %d (step %d): want exactly the %s cell filled", i, ev.Step, name)
		}
		if !strings.Contains(filled[0].text, ev.Obj) || row.kids[0].text != fmt.Sprint(ev.Step) {
			t.Errorf("row %d: text %q, step %q; want %v", i, filled[0].text, row.kids[0].text, ev)
		}
		if ev.Kind == sched.EvLock {
			locks++
			if bars := barClasses(filled[0]); !slices.Contains(bars, "bar top") {
				t.Errorf("row %d: lock %s: bars %q, want one starting here", i, ev.Obj, bars)
			}
		}
		if ev.Kind == sched.EvUnlock && !slices.ContainsFunc(barClasses(filled[0]), func(s string) bool { return strings.HasSuffix(s, "bot") }) {
			t.Errorf("row %d: unlock %s: bars %q, want one ending here", i, ev.Obj, barClasses(filled[0]))
		}
	}
	if locks == 0 {
		t.Fatal("the seed takes no locks: pick another seed")
	}
	if pre := p.root.find("pre", "src"); len(pre) != 1 || pre[0].text != string(src) {
		t.Errorf("program text not shown verbatim")
	}
	if strings.Contains(string(b), "http") || strings.Contains(string(b), " src=") {
		t.Errorf("page refers to an external resource")
	}

	if code := run([]string{"trace", "-html", filepath.Join(dir, "again.html"), seed}, &stdout, &stderr); code != 0 {
		t.Fatalf("trace exited %d: %s", code, stderr.String())
	}
	again, err := os.ReadFile(filepath.Join(dir, "again.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again) {
		t.Error("two traces of the same program differ")
	}

	// A cap on the rows draws the last ones and says how many were left out.
	if code := run([]string{"trace", "-events", "50", "-html", out, seed}, &stdout, &stderr); code != 0 {
		t.Fatalf("trace exited %d: %s", code, stderr.String())
	}
	b, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	p = readPage(t, b)
	if len(p.evs) != 50 || p.evs[0].kids[0].text != fmt.Sprint(o.Events[len(o.Events)-50].Step) {
		t.Errorf("-events 50: %d rows, want the last 50", len(p.evs))
	}
	el := p.root.find("p", "elided")
	if want := fmt.Sprintf("%d earlier events", len(o.Events)-50); len(el) != 1 || !strings.Contains(el[0].text, want) {
		t.Errorf("-events 50: want a note saying %q", want)
	}
}

// TestTraceMarks draws a hand-made outcome: a contended lock, a failed and a successful
// trylock, a race between two accesses reported at the later one, a report seen between
// events, and names that need escaping.
func TestTraceMarks(t *testing.T) {
	ev := func(step int, th sched.ID, k sched.EventKind, site, obj string) sched.Event {
		return sched.Event{Step: step, Thread: th, Kind: k, Site: site, Obj: obj}
	}
	const p0, isr, wire = 0, 1, 2
	o := &repro.Outcome{
		Threads: []string{"p<0>", "netisr0", "wire"},
		Events: []sched.Event{
			ev(1, p0, sched.EvLock, "lock", "L"),                // e0
			ev(2, p0, sched.EvStore, "w<site>", "word&1"),       // e1: 1st
			ev(3, isr, sched.EvLock, "lock", "L"),               // e2: contended
			ev(4, isr, sched.EvBlock, "mutex", "L"),             // e3
			ev(5, p0, sched.EvUnlock, "unlock", "L"),            // e4
			ev(6, isr, sched.EvLoad, "r", "word&1"),             // e5: later access, R1
			ev(7, isr, sched.EvUnlock, "unlock", "L"),           // e6
			ev(8, p0, sched.EvTryLock, "trylock", "M"),          // e7: fails (no unlock after)
			ev(8, sched.ClockID, sched.EvFire, "fire", "timer"), // e8: R2 is seen after this
			ev(9, wire, sched.EvTryLock, "trylock", "M"),        // e9: succeeds
			ev(10, wire, sched.EvUnlock, "unlock", "M"),         // e10
			ev(11, p0, sched.EvExit, "exit", `p<0>"`),           // e11
		},
		Result: &sched.Result{Status: sched.Done, Steps: 11, Races: []sched.Race{{Word: "word&1",
			Prev: sched.Access{Thread: p0, Name: "p<0>", Site: "w<site>", Write: true, Step: 2},
			Cur:  sched.Access{Thread: isr, Name: "netisr0", Site: "r", Step: 6}}}},
		Reports: []oracle.Report{
			{Oracle: oracle.DataRace, Title: "data race: <b>w</b>", Detail: "a & b", Thread: isr, Step: 6},
			{Oracle: oracle.LostWakeup, Title: "lost wakeup <i>", Detail: "no thread", Thread: -1, Step: 8},
		},
		Calls: []repro.CallResult{{Proc: "p<0>", Call: &repro.Call{Name: "close", Args: []repro.Arg{repro.ResArg(0)}, Result: -1}, Done: true}},
	}
	src := "# <script>alert(1)</script> & \"quotes\"\nproc p0\n  close(r0)\n"
	var buf bytes.Buffer
	if err := writeTraceHTML(&buf, buildTraceView(traceInput{File: "x<y>.prog", Source: src,
		Program: &repro.Program{Procs: []repro.Proc{{Name: "p<0>"}}}, Target: bsdTarget(t), Outcome: o, Events: 100})); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	for _, bad := range []string{"<script>alert", "<b>w</b>", "<i>", "x<y>", "p<0>"} {
		if strings.Contains(raw, bad) {
			t.Errorf("page contains %q unescaped", bad)
		}
	}
	p := readPage(t, buf.Bytes())
	if pre := p.root.find("pre", "src"); len(pre) != 1 || pre[0].text != src {
		t.Errorf("program text: want it verbatim")
	}
	if !slices.Equal(p.cols, []string{"p<0>", "netisr0", "wire", "clock"}) {
		t.Errorf("columns %q", p.cols)
	}
	// The groups come from the thread roles: the executor's, the target's, the clock.
	var groups []string
	for _, th := range p.root.find("th", "th") {
		groups = append(groups, th.attr["class"])
	}
	if want := []string{"th g-proc", "th g-netisr", "th g-wire", "th g-clock"}; !slices.Equal(groups, want) {
		t.Errorf("column classes %q, want %q", groups, want)
	}
	if len(p.evs) != len(o.Events) || len(p.notes) != 1 {
		t.Fatalf("%d event rows, %d notes; want %d and 1", len(p.evs), len(p.notes), len(o.Events))
	}
	if i := slices.Index(p.rows, p.notes[0]); i != 9 || !strings.Contains(p.notes[0].text, "lost wakeup <i>") {
		t.Errorf("note at row %d (%q), want it after the clock's event, at row 9", i, p.notes[0].text)
	}
	titles := p.root.find("a", "title")
	if len(titles) != 2 || titles[0].text != "data race: <b>w</b>" || titles[0].attr["href"] != "#e5" || titles[1].attr["href"] != "#n2" {
		t.Errorf("report titles in the header: %d, want both, linking to their rows", len(titles))
	}
	if v := p.root.find("span", "verdict"); len(v) != 1 || !v[0].hasClass("bad") || !strings.Contains(v[0].text, "2 reports") {
		t.Errorf("verdict: want FAILED with 2 reports")
	}

	var viol []string
	for _, r := range p.evs {
		if r.hasClass("viol") {
			viol = append(viol, r.attr["id"])
		}
	}
	if !slices.Equal(viol, []string{"e5"}) {
		t.Errorf("violation rows %q, want [e5]", viol)
	}
	tests := []struct {
		row, col string
		class    string   // a class the cell must have, "" for none
		bars     []string // the cell's bars
	}{
		{"e0", "p<0>", "ev", []string{"bar top"}},
		{"e1", "p<0>", "mr", []string{"bar"}},
		{"e2", "netisr0", "ev", []string{"bar top wait"}},
		{"e2", "p<0>", "", []string{"bar"}},
		{"e3", "netisr0", "ev", []string{"bar wait"}},
		{"e4", "netisr0", "", []string{"bar wait"}},
		{"e4", "p<0>", "ev", []string{"bar bot"}},
		{"e5", "netisr0", "mv", []string{"bar"}},
		{"e5", "p<0>", "", nil},
		{"e6", "netisr0", "ev", []string{"bar bot"}},
		{"e7", "p<0>", "ev", nil},
		{"e8", "clock", "ev", nil},
		{"e9", "wire", "ev", []string{"bar top"}},
		{"e10", "wire", "ev", []string{"bar bot"}},
	}
	for _, tc := range tests {
		c := p.cell(t, p.byID[tc.row], tc.col)
		if tc.class != "" && !c.hasClass(tc.class) {
			t.Errorf("%s/%s: class %q, want %q", tc.row, tc.col, c.attr["class"], tc.class)
		}
		got := barClasses(c)
		for i := range got {
			f := strings.Fields(got[i])
			slices.Sort(f[1:])
			got[i] = strings.Join(f, " ")
		}
		if !slices.Equal(got, tc.bars) {
			t.Errorf("%s/%s: bars %q, want %q", tc.row, tc.col, got, tc.bars)
		}
	}
	if b := p.cell(t, p.byID["e5"], "netisr0").find("a", "b"); len(b) != 1 || b[0].text != "R1" || b[0].attr["href"] != "#r1" {
		t.Errorf("violation cell: want an R1 badge linking to the report")
	}
}

// TestTraceMarksOnRealRun marks a real run of a seed as if a race had been found between two
// of its accesses (the stack is correct, so no seed fails yet): the marks land on those rows.
// With -tracedemo FILE it writes the page, the one docs/trace.png shows.
func TestTraceMarksOnRealRun(t *testing.T) {
	src, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := repro.Parse(seed, src)
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := traceRun(prog)
	if err != nil {
		t.Fatal(err)
	}
	prev, cur := -1, -1
	for i, ev := range o.Events {
		name := threadName(o, ev.Thread)
		if prev < 0 && name == "p0" && ev.Obj == "so_rcv.ssb_flags" && ev.Site == "ssb_wait" {
			prev = i
		}
		if prev >= 0 && cur < 0 && name == "netisr0" && ev.Obj == "so_rcv.ssb_flags" {
			cur = i
		}
	}
	if prev < 0 || cur < 0 {
		t.Fatal("the seed's trace has no p0 ssb_wait and later netisr0 access of so_rcv.ssb_flags")
	}
	access := func(i int, write bool) sched.Access {
		ev := o.Events[i]
		return sched.Access{Thread: ev.Thread, Name: threadName(o, ev.Thread), Site: ev.Site, Write: write, Step: ev.Step}
	}
	race := sched.Race{Word: "so0.so_rcv.ssb_flags", Prev: access(prev, false), Cur: access(cur, true)}
	o.Result.Races = append(o.Result.Races, race)
	o.Reports = append(o.Reports, oracle.Report{Oracle: oracle.DataRace, Title: "data race on so_rcv.ssb_flags: ssb_wait vs sowakeup",
		Detail: race.String(), Thread: race.Cur.Thread, Step: race.Cur.Step})
	v := buildTraceView(traceInput{File: "corpus/seeds/27_udp_close_while_receiving.prog", Source: string(src),
		Program: prog, Target: bsdTarget(t), Outcome: o, Events: defaultTraceEvents,
		Note: "Demonstration: this run is clean; the race and its report were added by hand to show how a violation is drawn."})
	var buf bytes.Buffer
	if err := writeTraceHTML(&buf, v); err != nil {
		t.Fatal(err)
	}
	p := readPage(t, buf.Bytes())
	if c := p.cell(t, p.evs[prev], "p0"); !c.hasClass("mr") {
		t.Errorf("1st (row %d): class %q, want mr", prev, c.attr["class"])
	}
	if c := p.cell(t, p.evs[cur], "netisr0"); !c.hasClass("mv") || !p.evs[cur].hasClass("viol") {
		t.Errorf("later access (row %d): want the violation marks", cur)
	}
	if *traceDemo != "" {
		if err := writeFileAtomic(*traceDemo, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTraceArgs(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args     []string
		wantCode int
		wantErr  string
		wantOut  string
	}{
		{[]string{"trace"}, 2, "want one program file, got 0", ""},
		{[]string{"trace", "-html", "x.html", "a.prog", "b.prog"}, 2, "want one program file, got 2", ""},
		{[]string{"trace", "testdata/clean.prog"}, 2, "-html FILE is required", ""},
		{[]string{"trace", "-events", "0", "-html", "x.html", "testdata/clean.prog"}, 2, "-events 0", ""},
		{[]string{"trace", "-html", "x.html", "testdata/nosuch.prog"}, 2, "no such file", ""},
		{[]string{"trace", "-html", "x.html", "testdata/badport.prog"}, 2, "testdata/badport.prog:3:", ""},
		{[]string{"trace", "-html", filepath.Join(dir, "nodir", "x.html"), "testdata/clean.prog"}, 2, "nodir", ""},
		{[]string{"trace", "-html", filepath.Join(dir, "ok.html"), "testdata/clean.prog"}, 0, "", "clean; "},
		{[]string{"trace", "testdata/clean.prog", "-html", "-"}, 0, "", "<!DOCTYPE html>"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.wantCode {
			t.Errorf("run(%q) = %d, want %d", tc.args, code, tc.wantCode)
		}
		if !strings.Contains(errb.String(), tc.wantErr) {
			t.Errorf("run(%q) stderr = %q, want it to contain %q", tc.args, errb.String(), tc.wantErr)
		}
		if !strings.Contains(out.String(), tc.wantOut) {
			t.Errorf("run(%q) stdout = %.100q, want it to contain %q", tc.args, out.String(), tc.wantOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ok.html")); err != nil {
		t.Errorf("the page was not written: %v", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the page (no temporary files left)", len(ents))
	}
}

// TestLockHolds checks the reading of lock events: slots are reused, a release with no
// acquisition in the log began before it, a lock never released is held to the end.
func TestLockHolds(t *testing.T) {
	ev := func(th sched.ID, k sched.EventKind, obj string) sched.Event {
		return sched.Event{Thread: th, Kind: k, Obj: obj}
	}
	type span struct {
		obj                     string
		from, to, grant, slot   int
		open, headless, granted bool
	}
	tests := []struct {
		name string
		evs  []sched.Event
		want []span
	}{
		{"nested, slot reused", []sched.Event{
			ev(0, sched.EvLock, "A"), ev(0, sched.EvLock, "B"), ev(0, sched.EvUnlock, "A"),
			ev(0, sched.EvLock, "C"), ev(0, sched.EvUnlock, "C"), ev(0, sched.EvUnlock, "B"),
		}, []span{{"A", 0, 2, 0, 0, false, false, true}, {"B", 1, 5, 1, 1, false, false, true}, {"C", 3, 4, 3, 0, false, false, true}}},
		{"released before the log, held past it", []sched.Event{
			ev(0, sched.EvYield, ""), ev(0, sched.EvUnlock, "A"), ev(0, sched.EvLock, "B"), ev(0, sched.EvYield, ""),
		}, []span{{"A", 0, 1, 0, 0, false, true, true}, {"B", 2, 3, 2, 0, true, false, true}}},
		{"preempted before the grant", []sched.Event{
			ev(0, sched.EvLock, "A"), ev(1, sched.EvYield, ""), ev(0, sched.EvUnlock, "A"),
		}, []span{{"A", 0, 2, 2, 0, false, false, true}}},
		{"never granted", []sched.Event{
			ev(0, sched.EvLock, "A"), ev(0, sched.EvBlock, "A"), ev(1, sched.EvYield, ""),
		}, []span{{"A", 0, 2, 0, 0, true, false, false}}},
		{"trylock", []sched.Event{
			ev(0, sched.EvTryLock, "A"), ev(0, sched.EvLock, "A"), ev(0, sched.EvUnlock, "A"), ev(0, sched.EvTryLock, "A"), ev(0, sched.EvUnlock, "A"),
		}, []span{{"A", 1, 2, 1, 0, false, false, true}, {"A", 3, 4, 3, 0, false, false, true}}},
	}
	for _, tc := range tests {
		var got []span
		for _, h := range lockHolds(tc.evs) {
			got = append(got, span{h.obj, h.from, h.to, h.grant, h.slot, h.open, h.headless, h.granted})
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: holds\n %v\nwant\n %v", tc.name, got, tc.want)
		}
	}
}
