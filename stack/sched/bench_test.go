package sched

import (
	"fmt"
	"testing"
)

// alternate is a chooser that always switches to another candidate thread.
type alternate struct{}

func (alternate) Choose(d *Decision) ID {
	for _, c := range d.Cands {
		if c != d.Current && c != ClockID {
			return c
		}
	}
	return d.Cands[0]
}

var modes = []Mode{Controlled, Free}

// BenchmarkPointSwitch measures a scheduling point that hands control to another thread. In
// Controlled mode two threads yield and the chooser always switches; in Free mode there is no
// chooser, and a switch is a blocking handoff: two threads ping-pong through wait queues.
func BenchmarkPointSwitch(b *testing.B) {
	b.Run("controlled", func(b *testing.B) {
		e := New(Config{Chooser: alternate{}, StepBudget: 2*b.N + 100, LogSize: -1})
		for _, n := range []string{"a", "b"} {
			e.Go(n, func(t *Thread) {
				for i := 0; i < b.N/2; i++ {
					t.Yield("y")
				}
			})
		}
		b.ResetTimer()
		if r := e.Run(); r.Status != Done {
			b.Fatal(r.Status)
		}
	})
	b.Run("free", func(b *testing.B) {
		e := New(Config{Mode: Free, StepBudget: 4*b.N + 100, LogSize: -1})
		ping, pong := e.NewWaitQueue("ping"), e.NewWaitQueue("pong")
		turn := e.NewWord("turn", nil)
		m := e.NewMutex("m")
		player := func(mine uint64, wait, wake *WaitQueue) func(*Thread) {
			return func(t *Thread) {
				for i := 0; i < b.N/2; i++ {
					m.Lock(t)
					for turn.Load(t, "turn") != mine {
						wait.Interlock(t)
						m.Unlock(t)
						_ = wait.Sleep(t, nil, Interlocked)
						m.Lock(t)
					}
					turn.Store(t, "pass", 1-mine)
					m.Unlock(t)
					wake.WakeOne(t)
				}
			}
		}
		e.Go("a", player(0, ping, pong))
		e.Go("b", player(1, pong, ping))
		b.ResetTimer()
		if r := e.Run(); r.Status != Done {
			b.Fatal(r.Status)
		}
	})
}

// chunk is the number of scheduling points per execution in the benchmarks below: executions
// of realistic length, so that the recorded choices stay small, with the cost of starting each
// execution spread over its points. They run as fuzzing does: the trace hash on, no event ring
// (LogSize -1); the "logged" case measures the ring too.
const chunk = 1024

// runChunks runs b.N scheduling points as executions of chunk points each, built by mk.
func runChunks(b *testing.B, mk func(n int) *Exec) {
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		if r := mk(n).Run(); r.Status != Done {
			b.Fatal(r.Status)
		}
	}
}

// BenchmarkPointNoSwitch measures a scheduling point that keeps the running thread: "single"
// has one runnable thread (no decision), "keep" has two and a chooser that keeps the current.
func BenchmarkPointNoSwitch(b *testing.B) {
	for _, mode := range modes {
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("%v/single", mode)
			if threads == 2 {
				name = fmt.Sprintf("%v/keep", mode)
			}
			b.Run(name, func(b *testing.B) {
				runChunks(b, func(n int) *Exec {
					e := New(Config{Mode: mode, LogSize: -1})
					for i := 0; i < threads; i++ {
						yields := n
						if i > 0 {
							yields = 1
						}
						e.Go("y", func(t *Thread) {
							for i := 0; i < yields; i++ {
								t.Yield("y")
							}
						})
					}
					return e
				})
			})
		}
	}
}

// BenchmarkWordAccess measures instrumented accesses by one thread: a plain load, an atomic
// or, and (Controlled) the same with the happens-before detector off.
func BenchmarkWordAccess(b *testing.B) {
	cases := []struct {
		name   string
		mode   Mode
		noRace bool
		log    int
		op     func(w *Word, t *Thread)
	}{
		{"controlled/load", Controlled, false, -1, func(w *Word, t *Thread) { w.Load(t, "ld") }},
		{"controlled/atomic-or", Controlled, false, -1, func(w *Word, t *Thread) { w.AtomicOr(t, "or", 1) }},
		{"controlled/load-norace", Controlled, true, -1, func(w *Word, t *Thread) { w.Load(t, "ld") }},
		{"controlled/load-logged", Controlled, false, 0, func(w *Word, t *Thread) { w.Load(t, "ld") }},
		{"free/load", Free, false, -1, func(w *Word, t *Thread) { w.Load(t, "ld") }},
		{"free/atomic-or", Free, false, -1, func(w *Word, t *Thread) { w.AtomicOr(t, "or", 1) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			runChunks(b, func(n int) *Exec {
				e := New(Config{Mode: c.mode, NoRace: c.noRace, LogSize: c.log})
				w := e.NewWord("so_state", nil)
				e.Go("acc", func(t *Thread) {
					for i := 0; i < n; i++ {
						c.op(w, t)
					}
				})
				return e
			})
		})
	}
}

// BenchmarkExecution measures an execution of one thread that returns at once: the fixed cost
// of an execution.
func BenchmarkExecution(b *testing.B) {
	for _, mode := range modes {
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				e := New(Config{Mode: mode})
				e.Go("t", func(*Thread) {})
				if r := e.Run(); r.Status != Done {
					b.Fatal(r.Status)
				}
			}
		})
	}
}
