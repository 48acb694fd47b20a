package repro

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// editBases are small base programs for the edit form's tests.
func editBases(t *testing.T) []*Program {
	t.Helper()
	srcs := []string{`
proc p0
  r0 = socket(tcp)
  bind(r0, :80)
  listen(r0, 1)
  r1 = accept(r0)
  close(r1)
wire
  < 10.0.0.2:4000 > :80 S 0:0(0)
`, `
cpus 2
proc p0
  r0 = socket(tcp)
  connect(r0, :80)
proc p1
  recv(r0, 100)
proc p2
  interrupt(p1)
`}
	var out []*Program
	for i, s := range srcs {
		p, err := Parse("base", []byte(s))
		if err != nil {
			t.Fatalf("base %d: %v", i, err)
		}
		out = append(out, p)
	}
	return out
}

// edit builds an edit-form input: base i, then the records.
func edit(base int, recs ...[]byte) []byte {
	b := EncodeBase(base)
	for _, r := range recs {
		b = append(append(b, EditSep), r...)
	}
	return b
}

// body is a program's text without its header.
func body(p *Program) string {
	s := p.String()
	if i := strings.Index(s, "proc p0"); i >= 0 {
		return s[i:]
	}
	return s
}

// TestEditsBase checks that an input with no edit is its base.
func TestEditsBase(t *testing.T) {
	bases := editBases(t)
	for i, b := range bases {
		got := AllCalls.DecodeEdits(bases, EncodeBase(i))
		if got.String() != b.String() {
			t.Errorf("base %d decodes to\n%s\nwant\n%s", i, got, b)
		}
	}
	if got := AllCalls.DecodeEdits(bases, EncodeBase(len(bases))); got.String() != bases[0].String() {
		t.Errorf("the base index wraps: got\n%s", got)
	}
	if got := AllCalls.DecodeEdits(nil, nil); len(got.Procs) != 1 || len(got.Procs[0].Calls) != 0 {
		t.Errorf("no base, no input: %s", got)
	}
}

// TestEditsOperations checks each operation on base 0 or 1: the program it makes.
func TestEditsOperations(t *testing.T) {
	bases := editBases(t)
	tests := []struct {
		name string
		in   []byte
		want string // a text the program must contain
		lack string // and one it must not
	}{
		{"insert a close of r1 after the accept", edit(0, []byte{0, 0, 4, 10, 1}), "  r1 = accept(r0)\n  close(r1)\n  close(r1)", ""},
		{"delete the listen", edit(0, []byte{1, 0, 2}), "  bind(r0, :80)\n  r1 = accept(r0)", "listen"},
		{"redraw listen's backlog to 128", edit(0, []byte{2, 0, 2, 1, 6}), "listen(r0, 128)", "listen(r0, 1)"},
		{"splice base 1's connect into p0 at the end", edit(0, []byte{3, 1, 0, 0, 1, 0, 5}), "  close(r1)\n  r2 = socket(tcp)\n  connect(r2, :80)", ""},
		{"insert a tick first", edit(0, []byte{4, 0, 4, 1}), "wire\n  tick 10\n  < 10.0.0.2:4000", ""},
		{"delete the wire's SYN", edit(0, []byte{5, 0}), "", "10.0.0.2:4000"},
		{"move the close to a new place: before the accept, it loses r1 and takes r0", edit(0, []byte{6, 0, 4, 0, 3}), "  listen(r0, 1)\n  close(r0)\n  r1 = accept(r0)", ""},
		{"duplicate p0", edit(0, []byte{7, 0}), "proc p1\n  r2 = socket(tcp)\n  bind(r2, :80)", ""},
		{"p2's interrupt follows its process: delete nothing, duplicate p2 (p3 interrupts p1)", edit(1, []byte{7, 2}), "proc p3\n  interrupt(p1)", ""},
		{"a splice of interrupt(p1) into a one-process program names p0", edit(0, []byte{3, 1, 2, 0, 0, 0, 0}), "  interrupt(p0)\n  r0 = socket(tcp)", ""},
	}
	for _, tt := range tests {
		p := AllCalls.DecodeEdits(bases, tt.in)
		if err := Validate(p); err != nil {
			t.Errorf("%s: invalid program: %v\n%s", tt.name, err, p)
			continue
		}
		s := p.String()
		if tt.want != "" && !strings.Contains(s, tt.want) {
			t.Errorf("%s: program lacks %q:\n%s", tt.name, tt.want, s)
		}
		if tt.lack != "" && strings.Contains(s, tt.lack) {
			t.Errorf("%s: program still has %q:\n%s", tt.name, tt.lack, s)
		}
	}
	// Two CPUs and a random schedule of seed 7 (codecScheds[2]).
	p := AllCalls.DecodeEdits(bases, edit(0, []byte{8, 1, 2, 0, 0, 0, 0, 0, 0, 0, 7}))
	if h := p.Header; h.CPUs != 2 || h.Sched.Kind != SchedRandom || h.Sched.Seed != 7 {
		t.Errorf("header edit: %+v", h)
	}
}

// TestEditsReferencesRepaired checks that a call whose resource is deleted takes another one
// it may use, and is dropped when there is none.
func TestEditsReferencesRepaired(t *testing.T) {
	bases := editBases(t)
	// Delete the accept: close(r1) takes the socket, the one resource left.
	p := AllCalls.DecodeEdits(bases, edit(0, []byte{1, 0, 3}))
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body(p), "  listen(r0, 1)\n  close(r0)") {
		t.Errorf("close after its accept's deletion:\n%s", p)
	}
	// Delete the socket: every call of p0 needs a resource and none is left.
	p = AllCalls.DecodeEdits(bases, edit(0, []byte{1, 0, 0}))
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	if len(p.Procs[0].Calls) != 0 {
		t.Errorf("calls left without a resource:\n%s", p)
	}
}

// TestEditsTotal decodes random inputs, and random mutations of edited inputs: every one is a
// valid, bounded program, and decoding is deterministic.
func TestEditsTotal(t *testing.T) {
	bases := editBases(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		n := rng.IntN(200)
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
			if rng.IntN(6) == 0 {
				data[j] = EditSep
			}
		}
		for _, pr := range []*Profile{AllCalls, mustTestProfile(t)} {
			p := pr.DecodeEdits(bases, data)
			if err := Validate(p); err != nil {
				t.Fatalf("input %x: invalid program: %v\n%s", data, err, p)
			}
			if again := pr.DecodeEdits(bases, data); again.String() != p.String() {
				t.Fatalf("input %x decodes two ways", data)
			}
		}
	}
}

// TestEditsLocality checks that bytes inserted into one edit record, as a byte mutator
// inserts them, leave the other edits as they were: the separators frame the records, where
// the byte form's fixed-length records would all shift.
func TestEditsLocality(t *testing.T) {
	bases := editBases(t)
	insert := []byte{0, 0, 4, 10, 1} // close(r1) after the accept
	middle := []byte{2, 0, 2, 1, 6}  // listen's backlog to 128
	drop := []byte{5, 0}             // the wire's SYN deleted
	for _, junk := range [][]byte{{0x42}, {1, 2, 3}, {0xff, 0, 0x7f, 9, 9, 9, 9}} {
		m := append(append(append([]byte{}, middle[:2]...), junk...), middle[2:]...)
		p := AllCalls.DecodeEdits(bases, edit(0, insert, m, drop))
		s := p.String()
		if !strings.Contains(s, "  close(r1)\n  close(r1)") || strings.Contains(s, "10.0.0.2:4000") {
			t.Errorf("%x inserted into the middle edit changed the others:\n%s", junk, s)
		}
	}
}

func mustTestProfile(t *testing.T) *Profile {
	t.Helper()
	p, err := NewProfile("edits-test", "socket", "bind", "listen", "connect", "accept", "close", "recv", "send")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
