package repro

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// paramKind is the kind of a system call parameter.
type paramKind uint8

const (
	pRes   paramKind = iota + 1 // rN, defined earlier
	pInt                        // a number in min..max
	pPort                       // :port, the stack's own address
	pAddr                       // :port or a.b.c.d:port
	pEnum                       // exactly one word of words
	pFlags                      // zero or more distinct words of words (at least min)
	pProc                       // a process name
)

// param describes one parameter of a system call: what the text accepts (kind, min..max,
// words), what the executor passes for it (vals), what the byte form draws it from (table)
// and how the minimizer simplifies it (fixed, nonblock, easier).
type param struct {
	kind     paramKind
	what     string // for messages: "length", "backlog", ...
	min, max int64
	words    []string
	// vals are the words' values for the executor, one per word: a constant (pEnum) or a bit
	// (pFlags); nil when the call's binding compares the words itself.
	vals []int
	// table lists the values the byte form draws a pInt from, one per byte value modulo its
	// length; nil draws min..max. Part of the byte form: changing it re-decodes stored inputs.
	table []int64
	// fixed marks a pInt that is a switch, not a size: the minimizer does not shrink it.
	fixed bool
	// nonblock is the pFlags word that makes the call nonblocking: the minimizer adds it and
	// never removes it (a blocking call is the harder one to read).
	nonblock string
	// easier maps a pEnum word to a simpler one the minimizer tries in its place.
	easier map[string]string
}

// binding makes a call on a process of the target: the executor's whole per-call work, with
// the arguments the call's signature fixes (Validate checked them).
type binding func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno)

// syscall is everything about one system call: the text's name and signature, the stable
// code the byte form names it by, how the executor makes it (exec) and what the minimizer
// may do with it (alias). A new call is one row of syscalls.
type syscall struct {
	name string
	// code names the call in the byte form (codec.go): stable, never reused, independent of
	// the row's place in the table; below maxCode.
	code   uint8
	result bool // defines a resource (may be written rN = ...)
	// alias: the result is another descriptor for the first argument (dup), so the minimizer
	// may replace the result's uses by the argument when removing the call.
	alias  bool
	params []param
	exec   binding
}

// maxCode bounds the codes: the byte form's call selector is 5 bits.
const maxCode = 32

var (
	res     = param{kind: pRes, what: "resource"}
	length  = param{kind: pInt, what: "length", min: 0, max: MaxPayload, table: []int64{0, 1, 2, 5, 8, 16, 64, 100, 512, 1000, 1024, 2048, 4096, 9216, 9217, 65536}}
	sflags  = param{kind: pFlags, what: "send flag", words: []string{"oob", "dontwait"}, vals: []int{stack.MSG_OOB, stack.MSG_DONTWAIT}, nonblock: "dontwait"}
	rflags  = param{kind: pFlags, what: "recv flag", words: []string{"oob", "peek", "dontwait", "waitall"}, vals: []int{stack.MSG_OOB, stack.MSG_PEEK, stack.MSG_DONTWAIT, stack.MSG_WAITALL}, nonblock: "dontwait"}
	onOff01 = param{kind: pInt, what: "ioctl value", min: 0, max: 1, fixed: true}
	proto   = param{kind: pEnum, what: "protocol", words: []string{"tcp", "udp"}, vals: []int{int(stack.TCP), int(stack.UDP)}}
	laddr   = param{kind: pPort, what: "local address"}
	raddr   = param{kind: pAddr, what: "address"}
	backlog = param{kind: pInt, what: "backlog", min: MinBacklog, max: MaxBacklog, table: []int64{-1, 0, 1, 2, 3, 5, 128, 1024}}
	shutHow = param{kind: pEnum, what: "direction", words: []string{"rd", "wr", "rdwr"}, vals: []int{stack.SHUT_RD, stack.SHUT_WR, stack.SHUT_RDWR}}
	ioctlOp = param{kind: pEnum, what: "ioctl", words: []string{"fioasync", "fionbio"}}
	fcntlOp = param{kind: pEnum, what: "fcntl command", words: []string{"setown"}}
	pproc   = param{kind: pProc, what: "process"}
	sockOpt = param{kind: pEnum, what: "socket option", words: []string{"linger"}}
	lingOn  = param{kind: pEnum, what: "linger switch", words: []string{"on", "off"}}
	lingSec = param{kind: pInt, what: "linger seconds", min: 0, max: MaxLinger, table: []int64{0, 1, 2, 5, 30, 60, 600, 3600}}
	getOpt  = param{kind: pEnum, what: "socket option", words: []string{"error"}}
	pollEv  = param{kind: pFlags, what: "poll event", min: 1, words: []string{"in", "out", "pri"}, vals: []int{stack.POLLIN, stack.POLLOUT, stack.POLLPRI}}
	pollHow = param{kind: pEnum, what: "poll mode", words: []string{"wait", "nowait"}, easier: map[string]string{"wait": "nowait"}}
)

// syscalls is the table of system calls, in the order the package comment lists them. The
// codes are the calls' places in the table of the first byte form (v0), so that a v1 input
// of the profile of every call holds the same call bytes as its v0 original.
var syscalls = []*syscall{
	{name: "socket", code: 0, result: true, params: []param{proto},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return sp.Socket(t, stack.Proto(proto.val(a[0])))
		}},
	{name: "bind", code: 1, params: []param{res, laddr},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return 0, sp.Bind(t, x.fd(a[0]), a[1].(AddrArg).Port)
		}},
	{name: "listen", code: 2, params: []param{res, backlog},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return 0, sp.Listen(t, x.fd(a[0]), intArg(a[1]))
		}},
	{name: "connect", code: 3, params: []param{res, raddr},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return 0, sp.Connect(t, x.fd(a[0]), addr(a[1]))
		}},
	{name: "accept", code: 4, result: true, params: []param{res},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return sp.Accept(t, x.fd(a[0]))
		}},
	{name: "send", code: 5, params: []param{res, length, sflags},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return sp.SendTo(t, x.fd(a[0]), payload(intArg(a[1])), nil, sflags.bits(a[2:]))
		}},
	{name: "sendto", code: 6, params: []param{res, length, raddr, sflags},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			to := addr(a[2])
			return sp.SendTo(t, x.fd(a[0]), payload(intArg(a[1])), &to, sflags.bits(a[3:]))
		}},
	{name: "recv", code: 7, params: []param{res, length, rflags}, exec: recvFrom},
	{name: "recvfrom", code: 8, params: []param{res, length, rflags}, exec: recvFrom},
	{name: "shutdown", code: 9, params: []param{res, shutHow},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return 0, sp.Shutdown(t, x.fd(a[0]), shutHow.val(a[1]))
		}},
	{name: "close", code: 10, params: []param{res},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return 0, sp.Close(t, x.fd(a[0]))
		}},
	{name: "dup", code: 11, result: true, alias: true, params: []param{res},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return sp.Dup(t, x.fd(a[0]))
		}},
	{name: "ioctl", code: 12, params: []param{res, ioctlOp, onOff01},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			on := intArg(a[2]) != 0
			if a[1] == WordArg("fioasync") {
				return 0, sp.SetAsync(t, x.fd(a[0]), on)
			}
			return 0, sp.SetNonblock(t, x.fd(a[0]), on)
		}},
	{name: "fcntl", code: 13, params: []param{res, fcntlOp, pproc},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return 0, sp.SetOwn(t, x.fd(a[0]), x.procs[string(a[2].(ProcArg))].PID())
		}},
	{name: "setsockopt", code: 14, params: []param{res, sockOpt, lingOn, lingSec},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return 0, sp.SetLinger(t, x.fd(a[0]), a[2] == WordArg("on"), intArg(a[3]))
		}},
	{name: "getsockopt", code: 15, params: []param{res, getOpt},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			e, err := sp.SockError(t, x.fd(a[0]))
			return int(e), err
		}},
	{name: "sockatmark", code: 16, params: []param{res},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			at, err := sp.AtMark(t, x.fd(a[0]))
			if at {
				return 1, err
			}
			return 0, err
		}},
	{name: "poll", code: 17, params: []param{res, pollEv, pollHow},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return sp.Poll(t, x.fd(a[0]), pollEv.bits(a[1:len(a)-1]), a[len(a)-1] == WordArg("wait"))
		}},
	{name: "interrupt", code: 18, params: []param{pproc},
		exec: func(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
			return 0, sp.Interrupt(t, x.procs[string(a[0].(ProcArg))])
		}},
}

// recvFrom is recv's and recvfrom's binding: the same kernel path, the source discarded.
func recvFrom(x *executor, t *sched.Thread, sp stack.Proc, a []Arg) (int, stack.Errno) {
	b, _, err := sp.RecvFrom(t, x.fd(a[0]), intArg(a[1]), rflags.bits(a[2:]))
	return len(b), err
}

// byName indexes the table by name, for the parser and for programs built by hand.
var byName = func() map[string]*syscall {
	m := make(map[string]*syscall, len(syscalls))
	for _, sc := range syscalls {
		m[sc.name] = sc
	}
	return m
}()

// lookupSyscall returns the signature of the named system call, or nil.
func lookupSyscall(name string) *syscall { return byName[name] }

// row returns the call's table row: the one cached on it (by Parse, Decode, the minimizer
// or an earlier Validate) while it still names the call, else the table's, or nil.
func (c *Call) row() *syscall {
	if sc := c.sc; sc != nil && sc.name == c.Name {
		return sc
	}
	return lookupSyscall(c.Name)
}

// Syscalls returns the names of the system calls a program may make.
func Syscalls() []string {
	names := make([]string, len(syscalls))
	for i, sc := range syscalls {
		names[i] = sc.name
	}
	return names
}

// resultCalls names the calls that define a resource, for messages: "socket, accept, dup".
func resultCalls() string {
	var names []string
	for _, sc := range syscalls {
		if sc.result {
			names = append(names, sc.name)
		}
	}
	return strings.Join(names, ", ")
}

// val returns the value of a pEnum argument (vals), 0 for a word it does not know.
func (pm *param) val(a Arg) int {
	w, _ := a.(WordArg)
	for i, x := range pm.words {
		if string(w) == x {
			return pm.vals[i]
		}
	}
	return 0
}

// bits ORs the bits (vals) of the pFlags words among args.
func (pm *param) bits(args []Arg) int {
	f := 0
	for _, a := range args {
		f |= pm.val(a)
	}
	return f
}

// expect describes what the parameter accepts, for error messages.
func (pm *param) expect() string {
	switch pm.kind {
	case pRes:
		return "resource rN"
	case pInt:
		return fmt.Sprintf("%s %d..%d", pm.what, pm.min, pm.max)
	case pPort:
		return "local address :port"
	case pAddr:
		return "address :port or a.b.c.d:port"
	case pEnum, pFlags:
		return fmt.Sprintf("%s (%s)", pm.what, strings.Join(pm.words, ", "))
	case pProc:
		return "process name"
	}
	return "argument"
}

// checkArg reports whether a is a valid argument for pm, ignoring references (Validate
// checks those).
func (pm *param) checkArg(a Arg) error {
	bad := func() error { return fmt.Errorf("expected %s, found %v", pm.expect(), argText(a)) }
	switch pm.kind {
	case pRes:
		if _, ok := a.(ResArg); !ok {
			return bad()
		}
	case pInt:
		v, ok := a.(IntArg)
		if !ok || int64(v) < pm.min || int64(v) > pm.max {
			return bad()
		}
	case pPort, pAddr:
		v, ok := a.(AddrArg)
		if !ok || v.Port == 0 || (pm.kind == pPort && v.IP != 0) {
			return bad()
		}
	case pEnum, pFlags:
		v, ok := a.(WordArg)
		if !ok || !slices.Contains(pm.words, string(v)) {
			return bad()
		}
	case pProc:
		v, ok := a.(ProcArg)
		if !ok || !isIdent(string(v)) {
			return bad()
		}
	}
	return nil
}

// argText prints an argument for a message, nil included.
func argText(a Arg) string {
	if a == nil {
		return "nil"
	}
	return fmt.Sprintf("%q", a.String())
}

// isIdent reports whether s is an identifier: a letter, then letters, digits, '_' and '-', at
// most MaxNameLen bytes.
func isIdent(s string) bool {
	if s == "" || len(s) > MaxNameLen || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool    { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isIdentByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '-' }

// zeros backs every payload the executor sends: programs send zero bytes, and a target copies
// what it keeps (the model appends to its sockbufs). Nothing writes to it.
var zeros [MaxPayload]byte

// payload returns n zero bytes to send without allocating them: a send of 64 KiB made and
// cleared a new buffer per call (2.4% of a fuzzing worker's time). Its capacity is n, so that
// a target appending to it copies instead of writing into zeros.
func payload(n int) []byte { return zeros[:n:n] }
