package repro

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	fuzzheaders "github.com/AdaLogics/go-fuzz-headers"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The byte form of a program, for the fuzzer. Every byte string decodes to a valid, bounded
// program (Decode is total), and Encode writes any canonical program so that Decode gives it
// back. The layout keeps a one-byte change local:
//
//	version 1 byte: Version (0xf1) when Encode writes it; Decode reads any value as this form
//	header  2 bytes: cpus-1 (bits 0-1), free mode (bit 2), schedule kind (bits 3-5); procs-1 (bits 0-1)
//	records 5 bytes each, until the end marker 0xff or the end of the input:
//	        kind < 0xc0: a call of process (kind>>5)%procs, the profile's call for selector
//	                     kind&31 (below), its arguments drawn from the four following bytes,
//	                     one each
//	        kind >= 0xc0: a wire operation, by (kind-0xc0)%5: inject, drop, dup, reorder or
//	                     tick, its fields drawn from the four following bytes (a drop has
//	                     none, and Encode writes them as 0); a drop whose bytes are 0, 0, 0
//	                     and one with bit 7 set is a wire variant (below) in a profile that
//	                     holds one
//	schedule after the end marker: bytes (the rest, one byte per decision), random (8-byte
//	        seed), pct (8-byte seed, depth, 4-byte steps), replay (the rest, one thread per
//	        byte, 0xff the clock) or default (nothing)
//
// Arguments come from small tables (lengths, ports, backlogs, ticks, sequence numbers), so that
// the fuzzer meets the values that matter; a canonical program uses only table values, names
// its processes p0, p1, ..., defines a result for every socket, accept and dup, has no
// comments and no faults (the fuzzing run's faults come from its environment).
//
// # Call codes and profiles
//
// Every system call has a stable code (its syscalls row), never reused. A selector s (0..31)
// names the call whose code is s when the profile has it; Encode only writes such selectors.
// Any other selector, a spare, goes to the profile's call c with the highest spareScore(s, c)
// (rendezvous hashing), a choice that depends only on the set of codes in the profile, not
// on any order. So:
//   - adding a call to the table (a new code) changes no profile but AllCalls, and adding a
//     call with code c to a profile changes, of the stored inputs decoded with that profile,
//     only the records whose selector is c or a spare that c now wins (about one spare in
//     n+1 for n calls); every record written by Encode keeps its call;
//   - removing a call from a profile changes the records that named it and the spares it won;
//   - reordering the table or a profile's list changes nothing;
//   - a table of argument values (param.table, the tables below) is part of the form: a change
//     to it is a new version.
//
// # Wire variants
//
// The wire operations not every target has (unreach, stackclose: wireVariants, validate.go)
// are drawn only by a profile built with them, named as targets list them ("wire:unreach",
// "wire:stackclose"). They use the spare bytes of the drop record: in such a profile a drop
// record whose bytes after the kind are 0, 0, 0, then one with bit 7 set, is the variant the
// low 7 bits of that last byte select, as a call selector selects a call: the variant whose
// stable code they are (unreach 0, stackclose 1) when the profile holds it, else the held
// variant with the highest spareScore. Encode writes a variant as kind, 0, 0, 0, 0x80|code,
// and a plain drop as kind, 0, 0, 0, 0. The mark is narrow on purpose: a drop Encode wrote
// becomes a variant by one mutated byte, while the drops a fuzzer grew from random bytes
// almost never carry it (one in 2^25), so that giving a profile the variants leaves its
// stored inputs their meaning. So:
//   - a profile without variants (every profile of the bsd target) decodes every input
//     exactly as before they existed;
//   - giving a profile a variant changes, of the stored inputs decoded with it, only the drop
//     records with the mark, none of which Encode wrote and none of the committed inputs
//     holds (testdata/golden, the trace-hash goldens); a later variant changes the selectors
//     it wins, as a new call does;
//   - the first form (v0) never reads a variant, so Upgrade is unchanged.
//
// # Versions
//
// The form is versioned as Go's fuzz corpus files are ("go test fuzz v1"): its first byte is
// Version. The first form, v0 (before call codes), had no version byte and picked calls by
// their place in the profile's list (kind&31 modulo the profile's length), so that a new call
// shifted stored inputs. Decode reads only the current form, whatever the first byte holds: a
// mutated version byte changes nothing, which keeps Decode total and local. Telling the forms
// apart is only for converting stored inputs (sockfuzz upgrade-corpus, Profile.Upgrade): an
// input whose first byte is Version is current. A v0 input's first byte is its header, which
// Encode never set above 0x27 (bits 6-7 clear, schedule kind 0..4), so every v0 input that
// Encode wrote, and every committed one, is told right; of the inputs a fuzzer grew from
// them, one in 256 starts with 0xf1 by chance and is taken as current (it then decodes to
// another program, as any mutation would make it). Conversely a current input whose version
// byte a mutator changed would be taken as v0: run the conversion once, before fuzzing with
// this form, not on a corpus this form has grown. The v0 decoder stays only for that
// conversion and goes with the next version.

// Version is the first byte of the current byte form (v1).
const Version = 0xf1

const (
	recordLen = 5
	endMarker = 0xff
	wireBase  = 0xc0
)

// Schedule kinds in the header.
var codecScheds = []SchedKind{SchedBytes, SchedDefault, SchedRandom, SchedPCT, SchedReplay}

// Argument tables.
var (
	portTable   = []uint16{80, 81, 82, 83, 8080, 2000, 2001, 9}
	peerTable   = []uint16{4000, 4001, 4002, 4003, 5000, 5001, 6000, 7}
	tickTable   = []int64{1, 10, 100, 1000, 3000, 30000, 60000, MaxTick}
	seqTable    = []uint32{0, 1, 2, 6, 100, 101, 1000, 1001}
	ackTable    = []uint32{0, 1, 2, 6, 100, 101, 1000, 1001}
	pktLenTable = []int{0, 1, 5, 100}
)

// PeerIP is the remote peer's address in decoded programs.
const PeerIP = 0x0a000002

// Profile is the set of system calls a byte form draws from: a fuzz target that hunts one bug
// class decodes into the calls that matter for it, so that its inputs are not spent on others.
type Profile struct {
	Name string
	// calls are the profile's calls in the order given: v0 picked them by position.
	calls []*syscall
	// pick is the call each selector names (the package comment's "Call codes and profiles").
	pick [maxCode]*syscall
	// wire has bit i for each wire variant (wireVariants[i]) the profile holds.
	wire uint32
	// wirePick is the wire variant each variant selector names, as pick for calls; all zero
	// (no operation) when the profile holds none.
	wirePick [maxWireCode]WireKind
}

// NewProfile returns a profile of the named system calls, and of the wire operations not every
// target has, named as targets list them ("wire:unreach", "wire:stackclose"). The calls' order
// matters only to the old byte form (v0), which picked a call by its place in the list.
func NewProfile(name string, calls ...string) (*Profile, error) {
	pr := &Profile{Name: name}
	for _, c := range calls {
		if v := lookupWireVariant(c); v >= 0 {
			if pr.wire&(1<<v) != 0 {
				return nil, fmt.Errorf("profile %s: %s listed twice", name, c)
			}
			pr.wire |= 1 << v
			continue
		}
		sc := lookupSyscall(c)
		if sc == nil {
			return nil, fmt.Errorf("profile %s: unknown system call %q", name, c)
		}
		if slices.Contains(pr.calls, sc) {
			return nil, fmt.Errorf("profile %s: %s listed twice", name, c)
		}
		pr.calls = append(pr.calls, sc)
	}
	if len(pr.calls) == 0 || len(pr.calls) > maxCode {
		return nil, fmt.Errorf("profile %s: %d system calls, want 1..%d", name, len(pr.calls), maxCode)
	}
	for _, sc := range pr.calls {
		pr.pick[sc.code] = sc
	}
	for s := range pr.pick {
		if pr.pick[s] != nil && pr.pick[s].code == uint8(s) {
			continue
		}
		var best *syscall
		for _, sc := range pr.calls {
			if best == nil || spareScore(uint8(s), sc.code) > spareScore(uint8(s), best.code) ||
				spareScore(uint8(s), sc.code) == spareScore(uint8(s), best.code) && sc.code < best.code {
				best = sc
			}
		}
		pr.pick[s] = best
	}
	pr.pickWire()
	return pr, nil
}

// pickWire fills wirePick as NewProfile fills pick: a selector names the variant whose code it
// is when the profile holds it, else the held variant with the highest spareScore.
func (pr *Profile) pickWire() {
	for s := range pr.wirePick {
		best := -1
		for i, v := range wireVariants {
			if pr.wire&(1<<i) == 0 {
				continue
			}
			if v.code == uint8(s) {
				best = i
				break
			}
			if best < 0 || spareScore(uint8(s), v.code) > spareScore(uint8(s), wireVariants[best].code) {
				best = i
			}
		}
		if best >= 0 {
			pr.wirePick[s] = wireVariants[best].kind
		}
	}
}

// hasWire reports whether the profile holds wire operation k: every profile holds those every
// target has.
func (pr *Profile) hasWire(k WireKind) bool {
	v := wireVariant(k)
	return v < 0 || pr.wire&(1<<v) != 0
}

// spareScore ranks the calls for a spare selector (rendezvous hashing): a fixed mix of the
// selector and the code (lowbias32), part of the byte form.
func spareScore(sel, code uint8) uint32 {
	x := uint32(sel)<<8 | uint32(code)
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

// has reports whether the profile holds the call: its code selects it.
func (pr *Profile) has(sc *syscall) bool { return pr.pick[sc.code] == sc }

// AllCalls is the profile of every system call.
var AllCalls = func() *Profile {
	pr, err := NewProfile("all", Syscalls()...)
	if err != nil {
		panic(err) // the table is broken: TestSyscallTable says how
	}
	return pr
}()

// Decode turns any byte string into a valid program of every system call: total, bounded,
// deterministic.
func Decode(data []byte) *Program { return AllCalls.Decode(data) }

// Encode writes a canonical program so that Decode gives it back.
func Encode(p *Program) ([]byte, error) { return AllCalls.Encode(p) }

// Decode turns any byte string into a valid program of the profile's system calls.
func (pr *Profile) Decode(data []byte) *Program {
	if len(data) > 0 {
		data = data[1:] // the version byte, whatever it holds
	}
	return pr.decode(data, false)
}

// decodeV0 is the first form's Decode (no version byte, calls by position), kept to convert
// stored inputs (Upgrade).
func (pr *Profile) decodeV0(data []byte) *Program { return pr.decode(data, true) }

// IsCurrent reports whether data is in the current byte form by its version byte (see the
// package comment for how sure that is).
func IsCurrent(data []byte) bool { return len(data) > 0 && data[0] == Version }

// Upgrade converts a stored input of the profile's fuzz target to the current form: data
// itself when it is current (IsCurrent), else the encoding of what the first form (v0)
// decoded it to, which Decode gives back. changed says which.
func (pr *Profile) Upgrade(data []byte) (out []byte, changed bool, err error) {
	if IsCurrent(data) {
		return data, false, nil
	}
	p := pr.decodeV0(data)
	out, err = pr.Encode(p)
	if err != nil {
		return nil, false, fmt.Errorf("upgrade: %w", err)
	}
	if q := pr.Decode(out); !q.Equal(p) {
		return nil, false, fmt.Errorf("upgrade: the converted input decodes to another program:\n%s\n---\n%s", p, q)
	}
	return out, true, nil
}

// Decode turns any byte string into a valid program of the profile's system calls.
func (pr *Profile) decode(data []byte, v0 bool) *Program {
	c := fuzzheaders.NewConsumer(data)
	byteOr := func(def byte) byte {
		b, err := c.GetByte()
		if err != nil {
			return def
		}
		return b
	}
	p := NewProgram()
	h0, h1 := byteOr(0), byteOr(0)
	p.Header.CPUs = 1 + int(h0&3)
	if h0&4 != 0 {
		p.Header.Mode = Free
	}
	kind := codecScheds[int(h0>>3&7)%len(codecScheds)]
	nprocs := 1 + int(h1&3)
	d := &decoder{p: p, nprocs: nprocs, prof: pr, v0: v0}
	for i := 0; i < nprocs; i++ {
		p.Procs = append(p.Procs, Proc{Name: procName(i)})
		d.res = append(d.res, nil)
	}
	for {
		rec, err := c.GetNBytes(recordLen)
		if err != nil || len(rec) < recordLen {
			// The input ran out before an end marker: defaults from here on.
			d.finish()
			p.Header.Sched = defaultSchedule(kind)
			return p
		}
		if rec[0] == endMarker {
			break
		}
		d.record(rec)
	}
	d.finish()
	p.Header.Sched = decodeSchedule(kind, c)
	return p
}

// defaultSchedule is a schedule of kind k with its parameters' defaults.
func defaultSchedule(k SchedKind) Schedule {
	s := Schedule{Kind: k}
	if k == SchedPCT {
		s.Depth, s.Steps = DefaultPCTDepth, DefaultPCTSteps
	}
	return s
}

// decodeSchedule reads the schedule's parameters after the end marker.
func decodeSchedule(k SchedKind, c *fuzzheaders.ConsumeFuzzer) Schedule {
	s := defaultSchedule(k)
	rest := func() []byte {
		var out []byte
		for len(out) < MaxChoices {
			b, err := c.GetByte()
			if err != nil {
				break
			}
			out = append(out, b)
		}
		return out
	}
	switch k {
	case SchedBytes:
		if b := rest(); len(b) > 0 {
			s.Bytes = b
		}
	case SchedReplay:
		for _, b := range rest() {
			id := sched.ID(b)
			if b == 0xff {
				id = sched.ClockID
			}
			s.Choices = append(s.Choices, id)
		}
	case SchedRandom, SchedPCT:
		if seed, err := c.GetNBytes(8); err == nil && len(seed) == 8 {
			s.Seed = binary.BigEndian.Uint64(seed)
		}
		if k == SchedPCT {
			if b, err := c.GetByte(); err == nil {
				s.Depth = 1 + int(b)%MaxPCTDepth
			}
			if b, err := c.GetNBytes(4); err == nil && len(b) == 4 {
				s.Steps = 1 + int(binary.BigEndian.Uint32(b))%MaxPCTSteps
			}
		}
	}
	return s
}

func procName(i int) string { return fmt.Sprintf("p%d", i) }

// decoder builds a program from records.
type decoder struct {
	p      *Program
	prof   *Profile
	nprocs int
	// res[i] lists, for process i, the indices of its calls that define a resource.
	res [][]int
	// v0 picks calls as the first form did, by their place in the profile's list.
	v0 bool
}

// candidates lists the resources a call of process pi may use: all of the earlier
// processes', then its own so far, in text order, as (process, call) pairs.
func (d *decoder) candidates(pi int) [][2]int {
	var out [][2]int
	for i := 0; i <= pi; i++ {
		for _, ci := range d.res[i] {
			out = append(out, [2]int{i, ci})
		}
	}
	return out
}

// record decodes one record into a call or a wire operation; a record that cannot make a
// valid one (a call that needs a resource before any exists, a full process) adds nothing.
func (d *decoder) record(r []byte) {
	if r[0] >= wireBase {
		if len(d.p.Wire) < MaxWireOps {
			op := decodeWire(r)
			if op.Kind == WireDrop && isVariantRecord(r) && !d.v0 && d.prof.wire != 0 {
				op.Kind = d.prof.wirePick[r[4]&0x7f]
			}
			d.p.Wire = append(d.p.Wire, op)
		}
		return
	}
	pi := int(r[0]>>5) % d.nprocs
	sc := d.prof.pick[r[0]&31]
	if d.v0 {
		sc = d.prof.calls[int(r[0]&31)%len(d.prof.calls)]
	}
	proc := &d.p.Procs[pi]
	if len(proc.Calls) >= MaxCalls {
		return
	}
	call := Call{Result: -1, Name: sc.name, sc: sc}
	args, ok := decodeArgs(sc, r[1:], d.nprocs, func(b byte) (Arg, bool) {
		cands := d.candidates(pi)
		if len(cands) == 0 {
			return nil, false
		}
		rc := cands[int(b)%len(cands)]
		// A placeholder: the resource's number is known once the whole program is.
		return resRef{proc: rc[0], call: rc[1]}, true
	})
	if !ok {
		return
	}
	call.Args = args
	if sc.result {
		d.res[pi] = append(d.res[pi], len(proc.Calls))
		call.Result = 0 // numbered in finish
	}
	proc.Calls = append(proc.Calls, call)
}

// decodeArgs draws a call's arguments from argBytes, one byte each (the last one again when
// they run out): table values, addresses, words, processes of nprocs; a resource from res,
// which reports false when there is none to use (then so does decodeArgs).
func decodeArgs(sc *syscall, argBytes []byte, nprocs int, res func(b byte) (Arg, bool)) ([]Arg, bool) {
	var args []Arg
	for pj := range sc.params {
		pm := &sc.params[pj]
		var b byte
		if len(argBytes) > 0 {
			b = argBytes[min(pj, len(argBytes)-1)]
		}
		switch pm.kind {
		case pRes:
			a, ok := res(b)
			if !ok {
				return nil, false
			}
			args = append(args, a)
		case pInt:
			args = append(args, IntArg(intFromTable(pm, b)))
		case pPort:
			args = append(args, AddrArg{Port: portTable[int(b)%len(portTable)]})
		case pAddr:
			a := AddrArg{Port: portTable[int(b)%len(portTable)]}
			if b&0x80 != 0 {
				a = AddrArg{IP: PeerIP, Port: peerTable[int(b>>3)%len(peerTable)]}
			}
			args = append(args, a)
		case pEnum:
			args = append(args, WordArg(pm.words[int(b)%len(pm.words)]))
		case pFlags:
			n := 0
			for i, w := range pm.words {
				if b>>i&1 != 0 {
					args = append(args, WordArg(w))
					n++
				}
			}
			if n < int(pm.min) {
				args = append(args, WordArg(pm.words[0]))
			}
		case pProc:
			args = append(args, ProcArg(procName(int(b)%nprocs)))
		}
	}
	return args, true
}

// resRef is a reference to a resource by its defining call, before numbering.
type resRef struct{ proc, call int }

func (resRef) isArg()           {}
func (r resRef) String() string { return fmt.Sprintf("r?(%d,%d)", r.proc, r.call) }

// finish numbers the results in text order and resolves the references.
func (d *decoder) finish() {
	num := map[[2]int]int{}
	n := 0
	for pi := range d.p.Procs {
		for ci := range d.p.Procs[pi].Calls {
			c := &d.p.Procs[pi].Calls[ci]
			if c.Result >= 0 {
				c.Result = n
				num[[2]int{pi, ci}] = n
				n++
			}
		}
	}
	for pi := range d.p.Procs {
		for ci := range d.p.Procs[pi].Calls {
			for ai, a := range d.p.Procs[pi].Calls[ci].Args {
				if r, ok := a.(resRef); ok {
					d.p.Procs[pi].Calls[ci].Args[ai] = ResArg(num[[2]int{r.proc, r.call}])
				}
			}
		}
	}
}

// intFromTable maps a byte to an integer parameter's value: from its table, else min..max.
func intFromTable(pm *param, b byte) int64 {
	if pm.table != nil {
		return pm.table[int(b)%len(pm.table)]
	}
	return pm.min + int64(b)%(pm.max-pm.min+1)
}

// isVariantRecord reports whether drop record r is marked as a wire variant (the package
// comment's "Wire variants"): the drop's spare bytes zero, as Encode writes them, but for bit 7
// of the last.
func isVariantRecord(r []byte) bool {
	return r[1] == 0 && r[2] == 0 && r[3] == 0 && r[4]&0x80 != 0
}

// decodeWire decodes a wire record.
func decodeWire(r []byte) WireOp {
	switch (r[0] - wireBase) % 5 {
	case 1:
		return WireOp{Kind: WireDrop}
	case 2:
		return WireOp{Kind: WireDup}
	case 3:
		return WireOp{Kind: WireReorder}
	case 4:
		t := tickTable[int(r[1])%len(tickTable)]
		if r[1]&0x80 != 0 {
			return WireOp{Kind: WireTick, TwoMSL: true}
		}
		return WireOp{Kind: WireTick, Ms: t}
	}
	pk := Packet{Proto: stack.TCP, Win: DefaultWin}
	pk.Flags = r[1] & (stack.TH_FIN | stack.TH_SYN | stack.TH_RST | stack.TH_PSH | stack.TH_ACK | stack.TH_URG)
	pk.Src = AddrArg{IP: PeerIP, Port: peerTable[int(r[2])%len(peerTable)]}
	pk.Dst = AddrArg{Port: portTable[int(r[2]>>3)%len(portTable)]}
	pk.Seq = seqTable[int(r[3])%len(seqTable)]
	if pk.Flags&stack.TH_ACK != 0 {
		pk.Ack = ackTable[int(r[3]>>3)%len(ackTable)]
	}
	pk.Len = pktLenTable[int(r[3]>>6)%len(pktLenTable)]
	if r[2]&0x40 != 0 {
		pk = Packet{Proto: stack.UDP, Src: pk.Src, Dst: pk.Dst, Len: pk.Len}
	}
	if pk.Flags&stack.TH_URG != 0 {
		pk.Urp = 1
	}
	return WireOp{Kind: WireInject, Packet: pk}
}

// ErrNotCanonical is wrapped by Encode's errors: the program uses something the byte form
// cannot express.
var ErrNotCanonical = errors.New("not a canonical program")

// Encode writes a canonical program of the profile's system calls so that its Decode gives it
// back.
func (pr *Profile) Encode(p *Program) ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("encode: %s: %w", fmt.Sprintf(format, args...), ErrNotCanonical)
	}
	if err := Validate(p); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	if len(p.Comments) > 0 {
		p = p.withoutComments()
	}
	if len(p.Header.Faults) > 0 {
		return bad("faults come from the environment in the byte form")
	}
	if len(p.Procs) < 1 || len(p.Procs) > MaxProcs {
		return bad("%d processes", len(p.Procs))
	}
	k := slices.Index(codecScheds, p.Header.Sched.Kind)
	if k < 0 {
		return bad("schedule %s", p.Header.Sched.Kind)
	}
	h0 := byte(p.Header.CPUs-1) | byte(k)<<3
	if p.Header.Mode == Free {
		h0 |= 4
	}
	out := []byte{Version, h0, byte(len(p.Procs) - 1)}
	// Resource numbers in text order, and where each is defined.
	def := map[int][2]int{}
	n := 0
	for pi := range p.Procs {
		if p.Procs[pi].Name != procName(pi) {
			return bad("process %q should be named %s", p.Procs[pi].Name, procName(pi))
		}
		for ci, c := range p.Procs[pi].Calls {
			if c.sc.result { // Validate resolved the row
				if c.Result < 0 {
					return bad("%s without a result", c.Name)
				}
				def[c.Result] = [2]int{pi, ci}
				n++
			}
		}
	}
	enc := &decoder{nprocs: len(p.Procs), res: make([][]int, len(p.Procs)), prof: pr}
	for pi := range p.Procs {
		for ci, c := range p.Procs[pi].Calls {
			rec, err := encodeCall(enc, pi, &c, def)
			if err != nil {
				return bad("process %s call %d (%s): %v", p.Procs[pi].Name, ci, c.Name, err)
			}
			out = append(out, rec...)
			if c.sc.result {
				enc.res[pi] = append(enc.res[pi], ci)
			}
		}
	}
	for i, op := range p.Wire {
		rec, err := pr.encodeWire(op)
		if err != nil {
			return bad("wire operation %d: %v", i, err)
		}
		out = append(out, rec...)
	}
	s := p.Header.Sched
	tail := []byte{endMarker, 0, 0, 0, 0}
	switch s.Kind {
	case SchedBytes:
		if len(s.Bytes) == 0 {
			// An empty byte schedule: the input ends with the records.
			return out, nil
		}
		out = append(append(out, tail...), s.Bytes...)
	case SchedReplay:
		out = append(out, tail...)
		for _, id := range s.Choices {
			switch {
			case id == sched.ClockID:
				out = append(out, 0xff)
			case id >= 0 && id < 0xff:
				out = append(out, byte(id))
			default:
				return bad("replay choice %d", id)
			}
		}
		if len(s.Choices) == 0 {
			return out[:len(out)-recordLen], nil
		}
	case SchedDefault:
		return out, nil
	case SchedRandom, SchedPCT:
		out = append(out, tail...)
		out = binary.BigEndian.AppendUint64(out, s.Seed)
		if s.Kind == SchedPCT {
			if s.Depth < 1 || s.Depth > MaxPCTDepth || s.Steps < 1 || s.Steps > MaxPCTSteps {
				return bad("pct parameters")
			}
			out = append(out, byte(s.Depth-1))
			out = binary.BigEndian.AppendUint32(out, uint32(s.Steps-1))
		}
	}
	return out, nil
}

func (p *Program) withoutComments() *Program {
	c := *p
	c.Comments = nil
	return &c
}

// encodeCall writes one call record; enc tracks the resources defined so far.
func encodeCall(enc *decoder, pi int, c *Call, def map[int][2]int) ([]byte, error) {
	sc := c.sc
	if !enc.prof.has(sc) {
		return nil, fmt.Errorf("%s is not in profile %s", c.Name, enc.prof.Name)
	}
	rec := []byte{byte(pi<<5) | sc.code, 0, 0, 0, 0}
	args := c.Args
	for pj := range sc.params {
		pm := &sc.params[pj]
		if pj >= recordLen-1 {
			return nil, fmt.Errorf("more than %d parameters", recordLen-1)
		}
		var b byte
		switch pm.kind {
		case pRes:
			where := def[int(args[0].(ResArg))]
			idx := slices.Index(enc.candidates(pi), where)
			if idx < 0 || idx > 255 {
				return nil, fmt.Errorf("resource %v is not available to the process here", args[0])
			}
			b = byte(idx)
			args = args[1:]
		case pInt:
			v := int64(args[0].(IntArg))
			i := int(v - pm.min)
			if pm.table != nil {
				i = slices.Index(pm.table, v)
			}
			if i < 0 {
				return nil, fmt.Errorf("%s %d is not in the byte form's table", pm.what, v)
			}
			b = byte(i)
			args = args[1:]
		case pPort, pAddr:
			a := args[0].(AddrArg)
			if a.IP == 0 {
				i := slices.Index(portTable, a.Port)
				if i < 0 {
					return nil, fmt.Errorf("port %d is not in the table", a.Port)
				}
				b = byte(i)
			} else {
				i := slices.Index(peerTable, a.Port)
				if pm.kind == pPort || a.IP != PeerIP || i < 0 {
					return nil, fmt.Errorf("address %v is not the peer's", a)
				}
				b = 0x80 | byte(i)<<3
			}
			args = args[1:]
		case pEnum:
			i := slices.Index(pm.words, string(args[0].(WordArg)))
			b = byte(i)
			args = args[1:]
		case pFlags:
			var got []string
			for len(args) > 0 {
				w, ok := args[0].(WordArg)
				if !ok || !slices.Contains(pm.words, string(w)) {
					break
				}
				got = append(got, string(w))
				args = args[1:]
			}
			for i, w := range pm.words {
				if slices.Contains(got, w) {
					b |= 1 << i
				}
			}
			// Canonical order is the table's; at least min flags.
			var want []string
			for _, w := range pm.words {
				if slices.Contains(got, w) {
					want = append(want, w)
				}
			}
			if !slices.Equal(got, want) || len(got) < int(pm.min) {
				return nil, fmt.Errorf("flags %v not in canonical order", got)
			}
		case pProc:
			var i int
			if _, err := fmt.Sscanf(string(args[0].(ProcArg)), "p%d", &i); err != nil || procName(i) != string(args[0].(ProcArg)) {
				return nil, fmt.Errorf("process %v", args[0])
			}
			b = byte(i)
			args = args[1:]
		}
		rec[1+pj] = b
	}
	return rec, nil
}

// encodeWire writes one wire record.
func (pr *Profile) encodeWire(op WireOp) ([]byte, error) {
	if !pr.hasWire(op.Kind) {
		return nil, fmt.Errorf("%v is not in profile %s", op.Kind, pr.Name)
	}
	if v := wireVariant(op.Kind); v >= 0 {
		return []byte{wireBase + 1, 0, 0, 0, 0x80 | wireVariants[v].code}, nil
	}
	switch op.Kind {
	case WireDrop:
		return []byte{wireBase + 1, 0, 0, 0, 0}, nil
	case WireDup:
		return []byte{wireBase + 2, 0, 0, 0, 0}, nil
	case WireReorder:
		return []byte{wireBase + 3, 0, 0, 0, 0}, nil
	case WireTick:
		if op.TwoMSL {
			return []byte{wireBase + 4, 0x80, 0, 0, 0}, nil
		}
		i := slices.Index(tickTable, op.Ms)
		if i < 0 {
			return nil, fmt.Errorf("tick %d is not in the table", op.Ms)
		}
		return []byte{wireBase + 4, byte(i), 0, 0, 0}, nil
	}
	pk := op.Packet
	src := slices.Index(peerTable, pk.Src.Port)
	dst := slices.Index(portTable, pk.Dst.Port)
	seq := slices.Index(seqTable, pk.Seq)
	ack := 0
	if pk.Flags&stack.TH_ACK != 0 {
		ack = slices.Index(ackTable, pk.Ack)
	}
	ln := slices.Index(pktLenTable, pk.Len)
	if pk.Src.IP != PeerIP || pk.Dst.IP != 0 || src < 0 || dst < 0 || ln < 0 {
		return nil, fmt.Errorf("packet %v is outside the byte form's tables", &pk)
	}
	if pk.Proto == stack.UDP {
		if pk.Flags != 0 || pk.Seq != 0 || pk.Ack != 0 || pk.Win != 0 || pk.Urp != 0 {
			return nil, fmt.Errorf("udp packet with tcp fields")
		}
		return []byte{wireBase, 0, byte(src) | byte(dst)<<3 | 0x40, byte(ln) << 6, 0}, nil
	}
	wantUrp := uint16(0)
	if pk.Flags&stack.TH_URG != 0 {
		wantUrp = 1
	}
	if seq < 0 || ack < 0 || pk.Win != DefaultWin || pk.Urp != wantUrp {
		return nil, fmt.Errorf("packet %v is outside the byte form's tables", &pk)
	}
	return []byte{wireBase, pk.Flags, byte(src) | byte(dst)<<3, byte(seq) | byte(ack)<<3 | byte(ln)<<6, 0}, nil
}

// Project returns p without its calls outside the profile, for seeding a target from a seed
// program that makes a few calls its profile leaves out (a recv or a poll in an accept-queue
// scenario). A call that defines a resource cannot go, since later calls name it: Project
// then fails, as it does when nothing is left out.
func (pr *Profile) Project(p *Program) (*Program, error) {
	c := *p
	c.Procs = make([]Proc, len(p.Procs))
	dropped := 0
	for pi, pr0 := range p.Procs {
		c.Procs[pi] = Proc{Name: pr0.Name}
		for _, call := range pr0.Calls {
			sc := call.row()
			if sc != nil && pr.has(sc) {
				c.Procs[pi].Calls = append(c.Procs[pi].Calls, call)
				continue
			}
			if sc != nil && sc.result {
				return nil, fmt.Errorf("project to %s: %s defines r%d", pr.Name, call.Name, call.Result)
			}
			dropped++
		}
	}
	if dropped == 0 {
		return nil, fmt.Errorf("project to %s: every call is in the profile", pr.Name)
	}
	return &c, nil
}

// EncodeSeed encodes a seed program for the profile: as it is when the profile can express
// it (Encode), else without the calls the profile leaves out (Project), when that is a valid
// program.
func (pr *Profile) EncodeSeed(p *Program) ([]byte, error) {
	data, err := pr.Encode(p)
	if err == nil {
		return data, nil
	}
	q, perr := pr.Project(p)
	if perr != nil {
		return nil, fmt.Errorf("%w (%v)", err, perr)
	}
	return pr.Encode(q)
}
