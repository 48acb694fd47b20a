package conformance

import (
	"fmt"
	"slices"
)

// The byte form of differential programs: every byte string decodes to a valid program of at
// most MaxDiffSteps steps. Each step is StepBytes bytes (a short tail is padded with zeros):
//
//	byte 0: the operation, an index into diffOps (modulo its length)
//	byte 1: low nibble the descriptor slot (modulo 7: r0..r5, 6 is badfd), high nibble the
//	        output slot of a creation (modulo 6)
//	byte 2: the operation's main argument: protocol, port, backlog, flags, how, on, events
//	byte 3: its second argument: a payload or receive length, wait
//
// so that changing one byte changes one step's operation or one of its arguments. The
// arguments come from small tables of the values the scenario table uses: symbolic ports
// :1..:4 (bind also :any), slots r0..r5, payloads of 1 to 16 bytes, receive sizes of 1 to 16
// bytes (and 20000). Payloads stay far below netstack's socket buffers, which the adapter
// makes 8 KiB so that the other targets' programs can fill them (stack/netstack/instance.go
// bufSize; Linux's are larger): a bigger send would block on netstack only. A descriptor slot that holds the non-socket file takes only
// the calls whose non-socket answer TargetSockets models as a kernel does (ENOTSOCK); dup,
// poll, ioctls and linger on it are replaced by one of those.

// StepBytes is the size of one step in the byte form.
const StepBytes = 4

// diffSlots is the number of descriptor slots a differential program uses.
const diffSlots = 6

// diffOps are the operations of the byte form, by code.
var diffOps = []Op{
	OpSocket, OpBind, OpListen, OpConnect, OpAccept, OpSend, OpSendTo, OpRecv, OpRecvFrom,
	OpShutdown, OpClose, OpDup, OpSetNonblock, OpSetLinger, OpPoll, OpAtMark, OpGetSockError,
	OpOpenFile,
}

// fileOps are the operations a step on the non-socket descriptor may take.
var fileOps = []Op{
	OpBind, OpListen, OpConnect, OpAccept, OpSend, OpSendTo, OpRecv, OpRecvFrom, OpShutdown,
	OpClose, OpGetSockError,
}

var (
	diffBacklogs  = []int{0, 1, 2, 5}
	diffSendLens  = []int{1, 2, 3, 5, 8, 16}
	diffRecvLens  = []int{1, 2, 3, 10, 16, 20000}
	diffSendFlags = []MsgFlags{0, MsgOOB, MsgDontWait}
	diffRecvFlags = []MsgFlags{0, MsgDontWait, MsgPeek, MsgPeek | MsgDontWait, MsgOOB, MsgOOB | MsgDontWait,
		MsgOOB | MsgPeek, MsgWaitAll, MsgWaitAll | MsgDontWait}
	diffEvents = []PollEvents{PollIn, PollOut, PollIn | PollOut, PollPri, PollIn | PollPri, PollIn | PollOut | PollPri}
)

// diffPayload is the payload of step i: n bytes of the alphabet, starting at a letter that
// depends on the step, so that the data of different sends can be told apart.
func diffPayload(i, n int) string {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte('A' + (i*7+k)%26)
	}
	return string(b)
}

// DecodeSteps decodes a differential program. It is total: every input gives a valid program
// (ValidateProgram), empty for an empty input.
func DecodeSteps(data []byte) []Step {
	n := min((len(data)+StepBytes-1)/StepBytes, MaxDiffSteps)
	steps := make([]Step, 0, n)
	file := make([]bool, diffSlots) // slots holding the non-socket descriptor
	for i := 0; i < n; i++ {
		var b [StepBytes]byte
		copy(b[:], data[i*StepBytes:])
		op := diffOps[int(b[0])%len(diffOps)]
		st := Step{Op: op, FD: Slot(int(b[1]&0xf) % (diffSlots + 1)), Out: Slot(int(b[1]>>4) % diffSlots)}
		if st.FD == diffSlots {
			st.FD = BadFD
		}
		if st.FD != BadFD && file[st.FD] && !slices.Contains(fileOps, op) && op != OpSocket && op != OpOpenFile {
			st.Op = fileOps[int(b[0])%len(fileOps)] // dup, poll, ioctls, linger of the file
		}
		decodeArgs(&st, i, b[2], b[3])
		if st.Op == OpSocket || st.Op == OpOpenFile {
			st.FD = 0 // no descriptor argument, as the scenarios write it
		}
		if !st.Op.creates() {
			st.Out = 0
		}
		if st.Op.creates() {
			file[st.Out] = st.Op == OpOpenFile
		}
		st.Want = okX() // a differential program has no expectation; Validate wants one
		steps = append(steps, st)
	}
	return steps
}

// decodeArgs fills the arguments of step i from its two argument bytes.
func decodeArgs(st *Step, i int, a, b byte) {
	switch st.Op {
	case OpSocket:
		st.Proto = TCP
		if a&1 != 0 {
			st.Proto = UDP
		}
	case OpBind:
		st.Port = Port(int(a) % 5)
	case OpConnect:
		st.Port = Port(1 + int(a)%4)
	case OpListen:
		st.N = diffBacklogs[int(a)%len(diffBacklogs)]
	case OpSend:
		st.Flags = diffSendFlags[int(a)%len(diffSendFlags)]
		st.Data = diffPayload(i, diffSendLens[int(b)%len(diffSendLens)])
	case OpSendTo:
		st.Port = Port(1 + int(a)%4)
		if (a>>2)&1 != 0 {
			st.Flags = MsgOOB
		}
		st.Data = diffPayload(i, diffSendLens[int(b)%len(diffSendLens)])
	case OpRecv, OpRecvFrom:
		st.Flags = diffRecvFlags[int(a)%len(diffRecvFlags)]
		st.N = diffRecvLens[int(b)%len(diffRecvLens)]
	case OpShutdown:
		st.How = How(int(a) % 3)
	case OpSetNonblock:
		st.On = a&1 == 0
	case OpSetLinger:
		st.On = a&1 == 0
		st.N = int(a>>1) & 1
	case OpPoll:
		st.Events = diffEvents[int(a)%len(diffEvents)]
		st.Wait = b%4 == 0
	}
}

// EncodeSteps is DecodeSteps' inverse on the programs it can express: the operations of the
// byte form with their arguments in its tables (a payload's length, not its content, is kept).
// The scenario table's single-process scenarios encode so, when their ports and slots fit.
func EncodeSteps(steps []Step) ([]byte, error) {
	if len(steps) > MaxDiffSteps {
		return nil, fmt.Errorf("%d steps, at most %d", len(steps), MaxDiffSteps)
	}
	out := make([]byte, 0, len(steps)*StepBytes)
	for i, st := range steps {
		var b [StepBytes]byte
		bad := func(what string) error { return fmt.Errorf("step %d %s: %s not in the byte form", i, st.Call(), what) }
		k := slices.Index(diffOps, st.Op)
		if k < 0 {
			return nil, bad("operation")
		}
		b[0] = byte(k)
		switch {
		case st.Op == OpSocket || st.Op == OpOpenFile:
		case st.FD == BadFD:
			b[1] = diffSlots
		case st.FD >= 0 && st.FD < diffSlots:
			b[1] = byte(st.FD)
		default:
			return nil, bad("descriptor slot")
		}
		if st.Op.creates() {
			if st.Out < 0 || st.Out >= diffSlots {
				return nil, bad("output slot")
			}
			b[1] |= byte(st.Out) << 4
		}
		index := func(what string, table []int, v int) (byte, error) {
			if j := slices.Index(table, v); j >= 0 {
				return byte(j), nil
			}
			return 0, bad(what)
		}
		var err error
		switch st.Op {
		case OpSocket:
			if st.Proto == UDP {
				b[2] = 1
			}
		case OpBind:
			if st.Port < 0 || st.Port > 4 {
				return nil, bad("port")
			}
			b[2] = byte(st.Port)
		case OpConnect:
			if st.Port < 1 || st.Port > 4 {
				return nil, bad("port")
			}
			b[2] = byte(st.Port - 1)
		case OpListen:
			b[2], err = index("backlog", diffBacklogs, st.N)
		case OpSend:
			j := slices.Index(diffSendFlags, st.Flags)
			if j < 0 {
				return nil, bad("flags")
			}
			b[2] = byte(j)
			b[3], err = index("payload length", diffSendLens, len(st.Data))
		case OpSendTo:
			if st.Port < 1 || st.Port > 4 || st.Flags&^MsgOOB != 0 {
				return nil, bad("port or flags")
			}
			b[2] = byte(st.Port - 1)
			if st.Flags == MsgOOB {
				b[2] |= 4
			}
			b[3], err = index("payload length", diffSendLens, len(st.Data))
		case OpRecv, OpRecvFrom:
			j := slices.Index(diffRecvFlags, st.Flags)
			if j < 0 {
				return nil, bad("flags")
			}
			b[2] = byte(j)
			b[3], err = index("receive length", diffRecvLens, st.N)
		case OpShutdown:
			b[2] = byte(st.How)
		case OpSetNonblock:
			if !st.On {
				b[2] = 1
			}
		case OpSetLinger:
			if st.N != 0 && st.N != 1 {
				return nil, bad("linger time")
			}
			if !st.On {
				b[2] = 1
			}
			b[2] |= byte(st.N << 1)
		case OpPoll:
			j := slices.Index(diffEvents, st.Events)
			if j < 0 {
				return nil, bad("events")
			}
			b[2] = byte(j)
			if !st.Wait {
				b[3] = 1
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b[:]...)
	}
	if got := DecodeSteps(out); !sameProgram(got, steps) {
		return nil, fmt.Errorf("the program does not survive its byte form (a file slot's call is replaced)")
	}
	return out, nil
}

// sameProgram compares two programs' operations and arguments, payloads by length.
func sameProgram(a, b []Step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Op != y.Op || x.FD != y.FD || x.Port != y.Port || x.N != y.N || x.On != y.On ||
			x.How != y.How || x.Flags != y.Flags || x.Events != y.Events || x.Wait != y.Wait ||
			len(x.Data) != len(y.Data) {
			return false
		}
		if x.Op.creates() && x.Out != y.Out || x.Op == OpSocket && x.Proto != y.Proto {
			return false
		}
	}
	return true
}

// ValidateProgram checks that a differential program is one the byte form can give: bounded,
// known operations, slots and ports in range.
func ValidateProgram(steps []Step) error {
	if len(steps) > MaxDiffSteps {
		return fmt.Errorf("%d steps, at most %d", len(steps), MaxDiffSteps)
	}
	s := Scenario{Name: "differential", Doc: "a differential program", Steps: steps}
	if err := Validate(s); len(steps) > 0 && err != nil {
		return err
	}
	for i, st := range steps {
		if st.FD != BadFD && (st.FD < 0 || st.FD >= diffSlots) || st.Op.creates() && st.Out >= diffSlots {
			return fmt.Errorf("step %d %s: slot beyond r%d", i, st.Call(), diffSlots-1)
		}
		if st.Port > 4 {
			return fmt.Errorf("step %d %s: port beyond :4", i, st.Call())
		}
	}
	return nil
}

// DiffSeeds returns the byte form of the scenario table's scenarios that it can express: the
// fuzz target's seeds, every scenario being a single-process program.
func DiffSeeds() [][]byte {
	var out [][]byte
	for _, s := range Scenarios() {
		if b, err := EncodeSteps(s.Steps); err == nil {
			out = append(out, b)
		}
	}
	return out
}
