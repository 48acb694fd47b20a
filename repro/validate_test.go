package repro

import (
	"errors"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TestValidate checks that Validate rejects programs built in Go that the text cannot express
// or that break a rule, each with a message naming the problem.
func TestValidate(t *testing.T) {
	sock := Call{Result: 0, Name: "socket", Args: []Arg{WordArg("tcp")}}
	one := func(calls ...Call) *Program {
		p := NewProgram()
		p.Procs = []Proc{{Name: "p0", Calls: append([]Call{sock}, calls...)}}
		return p
	}
	for _, tc := range []struct {
		name string
		p    *Program
		want string // substring of the error; "" for a valid program
	}{
		{"valid", one(Call{Result: -1, Name: "close", Args: []Arg{ResArg(0)}}), ""},
		{"nil", nil, "nil program"},
		{"later result", one(Call{Result: -1, Name: "close", Args: []Arg{ResArg(1)}}), "r1 is not defined earlier"},
		{"misnumbered", one(Call{Result: 3, Name: "dup", Args: []Arg{ResArg(0)}}), "defines r3 where r1 is next"},
		{"result of close", one(Call{Result: 1, Name: "close", Args: []Arg{ResArg(0)}}), "returns no descriptor"},
		{"unknown proc", one(Call{Result: -1, Name: "interrupt", Args: []Arg{ProcArg("p7")}}), `no process "p7"`},
		{"unknown call", one(Call{Result: -1, Name: "ptrace"}), `unknown system call "ptrace"`},
		{"missing arg", one(Call{Result: -1, Name: "listen", Args: []Arg{ResArg(0)}}), "missing argument: backlog -1..1024"},
		{"extra arg", one(Call{Result: -1, Name: "close", Args: []Arg{ResArg(0), IntArg(1)}}), `unexpected "1"`},
		{"nil arg", one(Call{Result: -1, Name: "close", Args: []Arg{nil}}), "found nil"},
		{"payload", one(Call{Result: -1, Name: "send", Args: []Arg{ResArg(0), IntArg(MaxPayload + 1)}}), "length 0..65536"},
		{"flag twice", one(Call{Result: -1, Name: "recv", Args: []Arg{ResArg(0), IntArg(1), WordArg("peek"), WordArg("peek")}}), "given twice"},
		{"port 0", one(Call{Result: -1, Name: "bind", Args: []Arg{ResArg(0), AddrArg{}}}), "local address"},
		{"cpus", func() *Program { p := one(); p.Header.CPUs = 5; return p }(), "cpus 5 out of 1..4"},
		{"mode", func() *Program { p := one(); p.Header.Mode = "fast"; return p }(), `mode "fast"`},
		{"fault name", func() *Program { p := one(); p.Header.Faults = []string{"a b"}; return p }(), "not an identifier"},
		{"stray seed", func() *Program { p := one(); p.Header.Sched.Seed = 1; return p }(), "does not have"},
		{"comment newline", func() *Program { p := one(); p.Comments = []string{"a\nb"}; return p }(), "newline"},
		{"procs", func() *Program {
			p := NewProgram()
			for _, n := range []string{"a", "b", "c", "d", "e"} {
				p.Procs = append(p.Procs, Proc{Name: n})
			}
			return p
		}(), "5 processes, at most 4"},
		{"calls", func() *Program {
			p := one()
			for i := 0; i < MaxCalls; i++ {
				p.Procs[0].Calls = append(p.Procs[0].Calls, Call{Result: -1, Name: "close", Args: []Arg{ResArg(0)}})
			}
			return p
		}(), "33 calls, at most 32"},
		{"tick", func() *Program { p := one(); p.Wire = []WireOp{{Kind: WireTick, Ms: MaxTick + 1}}; return p }(), "out of 1..600000"},
		{"udp seq", func() *Program {
			p := one()
			p.Wire = []WireOp{{Kind: WireInject, Packet: Packet{Proto: stack.UDP, Src: AddrArg{Port: 1}, Dst: AddrArg{Port: 2}, Seq: 1}}}
			return p
		}(), "TCP fields"},
		{"ack without ACK", func() *Program {
			p := one()
			p.Wire = []WireOp{{Kind: WireInject, Packet: Packet{Proto: stack.TCP, Src: AddrArg{Port: 1}, Dst: AddrArg{Port: 2}, Ack: 1}}}
			return p
		}(), "without the ACK flag"},
	} {
		err := Validate(tc.p)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// profileTarget is a target that makes only some calls, for ValidateTarget; it runs nothing.
type profileTarget struct{ calls []string }

func (t profileTarget) Name() string           { return "profile-test" }
func (t profileTarget) Calls() []string        { return t.calls }
func (t profileTarget) Faults() []stack.Fault  { return nil }
func (t profileTarget) Role(string) stack.Role { return stack.RoleOther }
func (t profileTarget) New(*sched.Exec, stack.Config) (stack.Instance, error) {
	return nil, errors.New("profileTarget runs nothing")
}

// TestValidateTarget checks that a call outside a target's profile is refused, naming the call,
// its process and place, and the target, and that the calls the target makes pass.
func TestValidateTarget(t *testing.T) {
	p, err := Parse("t", []byte("proc p0\n  r0 = socket(tcp)\n  ioctl(r0, fioasync, 1)\n  close(r0)\n"))
	if err != nil {
		t.Fatal(err)
	}
	all := profileTarget{calls: []string{"socket", "ioctl", "close"}}
	if err := ValidateTarget(p, all); err != nil {
		t.Errorf("every call supported: %v", err)
	}
	// Another name, so that the cached set of codes is its own.
	some := profileTarget{calls: []string{"socket", "close"}}
	err = ValidateTarget(p, namedTarget{some, "profile-test-2"})
	want := "validate: process p0, call 1: ioctl is not a system call of target profile-test-2 (its calls: socket, close)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// namedTarget gives a target another name.
type namedTarget struct {
	profileTarget
	name string
}

func (t namedTarget) Name() string { return t.name }
