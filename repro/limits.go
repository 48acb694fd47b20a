package repro

import "github.com/sockfuzz/sockfuzz/stack/sched"

// Limits of a program. The parser and Validate enforce them, so that every program, however it
// was made, is small enough to execute, print and minimize quickly.
const (
	// MaxProcs is the most processes a program may have.
	MaxProcs = 4
	// MaxCalls is the most calls one process may make.
	MaxCalls = 32
	// MaxWireOps is the most operations a wire script may have.
	MaxWireOps = 64
	// MaxPayload is the longest payload of a send, a receive or an injected packet, in bytes.
	MaxPayload = 65536
	// MinBacklog and MaxBacklog bound listen's backlog.
	MinBacklog, MaxBacklog = -1, 1024
	// MaxTick is the longest tick of the wire script: ten minutes, in milliseconds.
	MaxTick = 10 * 60 * 1000
	// MaxChoices is the most explicit choices (replay) or bytes (bytes) of a schedule.
	MaxChoices = sched.MaxChoices
	// MaxThreadID is the highest thread ID a replay choice may name.
	MaxThreadID = sched.MaxThreadID
	// MinCPUs and MaxCPUs bound the number of modeled CPUs (protocol threads).
	MinCPUs, MaxCPUs = 1, 4
	// MaxLinger is the longest SO_LINGER time, in seconds.
	MaxLinger = 3600
	// MaxPCTDepth and MaxPCTSteps bound the PCT chooser's parameters.
	MaxPCTDepth, MaxPCTSteps = sched.MaxPCTDepth, sched.MaxPCTSteps
	// DefaultPCTDepth and DefaultPCTSteps are the PCT parameters a schedule line leaves out.
	DefaultPCTDepth, DefaultPCTSteps = sched.DefaultPCTDepth, sched.DefaultPCTSteps
	// DefaultWin is the window of an injected TCP segment that names none.
	DefaultWin = 65535
	// MaxFaults is the most faults a program may name.
	MaxFaults = 32
	// MaxNameLen is the longest identifier (fault or process name).
	MaxNameLen = 64
)
