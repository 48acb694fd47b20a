package repro

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/sockfuzz/sockfuzz/stack"
)

// Validate checks that p is a well-formed program within the limits: every reference resolves
// to a resource defined earlier in the program (by socket, accept or dup) and every process
// reference to a process of the program; every argument fits its system call's signature; and
// the fields a text line cannot express are zero, so that String and Parse round-trip p.
// Fault names are checked for syntax only.
func Validate(p *Program) error {
	if p == nil {
		return errors.New("validate: nil program")
	}
	if err := validateHeader(p); err != nil {
		return fmt.Errorf("validate header: %w", err)
	}
	if len(p.Procs) > MaxProcs {
		return fmt.Errorf("validate: %d processes, at most %d allowed", len(p.Procs), MaxProcs)
	}
	names := make([]string, 0, len(p.Procs))
	for _, pr := range p.Procs {
		if !isIdent(pr.Name) {
			return fmt.Errorf("validate: process name %q is not an identifier", pr.Name)
		}
		if slices.Contains(names, pr.Name) {
			return fmt.Errorf("validate: process name %q used twice", pr.Name)
		}
		names = append(names, pr.Name)
	}
	nres := 0
	for _, pr := range p.Procs {
		if len(pr.Calls) > MaxCalls {
			return fmt.Errorf("validate: process %s: %d calls, at most %d allowed", pr.Name, len(pr.Calls), MaxCalls)
		}
		for i := range pr.Calls {
			c := &pr.Calls[i]
			if err := validateCall(c, nres, names); err != nil {
				return fmt.Errorf("validate: process %s call %d (%s): %w", pr.Name, i, c.Name, err)
			}
			if c.Result >= 0 {
				nres++
			}
		}
	}
	if len(p.Wire) > MaxWireOps {
		return fmt.Errorf("validate: %d wire operations, at most %d allowed", len(p.Wire), MaxWireOps)
	}
	for i := range p.Wire {
		if err := validateWireOp(&p.Wire[i]); err != nil {
			return fmt.Errorf("validate: wire operation %d: %w", i, err)
		}
	}
	return nil
}

func validateHeader(p *Program) error {
	for i, c := range p.Comments {
		if strings.ContainsRune(c, '\n') || strings.HasSuffix(c, "\r") {
			return fmt.Errorf("comment %d holds a newline or ends with a carriage return", i)
		}
	}
	h := &p.Header
	if h.Target != "" && !isIdent(h.Target) {
		return fmt.Errorf("target name %q is not an identifier", h.Target)
	}
	if len(h.Faults) > MaxFaults {
		return fmt.Errorf("%d faults, at most %d allowed", len(h.Faults), MaxFaults)
	}
	for i, f := range h.Faults {
		if !isIdent(f) {
			return fmt.Errorf("fault name %q is not an identifier", f)
		}
		if slices.Contains(h.Faults[:i], f) {
			return fmt.Errorf("fault %q named twice", f)
		}
	}
	if h.CPUs < MinCPUs || h.CPUs > MaxCPUs {
		return fmt.Errorf("cpus %d out of %d..%d", h.CPUs, MinCPUs, MaxCPUs)
	}
	if h.Mode != Controlled && h.Mode != Free {
		return fmt.Errorf("mode %q is neither %q nor %q", h.Mode, Controlled, Free)
	}
	if err := validateSchedule(&h.Sched); err != nil {
		return fmt.Errorf("sched: %w", err)
	}
	return nil
}

func validateSchedule(s *Schedule) error { return s.Validate() }

// validateCall checks a call whose resources must be below nres and whose processes in names.
func validateCall(c *Call, nres int, names []string) error {
	sc := c.row()
	if sc == nil {
		return fmt.Errorf("unknown system call %q", c.Name)
	}
	if c.sc != sc {
		c.sc = sc // a call built by hand: resolved once, here, for the executor
	}
	switch {
	case c.Result == -1:
	case !sc.result:
		return fmt.Errorf("defines r%d but returns no descriptor", c.Result)
	case c.Result != nres:
		return fmt.Errorf("defines r%d where r%d is next (results are numbered in order)", c.Result, nres)
	}
	args := c.Args
	for i := range sc.params {
		pm := &sc.params[i]
		if pm.kind == pFlags {
			n := 0
			for len(args) > 0 {
				w, ok := args[0].(WordArg)
				if !ok || !slices.Contains(pm.words, string(w)) {
					break
				}
				n++
				args = args[1:]
			}
			if n < int(pm.min) {
				return fmt.Errorf("%d arguments of kind %s, at least %d needed", n, pm.what, pm.min)
			}
			continue
		}
		if len(args) == 0 {
			return fmt.Errorf("missing argument: %s", pm.expect())
		}
		if err := pm.checkArg(args[0]); err != nil {
			return fmt.Errorf("argument %d: %w", len(c.Args)-len(args), err)
		}
		switch a := args[0].(type) {
		case ResArg:
			if int(a) < 0 || int(a) >= nres {
				return fmt.Errorf("argument %d: %v is not defined earlier", len(c.Args)-len(args), a)
			}
		case ProcArg:
			if !slices.Contains(names, string(a)) {
				return fmt.Errorf("argument %d: no process %q", len(c.Args)-len(args), string(a))
			}
		}
		args = args[1:]
	}
	if len(args) > 0 {
		return fmt.Errorf("argument %d: unexpected %s", len(c.Args)-len(args), argText(args[0]))
	}
	return checkFlagsUnique(c.Args)
}

// checkFlagsUnique rejects a keyword given twice among a call's arguments (flag lists must not
// repeat; no signature takes the same keyword in two places).
func checkFlagsUnique(args []Arg) error {
	for i, a := range args {
		if w, ok := a.(WordArg); ok && slices.Contains(args[:i], a) {
			return fmt.Errorf("flag %q given twice", string(w))
		}
	}
	return nil
}

func validateWireOp(op *WireOp) error {
	switch op.Kind {
	case WireInject:
		if op.Ms != 0 || op.TwoMSL {
			return errors.New("inject with tick fields set")
		}
		return validatePacket(&op.Packet)
	case WireDrop, WireDup, WireReorder, WireTick, WireUnreach, WireStackClose:
		if op.Packet != (Packet{}) {
			return fmt.Errorf("%v with a packet", op.Kind)
		}
		if op.Kind != WireTick && (op.Ms != 0 || op.TwoMSL) {
			return fmt.Errorf("%v with tick fields set", op.Kind)
		}
		if op.Kind == WireTick && op.TwoMSL && op.Ms != 0 {
			return errors.New("tick 2msl with a length in milliseconds")
		}
		if op.Kind == WireTick && !op.TwoMSL && (op.Ms < 1 || op.Ms > MaxTick) {
			return fmt.Errorf("tick %d out of 1..%d ms", op.Ms, MaxTick)
		}
		return nil
	}
	return fmt.Errorf("unknown wire operation kind %d", op.Kind)
}

func validatePacket(pk *Packet) error {
	if pk.Src.Port == 0 || pk.Dst.Port == 0 {
		return errors.New("packet port 0")
	}
	if pk.Len < 0 || pk.Len > MaxPayload {
		return fmt.Errorf("packet length %d out of 0..%d", pk.Len, MaxPayload)
	}
	switch pk.Proto {
	case stack.TCP:
		const known = stack.TH_FIN | stack.TH_SYN | stack.TH_RST | stack.TH_PSH | stack.TH_ACK | stack.TH_URG
		if pk.Flags&^known != 0 {
			return fmt.Errorf("unknown TCP flags %#x", pk.Flags&^known)
		}
		if pk.Flags&stack.TH_ACK == 0 && pk.Ack != 0 {
			return errors.New("acknowledgment number without the ACK flag")
		}
	case stack.UDP:
		if pk.Flags != 0 || pk.Seq != 0 || pk.Ack != 0 || pk.Win != 0 || pk.Urp != 0 {
			return errors.New("UDP datagram with TCP fields set")
		}
	default:
		return fmt.Errorf("unknown protocol %d", pk.Proto)
	}
	return nil
}

// String names the wire operation kind.
func (k WireKind) String() string {
	switch k {
	case WireInject:
		return "inject"
	case WireDrop:
		return "drop"
	case WireDup:
		return "dup"
	case WireReorder:
		return "reorder"
	case WireTick:
		return "tick"
	case WireUnreach:
		return "unreach"
	case WireStackClose:
		return "stackclose"
	}
	return fmt.Sprintf("WireKind(%d)", uint8(k))
}

// wireVariants are the wire operations not every target has, each with the name a target's
// Calls lists it by (stack.CallWireUnreach, ...) and the stable code the byte form selects it by
// (codec.go), never reused: a profile lists them by the same names.
var wireVariants = []struct {
	kind WireKind
	name string
	code uint8
}{
	{WireUnreach, stack.CallWireUnreach, 0},
	{WireStackClose, stack.CallWireStackClose, 1},
}

// maxWireCode bounds the wire variants' codes: the byte form's selector is 7 bits.
const maxWireCode = 128

// wireVariant returns the index in wireVariants of k, -1 for an operation every target has.
func wireVariant(k WireKind) int {
	for i, v := range wireVariants {
		if v.kind == k {
			return i
		}
	}
	return -1
}

// lookupWireVariant returns the index in wireVariants of the variant called name
// ("wire:unreach"), -1 if there is none.
func lookupWireVariant(name string) int {
	for i, v := range wireVariants {
		if v.name == name {
			return i
		}
	}
	return -1
}

// ValidateTarget checks that t makes every system call of p and has every wire operation it
// uses: a call outside the target's profile is an error naming the call, its place and the
// target; so is a wire operation the target does not list (stack.CallWireUnreach, ...). Every
// execution checks this, so each call costs one bit test of the target's calls, made once
// (supportedCodes).
func ValidateTarget(p *Program, t stack.Target) error {
	supported := supportedCodes(t)
	for i := range p.Procs {
		for j := range p.Procs[i].Calls {
			c := &p.Procs[i].Calls[j]
			if sc := c.row(); sc == nil || supported.calls&(1<<sc.code) == 0 {
				return fmt.Errorf("validate: process %s, call %d: %s is not a system call of target %s (its calls: %s)",
					p.Procs[i].Name, j, c.Name, t.Name(), strings.Join(t.Calls(), ", "))
			}
		}
	}
	for i, op := range p.Wire {
		if v := wireVariant(op.Kind); v >= 0 && supported.wire&(1<<v) == 0 {
			return fmt.Errorf("validate: wire operation %d: %v is not a wire operation of target %s (it does not list %q)",
				i, op.Kind, t.Name(), wireVariants[v].name)
		}
	}
	return nil
}

// codeSet is what a target supports: bit code of calls for each system call (syscalls.go),
// bit i of wire for wireVariants[i].
type codeSet struct {
	calls uint32
	wire  uint32
}

// targetCodes caches each target's supportedCodes, by name.
var targetCodes sync.Map // string -> codeSet

// supportedCodes is the set of the calls and wire variants t lists.
func supportedCodes(t stack.Target) codeSet {
	if m, ok := targetCodes.Load(t.Name()); ok {
		return m.(codeSet)
	}
	var m codeSet
	for _, name := range t.Calls() {
		if sc := lookupSyscall(name); sc != nil {
			m.calls |= 1 << sc.code
		}
		if v := lookupWireVariant(name); v >= 0 {
			m.wire |= 1 << v
		}
	}
	targetCodes.Store(t.Name(), m)
	return m
}
