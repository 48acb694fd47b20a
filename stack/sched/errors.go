package sched

import (
	"errors"
	"fmt"
)

// Errors returned by the substrate's primitives.
var (
	// ErrInterrupted is returned by an interruptible sleep that a signal (Exec.Interrupt) ended.
	ErrInterrupted = errors.New("EINTR: interrupted")
	// ErrTimedOut is returned by a sleep whose timeout fired before a wakeup.
	ErrTimedOut = errors.New("ETIMEDOUT: sleep timed out")
	// ErrAborted is returned by every primitive called while the execution is being torn down.
	ErrAborted = errors.New("execution aborted")
	// ErrRecursiveLock is returned when a thread locks a mutex it already holds.
	ErrRecursiveLock = errors.New("recursive lock: mutex already held by this thread")
	// ErrNotOwner is returned when a thread unlocks a mutex, or receives on a port, it does not own.
	ErrNotOwner = errors.New("not the owner")
	// ErrUnknownThread is returned by Join and Interrupt for a thread of another execution.
	ErrUnknownThread = errors.New("unknown thread")
	// ErrNegativeDuration is returned for a timer or timeout set to a negative duration.
	ErrNegativeDuration = errors.New("negative duration")
	// ErrFinished is returned by operations on an execution that has ended.
	ErrFinished = errors.New("execution finished")
	// ErrQuietSection reports a scheduling point inside a quiet mutex's critical section.
	ErrQuietSection = errors.New("scheduling point while holding a quiet mutex")
	// ErrDoubleReply is returned when a message is replied to twice.
	ErrDoubleReply = errors.New("message already replied")
)

// Bug is a misuse of the substrate's API, recorded in the result and also returned as an error
// to the caller, so that a stack bug never crashes or hangs the fuzzing process.
type Bug struct {
	Thread ID
	Name   string // the thread's name
	Op     string // the primitive, e.g. "Mutex.Unlock"
	Obj    string // the object's name
	Err    error
	Step   int
}

func (b Bug) String() string {
	return fmt.Sprintf("step %d: thread %d (%s): %s %s: %v", b.Step, b.Thread, b.Name, b.Op, b.Obj, b.Err)
}

// bug records a misuse and returns the error to hand back to the caller.
func (e *Exec) bug(t *Thread, op, obj string, err error) error {
	b := Bug{Thread: -1, Op: op, Obj: obj, Err: err, Step: e.steps}
	if t != nil {
		b.Thread, b.Name = t.id, t.name
	}
	e.rmu.Lock()
	e.res.Bugs = append(e.res.Bugs, b)
	e.rmu.Unlock()
	return fmt.Errorf("%s %s: %w", op, obj, err)
}
