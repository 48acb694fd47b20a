package repro

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestRoundTripFixtures parses each hand-written program, prints it, parses the print and
// compares: the same program, and a print that is stable.
func TestRoundTripFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/roundtrip/*.prog")
	if err != nil || len(files) < 12 {
		t.Fatalf("want at least 12 fixtures, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(f, src)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		text := p.String()
		q, err := Parse("printed", []byte(text))
		if err != nil {
			t.Errorf("%s: print does not parse: %v\n%s", f, err, text)
			continue
		}
		if !p.Equal(q) {
			t.Errorf("%s: round trip differs:\n%s\nthen\n%s", f, text, q)
		}
		if q.String() != text {
			t.Errorf("%s: print not stable", f)
		}
		if err := CheckText(src); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestParseDesign checks the AST of the design's illustration, field by field.
func TestParseDesign(t *testing.T) {
	src, err := os.ReadFile("testdata/roundtrip/design.prog")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("design.prog", src)
	if err != nil {
		t.Fatal(err)
	}
	want := &Program{
		Comments: []string{" sockfuzz program v1", " oracle: accept-queue: socket on so_comp without SS_COMP"},
		Header: Header{Faults: []string{"accept-queue-unlocked"}, CPUs: 2, Mode: Controlled,
			Sched: Schedule{Kind: SchedPCT, Seed: 0x1f3a, Depth: 3, Steps: DefaultPCTSteps}},
		Procs: []Proc{
			{Name: "p0", Calls: []Call{
				{Result: 0, Name: "socket", Args: []Arg{WordArg("tcp")}},
				{Result: -1, Name: "bind", Args: []Arg{ResArg(0), AddrArg{Port: 80}}},
				{Result: -1, Name: "listen", Args: []Arg{ResArg(0), IntArg(2)}},
				{Result: 1, Name: "accept", Args: []Arg{ResArg(0)}},
				{Result: -1, Name: "close", Args: []Arg{ResArg(1)}},
			}},
			{Name: "p1", Calls: []Call{
				{Result: 2, Name: "socket", Args: []Arg{WordArg("tcp")}},
				{Result: -1, Name: "connect", Args: []Arg{ResArg(2), AddrArg{Port: 80}}},
				{Result: -1, Name: "send", Args: []Arg{ResArg(2), IntArg(5), WordArg("oob")}},
				{Result: -1, Name: "close", Args: []Arg{ResArg(2)}},
			}},
		},
		Wire: []WireOp{
			{Kind: WireInject, Packet: Packet{Proto: stack.TCP, Src: AddrArg{IP: 0x0a000002, Port: 4000}, Dst: AddrArg{Port: 80}, Flags: stack.TH_SYN, Win: DefaultWin}},
			{Kind: WireInject, Packet: Packet{Proto: stack.TCP, Src: AddrArg{IP: 0x0a000002, Port: 4000}, Dst: AddrArg{Port: 80}, Flags: stack.TH_ACK, Seq: 1, Ack: 1, Win: DefaultWin}},
			{Kind: WireTick, TwoMSL: true},
		},
	}
	if !got.Equal(want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestParseErrors checks the exact message, position included, of each malformed input.
func TestParseErrors(t *testing.T) {
	const sock = "proc p0\n  r0 = socket(tcp)\n"
	for _, tc := range []struct{ src, want string }{
		{"cpus 5\n", `t:1:6: expected cpus 1..4, found "5"`},
		{"cpus\n", `t:1:5: expected cpus 1..4, found end of line`},
		{"cpus 2 3\n", `t:1:8: expected end of line, found "3"`},
		{"cpus 1\ncpus 2\n", `t:2:1: expected header line not given before (cpus is), found "cpus"`},
		{"mode fast\n", `t:1:6: expected mode (controlled, free), found "fast"`},
		{"faults\n", `t:1:7: expected fault name, found end of line`},
		{"faults 9lives\n", `t:1:8: expected fault name (a letter, then letters, digits, _ or -), found "9lives"`},
		{"faults a b a\n", `t:1:12: expected fault not named before, found "a"`},
		{"sched lottery\n", `t:1:7: expected schedule (default, random, pct, syncpct, walk, preempt, bytes, replay), found "lottery"`},
		{"sched random depth=3\n", `t:1:14: expected seed=N, found "depth"`},
		{"sched pct seed=1 seed=2\n", `t:1:18: expected parameter not given before, found "seed"`},
		{"sched pct depth=17\n", `t:1:17: expected depth 1..16, found "17"`},
		{"sched walk odds=1\n", `t:1:17: expected odds 2..1048576, found "1"`},
		{"sched syncpct seed=1 steps=3\n", `t:1:22: expected seed=N, depth=N, syncs=N, found "steps"`},
		{"target\n", `t:1:7: expected target name (a letter, then letters, digits, _ or -), found end of line`},
		{"target bsd\ntarget bsd\n", `t:2:1: expected header line not given before (target is), found "target"`},
		{"sched random seed=0x1g\n", `t:1:19: expected seed 0..18446744073709551615, found "0x1g"`},
		{"sched bytes 0a1\n", `t:1:13: expected schedule bytes in hexadecimal, found "0a1"`},
		{"sched replay 0 1 x\n", `t:1:18: expected choice (a thread number or c), found "x"`},
		{"sched replay 0 256\n", `t:1:16: expected thread number 0..255, found "256"`},
		{"sched replay cc\n", `t:1:14: expected choice (a thread number or c), found "cc"`},
		{"hello\n", `t:1:1: expected proc or wire, found "hello"`},
		{"proc\n", `t:1:5: expected process name (a letter, then letters, digits, _ or -), found end of line`},
		{"proc p0\nproc p0\n", `t:2:6: expected process name not used before, found "p0"`},
		{"proc a\nproc b\nproc c\nproc d\nproc e\n", `t:5:1: expected at most 4 processes, found "proc"`},
		{"proc p0\n" + strings.Repeat("  socket(tcp)\n", 33), `t:34:3: expected at most 32 calls in process p0, found "socket"`},
		{"proc p0\n  r1 = socket(tcp)\n", `t:2:3: expected r0 (results are numbered in order of definition), found "r1"`},
		{"proc p0\n  r0 = close(r0)\n", `t:2:8: expected system call that returns a descriptor (socket, accept, dup), found "close"`},
		{"proc p0\n  frobnicate(r0)\n", `t:2:3: expected system call, found "frobnicate"`},
		{"proc p0\n  close(r0)\n", `t:2:9: expected resource defined earlier (none is), found "r0"`},
		{sock + "  close(r1)\n", `t:3:9: expected resource defined earlier (r0..r0), found "r1"`},
		{sock + "  close(x)\n", `t:3:9: expected resource rN, found "x"`},
		{sock + "  close(r0\n", `t:3:11: expected ')', found end of line`},
		{sock + "  close r0\n", `t:3:9: expected '(', found "r0"`},
		{sock + "  close(r0))\n", `t:3:12: expected end of line, found ")"`},
		{sock + "  socket(sctp)\n", `t:3:10: expected protocol (tcp, udp), found "sctp"`},
		{sock + "  bind(r0, 80)\n", `t:3:12: expected local address :port, found "80"`},
		{sock + "  bind(r0, :0)\n", `t:3:13: expected port 1..65535, found "0"`},
		{sock + "  bind(r0, :65536)\n", `t:3:13: expected port 1..65535, found "65536"`},
		{sock + "  connect(r0, 10.0.0:80)\n", `t:3:21: expected '.' of an IPv4 address a.b.c.d, found ":"`},
		{sock + "  connect(r0, 10.0.0.256:80)\n", `t:3:22: expected IPv4 address byte 0..255, found "256"`},
		{sock + "  connect(r0, 10.0.0.1)\n", `t:3:23: expected ':' before the port, found ")"`},
		{sock + "  listen(r0, 1025)\n", `t:3:14: expected backlog -1..1024, found "1025"`},
		{sock + "  listen(r0, -2)\n", `t:3:14: expected backlog -1..1024, found "-2"`},
		{sock + "  send(r0, 65537)\n", `t:3:12: expected length 0..65536, found "65537"`},
		{sock + "  send(r0, 5, peek)\n", `t:3:15: expected send flag (oob, dontwait), found "peek"`},
		{sock + "  send(r0, 5, oob, oob)\n", `t:3:20: expected send flag not given before, found "oob"`},
		{sock + "  send(r0, 5,)\n", `t:3:14: expected send flag (oob, dontwait), found ")"`},
		{sock + "  shutdown(r0, both)\n", `t:3:16: expected direction (rd, wr, rdwr), found "both"`},
		{sock + "  ioctl(r0, fionbio, 2)\n", `t:3:22: expected ioctl value 0..1, found "2"`},
		{sock + "  fcntl(r0, setown, p9)\n", `t:3:21: expected name of a process of the program, found "p9"`},
		{sock + "  setsockopt(r0, linger, on, 3601)\n", `t:3:30: expected linger seconds 0..3600, found "3601"`},
		{sock + "  poll(r0, wait)\n", `t:3:12: expected poll event (in, out, pri), found "wait"`},
		{sock + "  poll(r0, in)\n", `t:3:14: expected ',', found ")"`},
		{sock + "  poll(r0, in, forever)\n", `t:3:16: expected poll mode (wait, nowait), found "forever"`},
		{"proc p0\n  interrupt(p1)\n", `t:2:13: expected name of a process of the program, found "p1"`},
		{"wire\n  tick 600001\n", `t:2:8: expected tick in milliseconds (or 2msl) 1..600000, found "600001"`},
		{"wire\n  tick 0\n", `t:2:8: expected tick in milliseconds (or 2msl) 1..600000, found "0"`},
		{"wire\n  tick 3msl\n", `t:2:8: expected tick in milliseconds (or 2msl) 1..600000, found "3msl"`},
		{"wire\n  jiggle\n", `t:2:3: expected wire operation (<, drop, dup, reorder, unreach, stackclose, tick), found "jiggle"`},
		{"wire\n  drop 2\n", `t:2:8: expected end of line, found "2"`},
		{"wire\nproc p0\n", `t:2:1: expected wire operation (proc and wire sections come before one final wire section), found "proc"`},
		{"wire\n" + strings.Repeat("  drop\n", 65), `t:66:3: expected at most 64 wire operations, found "drop"`},
		{"wire\n  < 10.0.0.2:4000 > :80 X 0:0(0)\n", `t:2:25: expected TCP flags (S, F, R, P, U, each at most once, or .) or udp, found "X"`},
		{"wire\n  < 10.0.0.2:4000 > :80 SS 0:0(0)\n", `t:2:26: expected TCP flags (S, F, R, P, U, each at most once, or .) or udp, found "S"`},
		{"wire\n  < 10.0.0.2:4000 > :80 S 0:1(0)\n", `t:2:31: expected length 1 (end - start), found "0"`},
		{"wire\n  < 10.0.0.2:4000 > :80 S 0:0(65537)\n", `t:2:31: expected length 0..65536, found "65537"`},
		{"wire\n  < 10.0.0.2:4000 > :80 S 0:0(0) ack\n", `t:2:37: expected acknowledgment number, found end of line`},
		{"wire\n  < 10.0.0.2:4000 > :80 S 0:0(0) win 65536\n", `t:2:38: expected window 0..65535, found "65536"`},
		{"wire\n  < 10.0.0.2:4000 > :80 S 0:0(0) ack 1 ack 2\n", `t:2:40: expected ack not given before, found "ack"`},
		{"wire\n  < 10.0.0.2:4000 > :80 S 0:0(0) mss 1460\n", `t:2:34: expected ack, win, urg or end of line, found "mss"`},
		{"wire\n  < 10.0.0.2:4000 :80 S 0:0(0)\n", `t:2:19: expected '>', found ":"`},
		{"wire\n  < > :80 S 0:0(0)\n", `t:2:5: expected address :port or a.b.c.d:port, found ">"`},
		{"wire\nwire\n", `t:2:1: expected wire operation (proc and wire sections come before one final wire section), found "wire"`},
	} {
		_, err := Parse("t", []byte(tc.src))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: got %v, want a *SyntaxError", tc.src, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.src, err, tc.want)
		}
	}
}

// TestRandomProgramsRoundTrip prints 1000 random valid programs, parses them back and compares.
func TestRandomProgramsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		p := randomProgram(r)
		if err := Validate(p); err != nil {
			t.Fatalf("program %d: generated an invalid program: %v\n%s", i, err, p)
		}
		text := p.String()
		q, err := Parse("random", []byte(text))
		if err != nil {
			t.Fatalf("program %d: %v\n%s", i, err, text)
		}
		if !p.Equal(q) {
			t.Fatalf("program %d: round trip differs:\n%s\nthen\n%s", i, text, q)
		}
	}
}

// TestParseNeverPanics feeds Parse 10000 random and mutated byte strings; CheckText must hold
// for each (Parse would panic through it).
func TestParseNeverPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var seeds [][]byte
	files, _ := filepath.Glob("testdata/roundtrip/*.prog")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for i := 0; i < 50; i++ {
		seeds = append(seeds, []byte(randomProgram(r).String()))
	}
	alphabet := []byte("rp0123456789:.,()<>=#-x \t\n\rSFRPUcack win urg tick 2msl proc wire socket")
	parsed := 0
	for i := 0; i < 10000; i++ {
		var b []byte
		switch r.IntN(3) {
		case 0:
			b = make([]byte, r.IntN(200))
			for j := range b {
				if r.IntN(2) == 0 {
					b[j] = byte(r.UintN(256))
				} else {
					b[j] = alphabet[r.IntN(len(alphabet))]
				}
			}
		default:
			b = mutate(r, seeds[r.IntN(len(seeds))], alphabet)
		}
		if err := CheckText(b); err != nil {
			t.Fatalf("input %q: %v", b, err)
		}
		if _, err := Parse("x", b); err == nil {
			parsed++
		}
	}
	t.Logf("%d of 10000 inputs parsed", parsed)
}

// mutate applies a few random edits to a copy of b.
func mutate(r *rand.Rand, b []byte, alphabet []byte) []byte {
	b = append([]byte(nil), b...)
	for n := 1 + r.IntN(4); n > 0; n-- {
		if len(b) == 0 {
			return append(b, alphabet[r.IntN(len(alphabet))])
		}
		i := r.IntN(len(b))
		switch r.IntN(5) {
		case 0:
			b[i] = alphabet[r.IntN(len(alphabet))]
		case 1:
			b = append(b[:i], b[i+1:]...)
		case 2:
			b = append(b[:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
		case 3:
			b[i] = byte(r.UintN(256))
		case 4:
			j := i + r.IntN(len(b)-i)
			b = append(b[:i], b[j:]...)
		}
	}
	return b
}

// randomProgram generates a valid program from r.
func randomProgram(r *rand.Rand) *Program {
	p := NewProgram()
	for n := r.IntN(3); n > 0; n-- {
		p.Comments = append(p.Comments, []string{"", " title: x", "\tTab # inner hash", " trailing  "}[r.IntN(4)])
	}
	for n := r.IntN(4); n > 0; n-- {
		f := randIdent(r)
		if !containsString(p.Header.Faults, f) {
			p.Header.Faults = append(p.Header.Faults, f)
		}
	}
	p.Header.CPUs = 1 + r.IntN(MaxCPUs)
	if r.IntN(4) == 0 {
		p.Header.Mode = Free
	}
	s := &p.Header.Sched
	switch r.IntN(5) {
	case 0:
	case 1:
		s.Kind, s.Seed = SchedRandom, r.Uint64()
	case 2:
		s.Kind, s.Seed, s.Depth, s.Steps = SchedPCT, r.Uint64(), 1+r.IntN(MaxPCTDepth), 1+r.IntN(MaxPCTSteps)
	case 3:
		s.Kind = SchedBytes
		for n := r.IntN(40); n > 0; n-- {
			s.Bytes = append(s.Bytes, byte(r.UintN(256)))
		}
	case 4:
		s.Kind = SchedReplay
		for n := r.IntN(40); n > 0; n-- {
			c := sched.ID(r.IntN(MaxThreadID+2)) - 1
			s.Choices = append(s.Choices, c)
		}
	}
	nprocs := r.IntN(MaxProcs + 1)
	for i := 0; i < nprocs; i++ {
		name := randIdent(r)
		for containsProc(p.Procs, name) {
			name += "x"
		}
		p.Procs = append(p.Procs, Proc{Name: name})
	}
	nres := 0
	for i := range p.Procs {
		for n := r.IntN(MaxCalls + 1); n > 0; n-- {
			c, ok := randomCall(r, p, nres)
			if !ok {
				continue
			}
			if c.Result >= 0 {
				nres++
			}
			p.Procs[i].Calls = append(p.Procs[i].Calls, c)
		}
	}
	for n := r.IntN(MaxWireOps + 1); n > 0; n-- {
		p.Wire = append(p.Wire, randomWireOp(r))
	}
	return p
}

func randomCall(r *rand.Rand, p *Program, nres int) (Call, bool) {
	sc := syscalls[r.IntN(len(syscalls))]
	c := Call{Result: -1, Name: sc.name}
	if sc.result && r.IntN(5) > 0 {
		c.Result = nres
	}
	for i := range sc.params {
		pm := &sc.params[i]
		switch pm.kind {
		case pRes:
			if nres == 0 {
				return Call{}, false
			}
			c.Args = append(c.Args, ResArg(r.IntN(nres)))
		case pInt:
			c.Args = append(c.Args, IntArg(pm.min+r.Int64N(pm.max-pm.min+1)))
		case pPort:
			c.Args = append(c.Args, AddrArg{Port: uint16(1 + r.IntN(65535))})
		case pAddr:
			c.Args = append(c.Args, randAddr(r))
		case pEnum:
			c.Args = append(c.Args, WordArg(pm.words[r.IntN(len(pm.words))]))
		case pFlags:
			perm := r.Perm(len(pm.words))
			n := int(pm.min) + r.IntN(len(pm.words)+1-int(pm.min))
			for _, j := range perm[:n] {
				c.Args = append(c.Args, WordArg(pm.words[j]))
			}
		case pProc:
			if len(p.Procs) == 0 {
				return Call{}, false
			}
			c.Args = append(c.Args, ProcArg(p.Procs[r.IntN(len(p.Procs))].Name))
		}
	}
	return c, true
}

func randomWireOp(r *rand.Rand) WireOp {
	switch r.IntN(8) {
	case 4:
		return WireOp{Kind: WireUnreach}
	case 5:
		return WireOp{Kind: WireStackClose}
	case 0:
		return WireOp{Kind: WireDrop}
	case 1:
		return WireOp{Kind: WireDup}
	case 2:
		return WireOp{Kind: WireReorder}
	case 3:
		if r.IntN(2) == 0 {
			return WireOp{Kind: WireTick, TwoMSL: true}
		}
		return WireOp{Kind: WireTick, Ms: 1 + r.Int64N(MaxTick)}
	}
	pk := Packet{Proto: stack.TCP, Src: randAddr(r), Dst: randAddr(r), Len: r.IntN(MaxPayload + 1)}
	if r.IntN(4) == 0 {
		pk.Proto = stack.UDP
		return WireOp{Kind: WireInject, Packet: pk}
	}
	pk.Flags = uint8(r.UintN(64))
	pk.Seq = r.Uint32()
	if pk.Flags&stack.TH_ACK != 0 {
		pk.Ack = r.Uint32()
	}
	pk.Win = uint16(r.UintN(65536))
	if r.IntN(2) == 0 {
		pk.Win = DefaultWin
	}
	if r.IntN(3) == 0 {
		pk.Urp = uint16(r.UintN(65536))
	}
	return WireOp{Kind: WireInject, Packet: pk}
}

func randAddr(r *rand.Rand) AddrArg {
	a := AddrArg{Port: uint16(1 + r.IntN(65535))}
	if r.IntN(2) == 0 {
		a.IP = r.Uint32()
	}
	return a
}

func randIdent(r *rand.Rand) string {
	const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	const rest = first + "0123456789_-"
	b := []byte{first[r.IntN(len(first))]}
	for n := r.IntN(12); n > 0; n-- {
		b = append(b, rest[r.IntN(len(rest))])
	}
	return string(b)
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func containsProc(ps []Proc, name string) bool {
	for _, pr := range ps {
		if pr.Name == name {
			return true
		}
	}
	return false
}
