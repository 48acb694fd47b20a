package conformance

import (
	"errors"
	"fmt"
	"strings"
)

// Flavour selects which expectation of a step applies.
type Flavour string

// The flavours: "bsd" for the model stack, "linux" for the host kernel, "netstack" for gVisor's
// stack, which aims at Linux's answers: Linux's expectation unless the step records a deviation.
const (
	BSD      Flavour = "bsd"
	Linux    Flavour = "linux"
	Netstack Flavour = "netstack"
)

// Op is the operation of a step.
type Op int

// The operations, one per method of Sockets.
const (
	OpSocket Op = iota + 1
	OpOpenFile
	OpBind
	OpListen
	OpConnect
	OpAccept
	OpSend
	OpSendTo
	OpRecv
	OpRecvFrom
	OpShutdown
	OpClose
	OpDup
	OpSetNonblock
	OpSetLinger
	OpPoll
	OpAtMark
	OpGetSockError
)

var opNames = map[Op]string{
	OpSocket:       "socket",
	OpOpenFile:     "openfile",
	OpBind:         "bind",
	OpListen:       "listen",
	OpConnect:      "connect",
	OpAccept:       "accept",
	OpSend:         "send",
	OpSendTo:       "sendto",
	OpRecv:         "recv",
	OpRecvFrom:     "recvfrom",
	OpShutdown:     "shutdown",
	OpClose:        "close",
	OpDup:          "dup",
	OpSetNonblock:  "ioctl-fionbio",
	OpSetLinger:    "setsockopt-linger",
	OpPoll:         "poll",
	OpAtMark:       "ioctl-siocatmark",
	OpGetSockError: "getsockopt-so_error",
}

// String returns the operation's name as the syscall a reader knows ("accept").
func (o Op) String() string {
	if name, ok := opNames[o]; ok {
		return name
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// creates reports whether the operation returns a new descriptor.
func (o Op) creates() bool {
	return o == OpSocket || o == OpOpenFile || o == OpAccept || o == OpDup
}

// Slot names a descriptor inside a scenario: Socket, Accept, Dup and OpenFile store the
// descriptor they return into a slot, later steps use it. Slots are 0..MaxSlot.
type Slot int

// Special slots.
const (
	// BadFD is a descriptor number no scenario ever opens (it is passed as BadFDNumber).
	BadFD Slot = -1
	// MaxSlot is the largest slot.
	MaxSlot Slot = 15
)

// BadFDNumber is the descriptor number passed for BadFD.
const BadFDNumber = 99

// String returns "rN", or "badfd".
func (s Slot) String() string {
	if s == BadFD {
		return "badfd"
	}
	return fmt.Sprintf("r%d", int(s))
}

// Result is one outcome of a step. Which fields count depends on the operation: Err always;
// N for Send/SendTo (bytes sent), Poll (revents), AtMark (1 at the mark, else 0) and
// GetSockError (the pending error, as an Errno value); Data for Recv/RecvFrom when Err is OK;
// From for RecvFrom when Err is OK.
type Result struct {
	Err  Errno
	N    int
	Data string
	From Port
}

// Expect lists the acceptable outcomes of a step; usually exactly one. More than one is allowed
// only where timing genuinely decides, and Why must then say so.
type Expect struct {
	Any []Result
	Why string
}

// Override replaces a step's expectation for one flavour, Linux here, where that kernel really
// differs from BSD.
type Override struct {
	Want Expect
	// Reason says what Linux does and why it differs.
	Reason string
	// Source is the BSD source location that decides the BSD answer ("file function: detail").
	Source string
}

// DeviationKind classifies a step where netstack does not answer as Linux does.
type DeviationKind string

// The kinds of deviation. An adapter bug is not a kind: it is fixed in stack/netstack.
const (
	// Difference is a documented or deliberate gVisor behaviour: a feature it does not
	// implement, or a simplification its source states.
	Difference DeviationKind = "difference"
	// Finding is a divergence from Linux worth reporting to gVisor: kept as an expected
	// failure, so that the step notices when gVisor changes.
	Finding DeviationKind = "finding"
)

// Deviation replaces a step's expectation for the netstack flavour where gVisor answers
// otherwise than Linux.
type Deviation struct {
	Kind DeviationKind
	Want Expect
	// Reason says what netstack does and why.
	Reason string
	// Source is the gVisor source of the pinned version that decides netstack's answer
	// ("pkg/tcpip/transport/tcp/endpoint.go:952: detail").
	Source string
}

// Step is one call of a scenario and its expected result.
type Step struct {
	Op     Op
	FD     Slot // the descriptor argument
	Out    Slot // where a created descriptor goes (Socket, OpenFile, Accept, Dup)
	Proto  Proto
	Port   Port
	N      int // Listen: backlog; Recv/RecvFrom: byte count; SetLinger: seconds
	On     bool
	How    How
	Flags  MsgFlags
	Events PollEvents
	Wait   bool   // Poll: block until an event
	Data   string // Send/SendTo payload
	Want   Expect // BSD's answer
	Linux  *Override
	// Netstack is where gVisor's stack answers otherwise than Linux.
	Netstack *Deviation
}

// Expectation returns the step's expected outcomes for a flavour.
func (s Step) Expectation(f Flavour) Expect {
	if f == Netstack && s.Netstack != nil {
		return s.Netstack.Want
	}
	if (f == Linux || f == Netstack) && s.Linux != nil {
		return s.Linux.Want
	}
	return s.Want
}

// note returns the reason of the expectation the flavour applies, if it has one.
func (s Step) note(f Flavour) string {
	switch {
	case f == Netstack && s.Netstack != nil:
		return "netstack " + string(s.Netstack.Kind) + ": " + s.Netstack.Reason
	case (f == Linux || f == Netstack) && s.Linux != nil:
		return "linux override: " + s.Linux.Reason
	}
	return s.Expectation(f).Why
}

// Call renders the step as a call ("recv(r2, 10, peek)").
func (s Step) Call() string {
	var args []string
	switch s.Op {
	case OpSocket:
		args = []string{s.Proto.String()}
	case OpOpenFile:
	case OpBind, OpConnect:
		args = []string{s.FD.String(), s.Port.String()}
	case OpListen:
		args = []string{s.FD.String(), fmt.Sprint(s.N)}
	case OpSend:
		args = []string{s.FD.String(), quote(s.Data), s.Flags.String()}
	case OpSendTo:
		args = []string{s.FD.String(), quote(s.Data), s.Port.String(), s.Flags.String()}
	case OpRecv, OpRecvFrom:
		args = []string{s.FD.String(), fmt.Sprint(s.N), s.Flags.String()}
	case OpShutdown:
		args = []string{s.FD.String(), s.How.String()}
	case OpSetNonblock:
		args = []string{s.FD.String(), fmt.Sprint(s.On)}
	case OpSetLinger:
		args = []string{s.FD.String(), fmt.Sprint(s.On), fmt.Sprint(s.N)}
	case OpPoll:
		wait := "0"
		if s.Wait {
			wait = "INFTIM"
		}
		args = []string{s.FD.String(), s.Events.String(), wait}
	default:
		args = []string{s.FD.String()}
	}
	call := s.Op.String() + "(" + strings.Join(args, ", ") + ")"
	if s.Op.creates() {
		call = s.Out.String() + " = " + call
	}
	return call
}

// Scenario is a named sequential socket program with its expected results.
type Scenario struct {
	Name  string
	Doc   string // one line: what the scenario checks
	Steps []Step
}

// Mismatch is one step whose result is not among the expected outcomes.
type Mismatch struct {
	Scenario string
	Step     int // index into Steps; -1 for setup and teardown
	Call     string
	Want     string
	Got      string
	Note     string // the override's or deviation's reason, or the timing note, when there is one
}

// String renders the mismatch on one line.
func (m Mismatch) String() string {
	s := fmt.Sprintf("%s: step %d %s: want %s, got %s", m.Scenario, m.Step, m.Call, m.Want, m.Got)
	if m.Note != "" {
		s += " (" + m.Note + ")"
	}
	return s
}

// Run executes the scenario on impl and compares every step with its expectation for the
// flavour. It never stops early: a failed step leaves its output slot empty and later steps run
// on (an empty slot is passed as descriptor -1). If impl implements Lifecycle, Begin runs first
// and End last; their errors are mismatches of step -1.
func Run(s Scenario, impl Sockets, f Flavour) (mismatches []Mismatch) {
	if impl == nil {
		return []Mismatch{{Scenario: s.Name, Step: -1, Call: "run", Want: "an implementation", Got: "nil"}}
	}
	if lc, ok := impl.(Lifecycle); ok {
		if err := lc.Begin(); err != nil {
			return []Mismatch{{Scenario: s.Name, Step: -1, Call: "begin", Want: "OK", Got: err.Error()}}
		}
		defer func() {
			if err := lc.End(); err != nil {
				mismatches = append(mismatches, Mismatch{Scenario: s.Name, Step: -1, Call: "end", Want: "OK", Got: err.Error()})
			}
		}()
	}
	slots := make(map[Slot]int)
	for i, st := range s.Steps {
		got, fd := execute(impl, st, slots)
		if st.Op.creates() {
			if got.Err == OK {
				slots[st.Out] = fd
			} else {
				delete(slots, st.Out)
			}
		}
		want := st.Expectation(f)
		if matchesAny(st.Op, want.Any, got) {
			continue
		}
		m := Mismatch{
			Scenario: s.Name,
			Step:     i,
			Call:     st.Call(),
			Want:     formatExpect(st.Op, want),
			Got:      formatResult(st.Op, got),
			Note:     st.note(f),
		}
		mismatches = append(mismatches, m)
	}
	return mismatches
}

// fdOf resolves a slot to the descriptor to pass.
func fdOf(slots map[Slot]int, s Slot) int {
	if s == BadFD {
		return BadFDNumber
	}
	if fd, ok := slots[s]; ok {
		return fd
	}
	return -1
}

// execute performs one step; for the operations that create a descriptor it also returns it.
func execute(impl Sockets, st Step, slots map[Slot]int) (Result, int) {
	fd := fdOf(slots, st.FD)
	var r Result
	switch st.Op {
	case OpSocket:
		nfd, err := impl.Socket(st.Proto)
		return Result{Err: err}, nfd
	case OpOpenFile:
		nfd, err := impl.OpenFile()
		return Result{Err: err}, nfd
	case OpAccept:
		nfd, err := impl.Accept(fd)
		return Result{Err: err}, nfd
	case OpDup:
		nfd, err := impl.Dup(fd)
		return Result{Err: err}, nfd
	case OpBind:
		r.Err = impl.Bind(fd, st.Port)
	case OpListen:
		r.Err = impl.Listen(fd, st.N)
	case OpConnect:
		r.Err = impl.Connect(fd, st.Port)
	case OpSend:
		r.N, r.Err = impl.Send(fd, []byte(st.Data), st.Flags)
	case OpSendTo:
		r.N, r.Err = impl.SendTo(fd, []byte(st.Data), st.Port, st.Flags)
	case OpRecv:
		var b []byte
		b, r.Err = impl.Recv(fd, st.N, st.Flags)
		r.Data = string(b)
	case OpRecvFrom:
		var b []byte
		b, r.From, r.Err = impl.RecvFrom(fd, st.N, st.Flags)
		r.Data = string(b)
	case OpShutdown:
		r.Err = impl.Shutdown(fd, st.How)
	case OpClose:
		r.Err = impl.Close(fd)
	case OpSetNonblock:
		r.Err = impl.SetNonblock(fd, st.On)
	case OpSetLinger:
		r.Err = impl.SetLinger(fd, st.On, st.N)
	case OpPoll:
		var ev PollEvents
		ev, r.Err = impl.Poll(fd, st.Events, st.Wait)
		r.N = int(ev)
	case OpAtMark:
		var at bool
		at, r.Err = impl.AtMark(fd)
		if at {
			r.N = 1
		}
	case OpGetSockError:
		var soerr Errno
		soerr, r.Err = impl.GetSockError(fd)
		r.N = int(soerr)
	default:
		r.Err = EINVAL
	}
	return r, -1
}

func matchesAny(op Op, want []Result, got Result) bool {
	for _, w := range want {
		if matches(op, w, got) {
			return true
		}
	}
	return false
}

// matches compares the fields that count for the operation.
func matches(op Op, want, got Result) bool {
	if want.Err != got.Err {
		return false
	}
	switch op {
	case OpPoll, OpAtMark, OpGetSockError:
		return want.N == got.N
	case OpSend, OpSendTo:
		return got.Err != OK || want.N == got.N
	case OpRecv:
		return got.Err != OK || want.Data == got.Data
	case OpRecvFrom:
		return got.Err != OK || (want.Data == got.Data && want.From == got.From)
	}
	return true
}

func formatExpect(op Op, e Expect) string {
	if len(e.Any) == 0 {
		return "(nothing: the step has no expectation)"
	}
	parts := make([]string, len(e.Any))
	for i, r := range e.Any {
		parts[i] = formatResult(op, r)
	}
	return strings.Join(parts, " or ")
}

// formatResult renders an outcome the way the operation reads.
func formatResult(op Op, r Result) string {
	if r.Err != OK && op != OpPoll && op != OpAtMark && op != OpGetSockError {
		return r.Err.String()
	}
	var s string
	switch op {
	case OpSend, OpSendTo:
		s = fmt.Sprintf("%d bytes", r.N)
	case OpRecv:
		s = quote(r.Data)
	case OpRecvFrom:
		s = quote(r.Data) + " from " + r.From.String()
	case OpPoll:
		s = "revents " + PollEvents(r.N).String()
	case OpAtMark:
		s = fmt.Sprintf("atmark %v", r.N != 0)
	case OpGetSockError:
		s = "so_error " + Errno(r.N).String()
	default:
		return "OK"
	}
	if r.Err != OK {
		s += " with " + r.Err.String()
	}
	return s
}

// quote renders payloads, abbreviating long ones.
func quote(s string) string {
	if len(s) > 24 {
		return fmt.Sprintf("%q...(%d bytes)", s[:16], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// Validate checks that a scenario is well formed: a name and a one-line doc, at least one step,
// known operations, slots in range, a created descriptor's slot set, at least one expected
// outcome per step, a reason for every tolerant step, a reason and a BSD source for every
// Linux override, and a kind, a reason and a gVisor source for every netstack deviation, whose
// expectation must differ from Linux's.
func Validate(s Scenario) error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	if s.Doc == "" || strings.Contains(s.Doc, "\n") {
		errs = append(errs, errors.New("doc must be one non-empty line"))
	}
	if len(s.Steps) == 0 {
		errs = append(errs, errors.New("no steps"))
	}
	for i, st := range s.Steps {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("step %d (%s): %s", i, st.Call(), fmt.Sprintf(format, args...)))
		}
		if _, ok := opNames[st.Op]; !ok {
			bad("unknown operation %d", int(st.Op))
		}
		if st.FD != BadFD && (st.FD < 0 || st.FD > MaxSlot) {
			bad("descriptor slot %d out of range", int(st.FD))
		}
		if st.Op.creates() && (st.Out < 0 || st.Out > MaxSlot) {
			bad("output slot %d out of range", int(st.Out))
		}
		if st.Port < PortAny || st.Port > MaxPort {
			bad("port %d out of range", int(st.Port))
		}
		checkExpect := func(e Expect, what string) {
			if len(e.Any) == 0 {
				bad("%s expectation lists no outcome", what)
			}
			if len(e.Any) > 1 && e.Why == "" {
				bad("%s expectation tolerates %d outcomes without saying why", what, len(e.Any))
			}
		}
		checkExpect(st.Want, "bsd")
		if st.Linux != nil {
			checkExpect(st.Linux.Want, "linux")
			if strings.TrimSpace(st.Linux.Reason) == "" {
				bad("linux override without a reason")
			}
			if strings.TrimSpace(st.Linux.Source) == "" {
				bad("linux override without a BSD source location")
			}
		}
		if d := st.Netstack; d != nil {
			checkExpect(d.Want, "netstack")
			if d.Kind != Difference && d.Kind != Finding {
				bad("netstack deviation of unknown kind %q", d.Kind)
			}
			if strings.TrimSpace(d.Reason) == "" {
				bad("netstack deviation without a reason")
			}
			if strings.TrimSpace(d.Source) == "" {
				bad("netstack deviation without a gVisor source location")
			}
			for _, r := range d.Want.Any {
				if matchesAny(st.Op, st.Expectation(Linux).Any, r) {
					bad("netstack deviation expects an answer Linux gives")
					break
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("scenario %q: %w", s.Name, errors.Join(errs...))
	}
	return nil
}

// Located is a netstack deviation with its place in the table.
type Located struct {
	Scenario string
	Step     int // index into the scenario's Steps
	Op       Op
	Call     string
	Linux    Expect // what Linux answers, which netstack does not
	Deviation
}

// Deviations lists the netstack deviations of the scenario table, in table order.
func Deviations() []Located {
	var all []Located
	for _, s := range Scenarios() {
		for i, st := range s.Steps {
			if st.Netstack != nil {
				all = append(all, Located{Scenario: s.Name, Step: i, Op: st.Op, Call: st.Call(), Linux: st.Expectation(Linux), Deviation: *st.Netstack})
			}
		}
	}
	return all
}

// FormatExpect renders an expectation of an operation as a mismatch shows it ("\"abc\"",
// "EINVAL", "revents IN|HUP").
func FormatExpect(op Op, e Expect) string { return formatExpect(op, e) }
