package repro

import (
	"fmt"
	"slices"
	"strings"
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

// param describes one parameter of a system call.
type param struct {
	kind     paramKind
	what     string // for messages: "length", "backlog", ...
	min, max int64
	words    []string
}

// syscall is a system call's signature.
type syscall struct {
	name   string
	result bool // defines a resource (may be written rN = ...)
	params []param
}

var (
	res     = param{kind: pRes, what: "resource"}
	length  = param{kind: pInt, what: "length", min: 0, max: MaxPayload}
	sflags  = param{kind: pFlags, what: "send flag", words: []string{"oob", "dontwait"}}
	rflags  = param{kind: pFlags, what: "recv flag", words: []string{"oob", "peek", "dontwait", "waitall"}}
	onOff01 = param{kind: pInt, what: "ioctl value", min: 0, max: 1}
)

// syscalls is the table of system calls, in the order the package comment lists them.
var syscalls = []*syscall{
	{name: "socket", result: true, params: []param{{kind: pEnum, what: "protocol", words: []string{"tcp", "udp"}}}},
	{name: "bind", params: []param{res, {kind: pPort, what: "local address"}}},
	{name: "listen", params: []param{res, {kind: pInt, what: "backlog", min: MinBacklog, max: MaxBacklog}}},
	{name: "connect", params: []param{res, {kind: pAddr, what: "address"}}},
	{name: "accept", result: true, params: []param{res}},
	{name: "send", params: []param{res, length, sflags}},
	{name: "sendto", params: []param{res, length, {kind: pAddr, what: "address"}, sflags}},
	{name: "recv", params: []param{res, length, rflags}},
	{name: "recvfrom", params: []param{res, length, rflags}},
	{name: "shutdown", params: []param{res, {kind: pEnum, what: "direction", words: []string{"rd", "wr", "rdwr"}}}},
	{name: "close", params: []param{res}},
	{name: "dup", result: true, params: []param{res}},
	{name: "ioctl", params: []param{res, {kind: pEnum, what: "ioctl", words: []string{"fioasync", "fionbio"}}, onOff01}},
	{name: "fcntl", params: []param{res, {kind: pEnum, what: "fcntl command", words: []string{"setown"}}, {kind: pProc, what: "process"}}},
	{name: "setsockopt", params: []param{res, {kind: pEnum, what: "socket option", words: []string{"linger"}},
		{kind: pEnum, what: "linger switch", words: []string{"on", "off"}}, {kind: pInt, what: "linger seconds", min: 0, max: MaxLinger}}},
	{name: "getsockopt", params: []param{res, {kind: pEnum, what: "socket option", words: []string{"error"}}}},
	{name: "sockatmark", params: []param{res}},
	{name: "poll", params: []param{res, {kind: pFlags, what: "poll event", min: 1, words: []string{"in", "out", "pri"}},
		{kind: pEnum, what: "poll mode", words: []string{"wait", "nowait"}}}},
	{name: "interrupt", params: []param{{kind: pProc, what: "process"}}},
}

// lookupSyscall returns the signature of the named system call, or nil.
func lookupSyscall(name string) *syscall {
	for _, sc := range syscalls {
		if sc.name == name {
			return sc
		}
	}
	return nil
}

// Syscalls returns the names of the system calls a program may make.
func Syscalls() []string {
	names := make([]string, len(syscalls))
	for i, sc := range syscalls {
		names[i] = sc.name
	}
	return names
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
