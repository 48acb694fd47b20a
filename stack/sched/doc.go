// Package sched is sockfuzz's execution substrate: threads, scheduling points, mutexes, wait
// queues, message ports, instrumented shared words, a virtual clock with callouts, schedule
// choosers and a happens-before race detector.
//
// An Exec is one execution. Threads are goroutines started with Exec.Go; every primitive takes
// the calling *Thread explicitly, as BSD kernel functions take td.
//
// In Controlled mode exactly one thread runs at a time and control changes hands only at
// scheduling points (Yield, mutex operations, sleeps and wakeups, port messages, instrumented
// word accesses). At each point with more than one candidate a Chooser picks who runs next, and
// the choice is recorded, so that Replay(result.Choices) reproduces the execution event for
// event. Virtual time advances only when the chooser picks the clock or nothing else can run.
//
// In Free mode the same threads run truly in parallel; mutexes are built on sync.Mutex, words
// are plain memory (so that go test -race sees real races on them), and quiescence is detected
// from the substrate's own count of blocked and live threads.
//
// An execution ends when every thread has exited (Done), when nothing can run and no timer is
// pending while some thread is blocked (Quiescent: the caller may Interrupt threads and Run
// again, or Abort), when the step budget runs out (Budget), or when a thread panics (Panicked).
// After Done, Budget, Panicked or Abort no goroutine of the execution is left.
package sched
