// Package fuzzexit tells how a go test -fuzz process ended, from its output and its exit
// status. The continuous runner and the hunt both drive go test -fuzz, and both must tell a
// crash input, which is never to be lost, from the ways a process ends without one: Go 1.26's
// stray "context deadline exceeded" (golang/go#75804), a kill, a worker that hung or died
// between inputs, a stop by the caller. Only a binary that cannot fuzz at all is a hard error.
//
// The messages matched are those of Go 1.26's internal/fuzz (fuzz.go, worker.go) as
// testing.(*F).Fuzz prints them: the coordinator's error on the line after the target's
// "--- FAIL: FuzzX (…)", indented, then "Failing input written to …" when it wrote one.
package fuzzexit

import (
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
)

// Kind is a class of ending.
type Kind int

// The endings. Every Kind but Broken lets the caller go on.
const (
	// Clean is exit status 0: the fuzz time ran out.
	Clean Kind = iota
	// Crash is an input go test reported: written to testdata/fuzz/FuzzX ("Failing input
	// written to"), or a corpus entry that failed before fuzzing. It wins over every other
	// sign, so that an input is processed however the process ended after writing it.
	Crash
	// Interrupted is a process the caller stopped because its own run was interrupted.
	Interrupted
	// Deadline is golang/go#75804: at the end of -fuzztime the coordinator reports its own
	// timeout, "context deadline exceeded", as the target's failure, with no input.
	Deadline
	// Killed is the go test process killed by a signal the caller did not send (SIGKILL: the
	// OOM killer's choice, or a user's kill).
	Killed
	// WorkerKilled is a worker killed by a signal that is not a crash signal (SIGKILL, SIGTERM,
	// SIGHUP): go test says "no crash will be recorded".
	WorkerKilled
	// WorkerHung is a worker that died or hung where go test has no input to blame: between
	// inputs ("fuzzing process hung or terminated unexpectedly" with no input written), or one
	// that would not stop ("communicating with fuzzing process"), or that held the output open
	// after go test exited.
	WorkerHung
	// Overran is a process still running past the caller's deadline (its round plus a grace),
	// stopped by the caller.
	Overran
	// Broken is everything else: the binary cannot fuzz (a worker's internal failure, a worker
	// that exits before its first input, a bad flag, an unreadable corpus, a panic of the
	// coordinator). Each attempt would fail the same way.
	Broken
)

var kindNames = [...]string{"clean", "crash", "interrupted", "golang/go#75804", "killed", "worker killed", "worker hung", "overran", "broken"}

// String names the kind, for tests and debugging.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Stop says whether the caller stopped the process itself, and why.
type Stop int

const (
	// NotStopped is a process that ended on its own.
	NotStopped Stop = iota
	// StopInterrupt is a process stopped because the caller's run was interrupted.
	StopInterrupt
	// StopDeadline is a process stopped by the caller's deadline for it.
	StopDeadline
)

// Exit is how a process exited, as its wait error tells.
type Exit struct {
	Code   int    // the exit code; -1 when a signal ended it or it did not exit
	Signal string // the signal that ended it ("killed"), if one did
	Err    error  // an error of the wait itself, not of the process (exec.ErrWaitDelay)
}

// ExitOf reads a wait error (of exec.Cmd.Wait or Run).
func ExitOf(err error) Exit {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return Exit{}
	case errors.As(err, &ee):
		e := Exit{Code: ee.ExitCode()}
		// Both the Unix and the Windows wait status have these; elsewhere the code alone.
		if ws, ok := ee.Sys().(interface {
			Signaled() bool
			Signal() syscall.Signal
		}); ok && ws.Signaled() {
			e.Signal = ws.Signal().String()
		}
		return e
	}
	return Exit{Code: -1, Err: err}
}

// String says it as exec does: "exit status 1", "signal: killed".
func (e Exit) String() string {
	switch {
	case e.Err != nil:
		return e.Err.Error()
	case e.Signal != "":
		return "signal: " + e.Signal
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// Ending is how one go test -fuzz process ended.
type Ending struct {
	Kind   Kind
	Target string
	// Detail is the coordinator's message, or the exit status when there is none.
	Detail string
}

// OutOfMemory reports whether the process or a worker was ended by SIGKILL, which, unsent by
// the caller, is most likely the OOM killer: fewer workers may do.
func (e Ending) OutOfMemory() bool {
	return (e.Kind == Killed || e.Kind == WorkerKilled) && strings.HasSuffix(e.Detail, "signal: killed")
}

// String says what happened, for a log line that names the target before it.
func (e Ending) String() string {
	switch e.Kind {
	case Clean:
		return "go test -fuzz ended"
	case Crash:
		return "go test -fuzz ended with a crash input"
	case Interrupted:
		return "go test -fuzz interrupted"
	case Deadline:
		return "go test -fuzz ended with golang/go#75804's 'context deadline exceeded' and no crash input"
	case Killed:
		if e.OutOfMemory() {
			return "go test -fuzz was killed (out of memory?): " + e.Detail + ", no crash input"
		}
		return "go test -fuzz was killed by a signal: " + e.Detail + ", no crash input"
	case WorkerKilled:
		if e.OutOfMemory() {
			return "a fuzzing worker was killed (out of memory?), no crash input: " + e.Detail
		}
		return "a fuzzing worker was killed by a signal, no crash input: " + e.Detail
	case WorkerHung:
		return "a fuzzing worker hung or died with no input to blame, no crash input: " + e.Detail
	case Overran:
		return "go test -fuzz ran past its deadline and was stopped (" + e.Detail + "), no crash input"
	}
	return "go test -fuzz failed with no crash input: " + e.Detail
}

// The coordinator's messages of an ending without an input, by prefix, from Go 1.26's
// internal/fuzz/worker.go. The list is ordered: the first prefix that matches decides.
var messages = []struct {
	prefix string
	kind   Kind
}{
	// worker.coordinate, a fuzz call's error with a non-crash signal.
	{"fuzzing process terminated by unexpected signal; no crash will be recorded", WorkerKilled},
	// worker.coordinate, the worker gone while no input was in flight (with an input in
	// flight the same words come with "Failing input written to", a Crash).
	{"fuzzing process hung or terminated unexpectedly", WorkerHung},
	// worker.coordinate, a fuzz call's error after the worker had to be signalled to stop.
	{"communicating with fuzzing process", WorkerHung},
	// A worker's F failed before F.Fuzz (exit code 70), or a worker never answered its
	// ping: the binary cannot fuzz.
	{"fuzzing process exited unexpectedly due to an internal failure", Broken},
	{"fuzzing process terminated without fuzzing", Broken},
}

var (
	// Unanchored: a crash input is worth a line's misplaced start (stdout and stderr share the
	// pipe).
	writtenRE  = regexp.MustCompile(`Failing input written to (\S+)`)
	seedFailRE = regexp.MustCompile(`failure while testing seed corpus entry: (Fuzz\w+)/(\S+)`)
)

// Output reads a go test -fuzz process's output (stdout and stderr merged), line by line, for
// what decides its ending. The zero value is not usable: see New.
type Output struct {
	target string
	// Written are the crash inputs go test reported writing, as it names them.
	Written []string
	// SeedFailures are the target's corpus entries that failed before fuzzing, as go test
	// names them: "seed#3" for the third f.Add seed, else a file name.
	SeedFailures []string

	inFail bool     // in the target's top-level --- FAIL block
	msgs   []string // that block's lines, trimmed
}

// New returns an Output for a process fuzzing target.
func New(target string) *Output { return &Output{target: target} }

// Line takes one line of output, without its newline.
func (o *Output) Line(s string) {
	if m := writtenRE.FindStringSubmatch(s); m != nil {
		o.Written = append(o.Written, m[1])
	}
	if m := seedFailRE.FindStringSubmatch(s); m != nil && m[1] == o.target {
		o.SeedFailures = append(o.SeedFailures, m[2])
	}
	if strings.HasPrefix(s, "--- FAIL: "+o.target+" (") {
		o.inFail, o.msgs = true, nil
		return
	}
	if !o.inFail {
		return
	}
	if s != "" && !strings.HasPrefix(s, " ") && !strings.HasPrefix(s, "\t") {
		o.inFail = false // "FAIL", or the next output
		return
	}
	// The block is short (the coordinator's one error, or a crash's report); a bound keeps a
	// runaway report from growing it.
	if t := strings.TrimSpace(s); t != "" && len(o.msgs) < 200 {
		o.msgs = append(o.msgs, t)
	}
}

// End classifies the ending, given how the process exited and whether the caller stopped it.
func (o *Output) End(exit Exit, stop Stop) Ending {
	e := Ending{Target: o.target, Detail: exit.String()}
	switch {
	case len(o.Written) > 0 || len(o.SeedFailures) > 0:
		e.Kind = Crash
		return e
	case stop == StopInterrupt:
		e.Kind = Interrupted
		return e
	case stop == StopDeadline:
		e.Kind = Overran
		return e
	case exit.Err != nil:
		// Go's exec reports ErrWaitDelay when the process exited but a child (a worker) kept
		// its output open: the fuzzing ended; a worker did not.
		e.Kind = Broken
		if errors.Is(exit.Err, exec.ErrWaitDelay) {
			e.Kind = WorkerHung
		}
		return e
	case exit.Signal != "":
		e.Kind = Killed
		return e
	case exit.Code == 0:
		e.Kind = Clean
		return e
	}
	e.Kind = Broken
	if exit.Code != 1 {
		// testing exits 1 for a failed target; any other code is not a fuzzing ending.
		return e
	}
	for _, m := range o.msgs {
		// The #75804 error is ctx.Err() itself, printed alone; the target's own messages
		// come as "file.go:N: ...", so an exact line is the coordinator's.
		if m == "context deadline exceeded" {
			e.Kind, e.Detail = Deadline, m
			return e
		}
		for _, known := range messages {
			if strings.HasPrefix(m, known.prefix) {
				e.Kind, e.Detail = known.kind, m
				return e
			}
		}
	}
	if len(o.msgs) > 0 {
		e.Detail = o.msgs[len(o.msgs)-1]
	}
	return e
}
