package repro

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// The edit form of a program: a base program, one of a list the caller gives (a target's
// seeds), and edits to it, so that the byte mutations a fuzzer without a custom mutator makes
// (go test -fuzz, libFuzzer builds of it) are program mutations, as syzkaller's are on its
// program model:
//
//	version 1 byte: EditVersion when EncodeBase writes it; DecodeEdits reads any value
//	base    1 byte: the base program, modulo the number of bases
//	edits   the rest, split at the separator byte EditSep into records, each one edit: its
//	        first byte picks the operation (modulo their number), the bytes after it are the
//	        operation's operands, 0 when the record is shorter
//
// The operations (editOps): insert a call of the profile at a position of a process; delete
// a call; redraw one argument of a call (a table's boundary values are among its draws);
// splice a run of calls of another base program into a process; insert a wire operation (any
// flags, sequence numbers from the tables) or delete one; move a call to another process or
// place; duplicate a process; set the CPUs and the schedule. Decoding is total (every byte
// string gives a valid, bounded program) and local: the separators frame the edits, so a byte
// inserted, deleted or changed inside a record changes that edit alone, and a run of records
// copied elsewhere (the mutators' duplicate and copy) is a run of edits. References to
// resources follow their calls through the edits; one left without its call, or placed
// before it, is pointed at another resource the call may use (or the call dropped when
// there is none).

// EditVersion is the first byte EncodeBase writes.
const EditVersion = 0xe1

// EditSep separates the edit records.
const EditSep = 0xa5

// maxEdits bounds the edits applied, so that one input stays a short decode.
const maxEdits = 128

// editOps are the operations in the order a record's first byte picks them.
var editOps = []func(e *editor, a operands){
	(*editor).insertCall, (*editor).deleteCall, (*editor).setArg, (*editor).splice,
	(*editor).insertWire, (*editor).deleteWire, (*editor).moveCall, (*editor).dupProc,
	(*editor).setHeader,
}

// operands reads an edit record's operands, 0 past its end.
type operands []byte

func (o operands) at(i int) int {
	if i < len(o) {
		return int(o[i])
	}
	return 0
}

// ecall is a call being edited: its arguments refer to resources by the id of their
// defining call (eref), which stays with the call wherever it moves.
type ecall struct {
	call Call
	id   int // for a call that defines a resource; -1 otherwise
}

// eref is a resource argument by its defining call's id.
type eref struct{ id int }

func (eref) isArg()           {}
func (r eref) String() string { return fmt.Sprintf("r?(id %d)", r.id) }

// editor applies edits to a program.
type editor struct {
	prof   *Profile
	bases  []*Program
	procs  [][]ecall
	wire   []WireOp
	cpus   int
	mode   Mode
	sched  Schedule
	nextID int
}

// EncodeBase returns the edit-form input of base i with no edit: a target's seed input.
func EncodeBase(i int) []byte { return []byte{EditVersion, byte(i)} }

// DecodeEdits decodes an input of the edit form: bases[data[1] % len(bases)] with the edits
// that follow. With no base it edits an empty program. The program's target and faults are
// left empty, as the byte form's are.
func (pr *Profile) DecodeEdits(bases []*Program, data []byte) *Program {
	e := &editor{prof: pr, bases: bases, cpus: 1, mode: Controlled, sched: Schedule{Kind: SchedDefault}}
	if len(data) > 1 && len(bases) > 0 {
		e.load(bases[int(data[1])%len(bases)])
	}
	if len(e.procs) == 0 {
		e.procs = [][]ecall{nil}
	}
	if len(data) > 2 {
		for n, rec := range bytes.Split(data[2:], []byte{EditSep}) {
			if n == maxEdits {
				break
			}
			if len(rec) > 0 {
				editOps[int(rec[0])%len(editOps)](e, operands(rec[1:]))
			}
		}
	}
	return e.finish()
}

// load takes the base program: its calls get ids, its references become erefs.
func (e *editor) load(p *Program) {
	e.cpus, e.mode, e.sched = max(p.Header.CPUs, 1), p.Header.Mode, p.Header.Sched
	if e.mode == "" {
		e.mode = Controlled
	}
	if e.sched.Kind == "" {
		e.sched = Schedule{Kind: SchedDefault}
	}
	e.wire = slices.Clone(p.Wire)
	byResult := map[int]int{}
	e.procs = make([][]ecall, len(p.Procs))
	for pi, proc := range p.Procs {
		for _, c := range proc.Calls {
			ec := e.adopt(c, func(n int) (int, bool) { id, ok := byResult[n]; return id, ok })
			if c.Result >= 0 {
				byResult[c.Result] = ec.id
			}
			e.procs[pi] = append(e.procs[pi], ec)
		}
	}
}

// adopt makes an ecall of a program's call: a new id when it defines a resource, its
// ResArgs mapped to ids by idOf (a reference idOf does not know is left dangling, to be
// repaired at the end).
func (e *editor) adopt(c Call, idOf func(result int) (int, bool)) ecall {
	ec := ecall{call: c, id: -1}
	ec.call.Args = slices.Clone(c.Args)
	for i, a := range ec.call.Args {
		if r, ok := a.(ResArg); ok {
			id, known := idOf(int(r))
			if !known {
				id = -1
			}
			ec.call.Args[i] = eref{id: id}
		}
	}
	if c.Result >= 0 {
		ec.id = e.nextID
		e.nextID++
	}
	return ec
}

// proc picks a process by an operand.
func (e *editor) proc(b int) int { return b % len(e.procs) }

// candidates lists the ids a call at position pos of process pi may use: the resources of
// the earlier processes, then those of its own before pos.
func (e *editor) candidates(pi, pos int) []int {
	var out []int
	for i := 0; i <= pi; i++ {
		calls := e.procs[i]
		if i == pi {
			calls = calls[:min(pos, len(calls))]
		}
		for _, c := range calls {
			if c.id >= 0 {
				out = append(out, c.id)
			}
		}
	}
	return out
}

// newCall draws a call of the profile from a selector and argument bytes, for position pos of
// process pi; false when it needs a resource and none may be used there.
func (e *editor) newCall(pi, pos int, sel byte, argBytes []byte) (ecall, bool) {
	sc := e.prof.pick[sel&31]
	args, ok := decodeArgs(sc, argBytes, len(e.procs), func(b byte) (Arg, bool) {
		cands := e.candidates(pi, pos)
		if len(cands) == 0 {
			return nil, false
		}
		return eref{id: cands[int(b)%len(cands)]}, true
	})
	if !ok {
		return ecall{}, false
	}
	ec := ecall{call: Call{Result: -1, Name: sc.name, sc: sc, Args: args}, id: -1}
	if sc.result {
		ec.call.Result = 0 // numbered in finish
		ec.id = e.nextID
		e.nextID++
	}
	return ec, true
}

// insertCall: process, position, selector, then the arguments' bytes.
func (e *editor) insertCall(o operands) {
	pi := e.proc(o.at(0))
	if len(e.procs[pi]) >= MaxCalls {
		return
	}
	pos := o.at(1) % (len(e.procs[pi]) + 1)
	c, ok := e.newCall(pi, pos, byte(o.at(2)), []byte{byte(o.at(3)), byte(o.at(4)), byte(o.at(5)), byte(o.at(6))})
	if ok {
		e.procs[pi] = slices.Insert(e.procs[pi], pos, c)
	}
}

// deleteCall: process, position.
func (e *editor) deleteCall(o operands) {
	pi := e.proc(o.at(0))
	if n := len(e.procs[pi]); n > 0 {
		e.procs[pi] = slices.Delete(e.procs[pi], o.at(1)%n, o.at(1)%n+1)
	}
}

// setArg: process, position, argument, then the byte the argument is drawn from again.
func (e *editor) setArg(o operands) {
	pi := e.proc(o.at(0))
	n := len(e.procs[pi])
	if n == 0 {
		return
	}
	ci := o.at(1) % n
	c := &e.procs[pi][ci]
	sc := c.call.row()
	if sc == nil || len(sc.params) == 0 {
		return
	}
	// Draw the whole argument list again from bytes that keep the other arguments: the
	// redrawn one at its parameter's place; words and flags make the list longer than the
	// parameters, so the call is drawn anew, its other parameters from their old bytes.
	pj := o.at(2) % len(sc.params)
	old := argBytesOf(sc, c.call.Args, func(a eref) byte {
		cands := e.candidates(pi, ci)
		if i := slices.Index(cands, a.id); i >= 0 {
			return byte(i)
		}
		return 0
	})
	old[pj] = byte(o.at(3))
	nc, ok := e.newCall(pi, ci, sc.code, old)
	if !ok || nc.call.Name != c.call.Name {
		return
	}
	nc.id = c.id // the call keeps its identity: references to it stay
	e.procs[pi][ci] = nc
}

// argBytesOf returns, for each parameter of sc, a byte that draws args' value back (the first
// for words and flags beyond what the byte form can say; a resource by ref).
func argBytesOf(sc *syscall, args []Arg, ref func(eref) byte) []byte {
	out := make([]byte, len(sc.params))
	ai := 0
	for pj := range sc.params {
		pm := &sc.params[pj]
		if ai >= len(args) {
			break
		}
		switch pm.kind {
		case pRes:
			if r, ok := args[ai].(eref); ok {
				out[pj] = ref(r)
			}
			ai++
		case pInt:
			if v, ok := args[ai].(IntArg); ok {
				out[pj] = byteForInt(pm, int64(v))
			}
			ai++
		case pPort, pAddr:
			if a, ok := args[ai].(AddrArg); ok {
				out[pj] = byteForAddr(a, pm.kind == pAddr)
			}
			ai++
		case pEnum:
			if w, ok := args[ai].(WordArg); ok {
				out[pj] = byte(max(slices.Index(pm.words, string(w)), 0))
			}
			ai++
		case pFlags:
			var b byte
			for ai < len(args) {
				w, ok := args[ai].(WordArg)
				i := slices.Index(pm.words, string(w))
				if !ok || i < 0 {
					break
				}
				b |= 1 << i
				ai++
			}
			out[pj] = b
		case pProc:
			if p, ok := args[ai].(ProcArg); ok {
				var n int
				fmt.Sscanf(string(p), "p%d", &n)
				out[pj] = byte(n)
			}
			ai++
		}
	}
	return out
}

// byteForInt is a byte intFromTable maps to v, or 0.
func byteForInt(pm *param, v int64) byte {
	if pm.table != nil {
		return byte(max(slices.Index(pm.table, v), 0))
	}
	if v >= pm.min && v-pm.min < 256 {
		return byte(v - pm.min)
	}
	return 0
}

// byteForAddr is a byte the argument drawing maps to a, or 0.
func byteForAddr(a AddrArg, remote bool) byte {
	if remote && a.IP == PeerIP {
		if i := slices.Index(peerTable, a.Port); i >= 0 {
			return 0x80 | byte(i)<<3
		}
	}
	return byte(max(slices.Index(portTable, a.Port), 0))
}

// splice: base, its process, first call, count-1 (up to 8 calls), then the process and
// position they go to. A reference within the run follows the copy; one to a call outside it
// is repaired at the end.
func (e *editor) splice(o operands) {
	if len(e.bases) == 0 {
		return
	}
	src := e.bases[o.at(0)%len(e.bases)]
	if len(src.Procs) == 0 {
		return
	}
	sp := src.Procs[o.at(1)%len(src.Procs)]
	if len(sp.Calls) == 0 {
		return
	}
	start := o.at(2) % len(sp.Calls)
	run := sp.Calls[start:min(len(sp.Calls), start+1+o.at(3)%8)]
	pi := e.proc(o.at(4))
	room := MaxCalls - len(e.procs[pi])
	if room <= 0 {
		return
	}
	run = run[:min(len(run), room)]
	pos := o.at(5) % (len(e.procs[pi]) + 1)
	byResult := map[int]int{}
	var add []ecall
	for _, c := range run {
		ec := e.adopt(c, func(n int) (int, bool) { id, ok := byResult[n]; return id, ok })
		if c.Result >= 0 {
			byResult[c.Result] = ec.id
		}
		add = append(add, ec)
	}
	e.procs[pi] = slices.Insert(e.procs[pi], pos, add...)
}

// insertWire: position, then a wire record's five bytes (kind, then fields).
func (e *editor) insertWire(o operands) {
	if len(e.wire) >= MaxWireOps {
		return
	}
	rec := []byte{wireBase + byte(o.at(1)%5), byte(o.at(2)), byte(o.at(3)), byte(o.at(4)), byte(o.at(5))}
	op := decodeWire(rec)
	if op.Kind == WireDrop && isVariantRecord(rec) && e.prof.wire != 0 {
		op.Kind = e.prof.wirePick[rec[4]&0x7f]
	}
	e.wire = slices.Insert(e.wire, o.at(0)%(len(e.wire)+1), op)
}

// deleteWire: position.
func (e *editor) deleteWire(o operands) {
	if n := len(e.wire); n > 0 {
		e.wire = slices.Delete(e.wire, o.at(0)%n, o.at(0)%n+1)
	}
}

// moveCall: process and position, then the process and position it goes to.
func (e *editor) moveCall(o operands) {
	pi := e.proc(o.at(0))
	n := len(e.procs[pi])
	if n == 0 {
		return
	}
	c := e.procs[pi][o.at(1)%n]
	e.procs[pi] = slices.Delete(e.procs[pi], o.at(1)%n, o.at(1)%n+1)
	pj := e.proc(o.at(2))
	if len(e.procs[pj]) >= MaxCalls {
		pj = pi
	}
	e.procs[pj] = slices.Insert(e.procs[pj], o.at(3)%(len(e.procs[pj])+1), c)
}

// dupProc: a process, copied as a new last process when there is room: its resources its own,
// its references to the original's resources following the copies.
func (e *editor) dupProc(o operands) {
	if len(e.procs) >= MaxProcs {
		return
	}
	orig := e.procs[e.proc(o.at(0))]
	idMap := map[int]int{}
	cp := make([]ecall, len(orig))
	for i, c := range orig {
		nc := ecall{call: c.call, id: -1}
		nc.call.Args = slices.Clone(c.call.Args)
		for j, a := range nc.call.Args {
			if r, ok := a.(eref); ok {
				if id, ok := idMap[r.id]; ok {
					nc.call.Args[j] = eref{id: id}
				}
			}
		}
		if c.id >= 0 {
			nc.id = e.nextID
			idMap[c.id] = nc.id
			e.nextID++
		}
		cp[i] = nc
	}
	e.procs = append(e.procs, cp)
}

// setHeader: CPUs, then the schedule's kind and its parameters' bytes (a seed's eight, PCT's
// depth and steps).
func (e *editor) setHeader(o operands) {
	e.cpus = 1 + o.at(0)%4
	kind := codecScheds[o.at(1)%len(codecScheds)]
	var params []byte
	for i := 2; i < len(o); i++ {
		params = append(params, o[i])
	}
	switch kind {
	case SchedRandom, SchedPCT:
		s := defaultSchedule(kind)
		var seed [8]byte
		copy(seed[:], params)
		s.Seed = binary.BigEndian.Uint64(seed[:])
		if kind == SchedPCT {
			s.Depth = 1 + operands(params).at(8)%MaxPCTDepth
			s.Steps = 1 + (operands(params).at(9)<<8|operands(params).at(10))%MaxPCTSteps
		}
		e.sched = s
	case SchedBytes:
		if len(params) > 0 {
			e.sched = Schedule{Kind: SchedBytes, Bytes: params}
		}
	default:
		// Replay choices made for another program mean little; the default instead.
		e.sched = Schedule{Kind: SchedDefault}
	}
}

// finish numbers the resources in text order and resolves the references: one whose call is
// gone or comes later than it may is pointed at another candidate (its id modulo their
// number), and a call with no candidate left is dropped, which may leave others without
// theirs: repeated until every reference holds.
func (e *editor) finish() *Program {
	for changed := true; changed; {
		changed = false
		for pi := range e.procs {
			for ci := 0; ci < len(e.procs[pi]); ci++ {
				c := &e.procs[pi][ci]
				var cands []int
				drop := false
				for ai, a := range c.call.Args {
					r, ok := a.(eref)
					if !ok {
						continue
					}
					if cands == nil {
						cands = e.candidates(pi, ci)
					}
					if slices.Contains(cands, r.id) {
						continue
					}
					if len(cands) == 0 {
						drop = true
						break
					}
					c.call.Args[ai] = eref{id: cands[max(r.id, 0)%len(cands)]}
				}
				if drop {
					e.procs[pi] = slices.Delete(e.procs[pi], ci, ci+1)
					ci--
					changed = true
				}
			}
		}
	}
	p := NewProgram()
	p.Header.CPUs, p.Header.Mode, p.Header.Sched = e.cpus, e.mode, e.sched
	p.Wire = e.wire
	num := map[int]int{}
	n := 0
	for pi, calls := range e.procs {
		proc := Proc{Name: procName(pi)}
		for _, c := range calls {
			call := c.call
			if c.id >= 0 {
				call.Result = n
				num[c.id] = n
				n++
			}
			proc.Calls = append(proc.Calls, call)
		}
		p.Procs = append(p.Procs, proc)
	}
	for pi := range p.Procs {
		for ci := range p.Procs[pi].Calls {
			args := p.Procs[pi].Calls[ci].Args
			for ai, a := range args {
				switch a := a.(type) {
				case eref:
					args[ai] = ResArg(num[a.id])
				case ProcArg:
					// A call spliced from a program with more processes names one of these.
					var n int
					if _, err := fmt.Sscanf(string(a), "p%d", &n); err != nil || n >= len(p.Procs) {
						args[ai] = ProcArg(procName(max(n, 0) % len(p.Procs)))
					}
				}
			}
		}
	}
	return p
}
