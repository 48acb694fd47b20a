package repro

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// SyntaxError is an error in a program's text, at a position: "file:line:col: expected ...,
// found ...". Line and Col count from 1; Col counts bytes.
type SyntaxError struct {
	File      string
	Line, Col int
	// Expected says what the parser wanted there; Found what it found, quoted, or "end of
	// line" or "end of file".
	Expected, Found string
}

// Error returns "file:line:col: expected X, found Y".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: expected %s, found %s", e.File, e.Line, e.Col, e.Expected, e.Found)
}

// bailout carries a SyntaxError out of the parser by panic; Parse recovers it and only it.
type bailout struct{ err *SyntaxError }

// parser reads one program, line by line; within a line it scans bytes.
type parser struct {
	file  string
	lines [][]byte
	ln    int    // index of the current line
	line  []byte // the current line without its comment
	pos   int    // scan position in line
	prog  *Program
	nres  int // resources defined so far
	// procRefs are the process references, checked once every process is known.
	procRefs []procRef
}

type procRef struct {
	name      string
	line, col int
}

// Parse reads a program's text. name is the file name errors carry. Every error about the text
// is a *SyntaxError (possibly wrapped); Parse never panics, whatever src holds.
func Parse(name string, src []byte) (prog *Program, err error) {
	p := &parser{file: name, prog: NewProgram()}
	for _, l := range bytes.Split(src, []byte("\n")) {
		p.lines = append(p.lines, bytes.TrimRight(l, "\r"))
	}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			prog, err = nil, b.err
		}
	}()
	p.program()
	if err := Validate(p.prog); err != nil {
		return nil, fmt.Errorf("%s: parsed program is invalid: %w", name, err)
	}
	return p.prog, nil
}

// next moves to the next line that is neither blank nor only a comment, strips its comment and
// reports whether there was one.
func (p *parser) next() bool {
	for ; p.ln < len(p.lines); p.ln++ {
		l := p.lines[p.ln]
		if i := bytes.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		if len(bytes.Trim(l, " \t")) > 0 {
			p.line, p.pos = l, 0
			return true
		}
	}
	p.line, p.pos = nil, 0
	return false
}

// advance finishes the current line: nothing but a comment may follow.
func (p *parser) advance() {
	p.skipSpace()
	if p.pos < len(p.line) {
		p.fail("end of line")
	}
	p.ln++
}

func (p *parser) program() {
	// Leading comments, verbatim.
	for ; p.ln < len(p.lines); p.ln++ {
		l := p.lines[p.ln]
		t := bytes.TrimLeft(l, " \t")
		if len(t) == 0 {
			continue
		}
		if t[0] != '#' {
			break
		}
		p.prog.Comments = append(p.prog.Comments, string(t[1:]))
	}
	p.header()
	for p.next() {
		switch kw := p.peekWord(); kw {
		case "proc":
			p.proc()
		case "wire":
			p.wire()
		default:
			p.fail("proc or wire")
		}
	}
	for _, r := range p.procRefs {
		if !slices.ContainsFunc(p.prog.Procs, func(pr Proc) bool { return pr.Name == r.name }) {
			p.failAtPos(r.line, r.col, "name of a process of the program", strconv.Quote(r.name))
		}
	}
}

// header reads the header lines: target, faults, cpus, mode, sched, each at most once, in any
// order.
func (p *parser) header() {
	seen := map[string]bool{}
	for p.next() {
		kw := p.peekWord()
		switch kw {
		case "target", "faults", "cpus", "mode", "sched":
		default:
			return
		}
		if seen[kw] {
			p.fail("header line not given before (" + kw + " is)")
		}
		seen[kw] = true
		p.word()
		h := &p.prog.Header
		switch kw {
		case "target":
			h.Target = p.ident("target name")
		case "faults":
			for !p.atEnd() {
				if len(h.Faults) == MaxFaults {
					p.fail(fmt.Sprintf("end of line (at most %d faults)", MaxFaults))
				}
				col := p.pos
				f := p.ident("fault name")
				if slices.Contains(h.Faults, f) {
					p.failAt(col, "fault not named before", strconv.Quote(f))
				}
				h.Faults = append(h.Faults, f)
			}
			if len(h.Faults) == 0 {
				p.fail("fault name")
			}
		case "cpus":
			h.CPUs = int(p.intIn("cpus", MinCPUs, MaxCPUs))
		case "mode":
			col := p.skipSpace()
			switch m := p.word(); Mode(m) {
			case Controlled, Free:
				h.Mode = Mode(m)
			default:
				p.failAt(col, "mode (controlled, free)", quoteOr(m, p))
			}
		case "sched":
			h.Sched = p.schedule()
		}
		p.advance()
	}
}

// schedule reads a schedule: a kind of the substrate's registry, its parameters as name=value
// in any order (those left out take their defaults), then its data (hexadecimal bytes, or
// replay choices).
func (p *parser) schedule() Schedule {
	col := p.skipSpace()
	w := p.word()
	k, ok := sched.LookupKind(SchedKind(w))
	if !ok {
		p.failAt(col, "schedule ("+strings.Join(sched.KindNames(), ", ")+")", quoteOr(w, p))
	}
	s := k.Defaults()
	seen := map[string]bool{}
	for len(k.Params) > 0 && !p.atEnd() {
		kcol := p.pos
		key := p.word()
		i := slices.IndexFunc(k.Params, func(pm sched.Param) bool { return pm.Name == key })
		if i < 0 {
			names := make([]string, len(k.Params))
			for j, pm := range k.Params {
				names[j] = pm.Name + "=N"
			}
			p.failAt(kcol, strings.Join(names, ", "), quoteOr(key, p))
		}
		if seen[key] {
			p.failAt(kcol, "parameter not given before", strconv.Quote(key))
		}
		seen[key] = true
		p.expectByte('=')
		if pm := k.Params[i]; key == "seed" {
			s.Seed = p.number("seed", math.MaxUint64, false)
		} else {
			s.SetParam(key, uint64(p.intIn(key, int64(pm.Min), int64(pm.Max))))
		}
	}
	switch k.Data {
	case sched.DataBytes:
		if p.atEnd() {
			break
		}
		hcol := p.pos
		w := p.token()
		if len(w) > 2*MaxChoices {
			p.failAt(hcol, fmt.Sprintf("at most %d schedule bytes", MaxChoices), fmt.Sprintf("%d", len(w)/2))
		}
		b, err := hex.DecodeString(w)
		if err != nil {
			p.failAt(hcol, "schedule bytes in hexadecimal", quoteOr(w, p))
		}
		s.Bytes = b
	case sched.DataChoices:
		for !p.atEnd() {
			if len(s.Choices) == MaxChoices {
				p.fail(fmt.Sprintf("end of line (at most %d choices)", MaxChoices))
			}
			ccol := p.pos
			if p.line[p.pos] == 'c' {
				p.pos++
				if p.pos < len(p.line) && !isSpace(p.line[p.pos]) {
					p.pos = ccol
					p.fail("choice (a thread number or c)")
				}
				s.Choices = append(s.Choices, sched.ClockID)
				continue
			}
			if !isDigit(p.line[p.pos]) {
				p.fail("choice (a thread number or c)")
			}
			s.Choices = append(s.Choices, sched.ID(p.intIn("thread number", 0, MaxThreadID)))
		}
	}
	return s
}

// proc reads a process: its proc line and its calls.
func (p *parser) proc() {
	if len(p.prog.Procs) == MaxProcs {
		p.skipSpace()
		p.fail(fmt.Sprintf("at most %d processes", MaxProcs))
	}
	p.word()
	col := p.skipSpace()
	name := p.ident("process name")
	if slices.ContainsFunc(p.prog.Procs, func(pr Proc) bool { return pr.Name == name }) {
		p.failAt(col, "process name not used before", strconv.Quote(name))
	}
	p.advance()
	pr := Proc{Name: name}
	for p.next() {
		switch p.peekWord() {
		case "proc", "wire":
			p.prog.Procs = append(p.prog.Procs, pr)
			return
		}
		if len(pr.Calls) == MaxCalls {
			p.skipSpace()
			p.fail(fmt.Sprintf("at most %d calls in process %s", MaxCalls, name))
		}
		pr.Calls = append(pr.Calls, p.call())
		p.advance()
	}
	p.prog.Procs = append(p.prog.Procs, pr)
}

// call reads "[rN =] name(args)".
func (p *parser) call() Call {
	c := Call{Result: -1}
	col := p.skipSpace()
	w := p.word()
	save := p.pos
	p.skipSpace()
	if p.pos < len(p.line) && p.line[p.pos] == '=' {
		if n, ok := resIndex(w); !ok || n != p.nres {
			p.failAt(col, fmt.Sprintf("r%d (results are numbered in order of definition)", p.nres), quoteOr(w, p))
		}
		p.pos++
		c.Result = p.nres
		col = p.skipSpace()
		w = p.word()
	} else {
		p.pos = save
	}
	sc := lookupSyscall(w)
	if sc == nil {
		p.failAt(col, "system call", quoteOr(w, p))
	}
	if c.Result >= 0 && !sc.result {
		p.failAt(col, "system call that returns a descriptor ("+resultCalls()+")", strconv.Quote(w))
	}
	c.Name, c.sc = sc.name, sc
	c.Args = p.args(sc)
	if c.Result >= 0 {
		p.nres++
	}
	return c
}

// args reads a call's parenthesized arguments by its signature.
func (p *parser) args(sc *syscall) []Arg {
	p.expectByte('(')
	var args []Arg
	first := true
	for i := range sc.params {
		pm := &sc.params[i]
		if pm.kind == pFlags {
			n := 0
			for {
				save := p.pos
				if !first {
					p.skipSpace()
					if p.pos >= len(p.line) || p.line[p.pos] != ',' {
						p.pos = save
						break
					}
					p.pos++
				}
				wcol := p.skipSpace()
				w := p.word()
				if !slices.Contains(pm.words, w) {
					if i == len(sc.params)-1 || n < int(pm.min) {
						p.failAt(wcol, pm.expect(), quoteOr(w, p))
					}
					p.pos = save
					break
				}
				if slices.Contains(args[len(args)-n:], Arg(WordArg(w))) {
					p.failAt(wcol, pm.what+" not given before", strconv.Quote(w))
				}
				args = append(args, WordArg(w))
				n++
				first = false
			}
			if n < int(pm.min) {
				p.fail(pm.expect())
			}
			continue
		}
		if !first {
			p.expectByte(',')
		}
		first = false
		args = append(args, p.arg(pm))
	}
	p.expectByte(')')
	return args
}

// arg reads one argument of kind pm.
func (p *parser) arg(pm *param) Arg {
	col := p.skipSpace()
	switch pm.kind {
	case pRes:
		w := p.word()
		n, ok := resIndex(w)
		if !ok {
			p.failAt(col, "resource rN", quoteOr(w, p))
		}
		if n >= p.nres {
			want := "resource defined earlier (none is)"
			if p.nres > 0 {
				want = fmt.Sprintf("resource defined earlier (r0..r%d)", p.nres-1)
			}
			p.failAt(col, want, strconv.Quote(w))
		}
		return ResArg(n)
	case pInt:
		return IntArg(p.intIn(pm.what, pm.min, pm.max))
	case pPort:
		if p.pos >= len(p.line) || p.line[p.pos] != ':' {
			p.fail(pm.expect())
		}
		return p.addr()
	case pAddr:
		return p.addr()
	case pEnum:
		w := p.word()
		if !slices.Contains(pm.words, w) {
			p.failAt(col, pm.expect(), quoteOr(w, p))
		}
		return WordArg(w)
	case pProc:
		name := p.ident(pm.what)
		p.procRefs = append(p.procRefs, procRef{name: name, line: p.ln + 1, col: col + 1})
		return ProcArg(name)
	}
	p.fail("argument")
	return nil
}

// wire reads the wire section.
func (p *parser) wire() {
	if p.prog.Wire != nil {
		p.fail("one wire section")
	}
	p.word()
	p.advance()
	p.prog.Wire = []WireOp{}
	for p.next() {
		if w := p.peekWord(); w == "proc" || w == "wire" {
			p.fail("wire operation (proc and wire sections come before one final wire section)")
		}
		if len(p.prog.Wire) == MaxWireOps {
			p.skipSpace()
			p.fail(fmt.Sprintf("at most %d wire operations", MaxWireOps))
		}
		p.prog.Wire = append(p.prog.Wire, p.wireOp())
		p.advance()
	}
}

func (p *parser) wireOp() WireOp {
	col := p.skipSpace()
	if p.line[p.pos] == '<' {
		p.pos++
		return WireOp{Kind: WireInject, Packet: p.packet()}
	}
	switch w := p.word(); w {
	case "drop":
		return WireOp{Kind: WireDrop}
	case "dup":
		return WireOp{Kind: WireDup}
	case "reorder":
		return WireOp{Kind: WireReorder}
	case "unreach":
		return WireOp{Kind: WireUnreach}
	case "stackclose":
		return WireOp{Kind: WireStackClose}
	case "tick":
		tcol := p.skipSpace()
		if p.token() == "2msl" {
			return WireOp{Kind: WireTick, TwoMSL: true}
		}
		p.pos = tcol
		return WireOp{Kind: WireTick, Ms: p.intIn("tick in milliseconds (or 2msl)", 1, MaxTick)}
	default:
		p.failAt(col, "wire operation (<, drop, dup, reorder, unreach, stackclose, tick)", quoteOr(w, p))
	}
	return WireOp{}
}

// packet reads an injected packet after its '<'.
func (p *parser) packet() Packet {
	pk := Packet{Proto: stack.TCP, Win: DefaultWin}
	p.skipSpace()
	pk.Src = p.addr()
	p.expectByte('>')
	p.skipSpace()
	pk.Dst = p.addr()
	col := p.skipSpace()
	if p.peekWord() == "udp" {
		p.word()
		pk.Proto, pk.Win = stack.UDP, 0
		p.expectByte('(')
		pk.Len = int(p.intIn("length", 0, MaxPayload))
		p.expectByte(')')
		return pk
	}
	flags := p.token()
	dot := false
	for i := 0; i < len(flags); i++ {
		c := flags[i]
		if c == '.' && !dot {
			dot = true
			continue
		}
		j := slices.IndexFunc(tcpFlagLetters, func(f struct {
			bit    uint8
			letter byte
		}) bool {
			return f.letter == c
		})
		if c == '.' || j < 0 || pk.Flags&tcpFlagLetters[j].bit != 0 {
			p.failAt(col+i, "TCP flags (S, F, R, P, U, each at most once, or .) or udp", quoteOr(flags[i:], p))
		}
		pk.Flags |= tcpFlagLetters[j].bit
	}
	if flags == "" {
		p.failAt(col, "TCP flags (S, F, R, P, U, or .) or udp", p.found())
	}
	p.skipSpace()
	pk.Seq = uint32(p.number("sequence number", math.MaxUint32, false))
	p.expectByte(':')
	ecol := p.skipSpace()
	end := uint32(p.number("end sequence number", math.MaxUint32, false))
	p.expectByte('(')
	lcol := p.skipSpace()
	pk.Len = int(p.intIn("length", 0, MaxPayload))
	p.expectByte(')')
	if want := pk.Seq + uint32(pk.Len); end != want {
		if end-pk.Seq <= MaxPayload {
			p.failAt(lcol, fmt.Sprintf("length %d (end - start)", end-pk.Seq), strconv.Quote(strconv.Itoa(pk.Len)))
		}
		p.failAt(ecol, fmt.Sprintf("end sequence number %d (start + length)", want), strconv.FormatUint(uint64(end), 10))
	}
	seen := map[string]bool{}
	for !p.atEnd() {
		ocol := p.pos
		o := p.word()
		switch o {
		case "ack", "win", "urg":
		default:
			p.failAt(ocol, "ack, win, urg or end of line", quoteOr(o, p))
		}
		if seen[o] {
			p.failAt(ocol, o+" not given before", strconv.Quote(o))
		}
		seen[o] = true
		switch o {
		case "ack":
			pk.Flags |= stack.TH_ACK
			pk.Ack = uint32(p.number("acknowledgment number", math.MaxUint32, false))
		case "win":
			pk.Win = uint16(p.intIn("window", 0, math.MaxUint16))
		case "urg":
			pk.Urp = uint16(p.intIn("urgent pointer", 0, math.MaxUint16))
		}
	}
	return pk
}

// addr reads ":port" or "a.b.c.d:port".
func (p *parser) addr() AddrArg {
	col := p.skipSpace()
	var a AddrArg
	if p.pos < len(p.line) && p.line[p.pos] != ':' {
		if p.pos >= len(p.line) || !isDigit(p.line[p.pos]) {
			p.fail("address :port or a.b.c.d:port")
		}
		for i := 0; i < 4; i++ {
			if i > 0 {
				if p.pos >= len(p.line) || p.line[p.pos] != '.' {
					p.fail("'.' of an IPv4 address a.b.c.d")
				}
				p.pos++
			}
			if p.pos >= len(p.line) || !isDigit(p.line[p.pos]) {
				p.fail("IPv4 address byte 0..255")
			}
			a.IP = a.IP<<8 | uint32(p.number("IPv4 address byte", 255, true))
		}
	}
	if p.pos >= len(p.line) || p.line[p.pos] != ':' {
		if col == p.pos {
			p.fail("address :port or a.b.c.d:port")
		}
		p.fail("':' before the port")
	}
	p.pos++
	if p.pos >= len(p.line) || !isDigit(p.line[p.pos]) {
		p.fail("port 1..65535")
	}
	a.Port = uint16(p.intIn("port", 1, math.MaxUint16))
	return a
}

// intIn reads a number (a '-' sign allowed when min < 0) in min..max.
func (p *parser) intIn(what string, min, max int64) int64 {
	col := p.skipSpace()
	neg := false
	if min < 0 && p.pos < len(p.line) && p.line[p.pos] == '-' {
		neg = true
		p.pos++
	}
	if p.pos >= len(p.line) || !isDigit(p.line[p.pos]) {
		p.pos = col
		p.fail(fmt.Sprintf("%s %d..%d", what, min, max))
	}
	start := p.pos
	for p.pos < len(p.line) && isIdentByte(p.line[p.pos]) {
		p.pos++
	}
	text := string(p.line[col:p.pos])
	u, ok := parseUint(string(p.line[start:p.pos]), false)
	if !ok || (!neg && u > uint64(max)) || (neg && u > uint64(-min)) {
		p.failAt(col, fmt.Sprintf("%s %d..%d", what, min, max), strconv.Quote(text))
	}
	v := int64(u)
	if neg {
		v = -v
	}
	if v < min || v > max {
		p.failAt(col, fmt.Sprintf("%s %d..%d", what, min, max), strconv.Quote(text))
	}
	return v
}

// number reads an unsigned number, decimal or 0x hexadecimal, at most max. With decimalOnly,
// only decimal digits (IPv4 bytes, where '.' follows).
func (p *parser) number(what string, max uint64, decimalOnly bool) uint64 {
	col := p.skipSpace()
	if p.pos >= len(p.line) || !isDigit(p.line[p.pos]) {
		p.fail(what)
	}
	for p.pos < len(p.line) && (isDigit(p.line[p.pos]) || !decimalOnly && isIdentByte(p.line[p.pos])) {
		p.pos++
	}
	text := string(p.line[col:p.pos])
	u, ok := parseUint(text, decimalOnly)
	if !ok || u > max {
		p.failAt(col, fmt.Sprintf("%s 0..%d", what, max), strconv.Quote(text))
	}
	return u
}

// ident reads an identifier.
func (p *parser) ident(what string) string {
	col := p.skipSpace()
	w := p.word()
	if !isIdent(w) {
		p.failAt(col, what+" (a letter, then letters, digits, _ or -)", quoteOr(w, p))
	}
	return w
}

// expectByte skips spaces and reads c.
func (p *parser) expectByte(c byte) {
	p.skipSpace()
	if p.pos >= len(p.line) || p.line[p.pos] != c {
		p.fail(strconv.QuoteRune(rune(c)))
	}
	p.pos++
}

// skipSpace skips blanks and returns the new position.
func (p *parser) skipSpace() int {
	for p.pos < len(p.line) && isSpace(p.line[p.pos]) {
		p.pos++
	}
	return p.pos
}

// atEnd skips blanks and reports whether the line is over.
func (p *parser) atEnd() bool {
	p.skipSpace()
	return p.pos >= len(p.line)
}

// word reads identifier bytes (possibly none) after blanks.
func (p *parser) word() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.line) && isIdentByte(p.line[p.pos]) {
		p.pos++
	}
	return string(p.line[start:p.pos])
}

// token reads everything up to the next blank.
func (p *parser) token() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.line) && !isSpace(p.line[p.pos]) {
		p.pos++
	}
	return string(p.line[start:p.pos])
}

// peekWord returns the word at the scan position without consuming it.
func (p *parser) peekWord() string {
	save := p.pos
	w := p.word()
	p.pos = save
	return w
}

// found describes what is at the scan position: a quoted token, or end of line or file.
func (p *parser) found() string {
	if p.pos >= len(p.line) {
		if p.line == nil {
			return "end of file"
		}
		return "end of line"
	}
	end := p.pos
	if isIdentByte(p.line[end]) {
		for end < len(p.line) && isIdentByte(p.line[end]) && end-p.pos < 40 {
			end++
		}
	} else {
		end++
	}
	return strconv.Quote(string(p.line[p.pos:end]))
}

// quoteOr quotes w, or, when it is empty, describes what is at the scan position.
func quoteOr(w string, p *parser) string {
	if w == "" {
		return p.found()
	}
	if len(w) > 40 {
		w = w[:40] + "..."
	}
	return strconv.Quote(w)
}

// fail reports that expected was wanted at the scan position.
func (p *parser) fail(expected string) {
	p.failAt(p.pos, expected, p.found())
}

// failAt reports that expected was wanted at column index col of the current line.
func (p *parser) failAt(col int, expected, found string) {
	p.failAtPos(p.ln+1, col+1, expected, found)
}

func (p *parser) failAtPos(line, col int, expected, found string) {
	if line > len(p.lines) {
		line = len(p.lines)
	}
	panic(bailout{&SyntaxError{File: p.file, Line: line, Col: col, Expected: expected, Found: found}})
}

// resIndex parses "rN" without leading zeros.
func resIndex(w string) (int, bool) {
	if len(w) < 2 || w[0] != 'r' || (w[1] == '0' && len(w) > 2) {
		return 0, false
	}
	n, err := strconv.Atoi(w[1:])
	if err != nil || n < 0 || w[1] == '+' || w[1] == '-' {
		return 0, false
	}
	return n, true
}

// parseUint parses a decimal number or, unless decimalOnly, a 0x hexadecimal one.
func parseUint(text string, decimalOnly bool) (uint64, bool) {
	base := 10
	if !decimalOnly && len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') {
		text, base = text[2:], 16
	}
	u, err := strconv.ParseUint(text, base, 64)
	return u, err == nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }
