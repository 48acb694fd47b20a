package bsd

import (
	"fmt"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/conformance"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// modelSockets drives the model stack through conformance.Sockets, one step at a time: a
// process thread waits for a command, runs it, and the execution runs until every thread is
// idle again, with the clock held so that no timer fires between steps (the harness's rule).
// A command that would block forever shows as quiescence with the process still in its system
// call: the step answers EHANG and the process is interrupted out of it.
type modelSockets struct {
	e    *sched.Exec
	st   *Stack
	p    *Proc
	th   *sched.Thread
	cmdQ *sched.WaitQueue
	cmd  func(t *sched.Thread)
	done bool
	quit bool
	err  error // a failure of the model itself (panic, budget)
}

// fileFD is where OpenFile's non-socket descriptors start: the model has sockets only.
const fileFD = 1000

// preferProcess is the conformance chooser: the process runs whenever it can, the stack's
// threads otherwise, so that a system call returns before the loopback makes progress behind
// it, as on a real kernel.
type preferProcess struct{ m *modelSockets }

func (c preferProcess) Choose(d *sched.Decision) sched.ID {
	for _, id := range d.Cands {
		if c.m.th != nil && id == c.m.th.ID() {
			return id
		}
	}
	return sched.Default(d)
}

func (m *modelSockets) Begin() error {
	m.e = sched.New(sched.Config{StepBudget: 2_000_000, Chooser: preferProcess{m}})
	m.st = New(m.e, Config{CPUs: 1})
	m.cmdQ = m.e.NewWaitQueue("command")
	m.quit, m.err = false, nil
	m.th = m.e.Go("p0", func(t *sched.Thread) {
		for !m.quit {
			if err := m.cmdQ.Sleep(t, nil, sched.Interruptible); err == sched.ErrInterrupted && m.cmd != nil {
				c := m.cmd
				m.cmd = nil
				c(t)
				t.ClearSignal()
				m.done = true
			}
		}
	})
	m.p = m.st.NewProc("p0", m.th)
	m.e.HoldClock(true)
	if r := m.e.Run(); r.Status != sched.Quiescent {
		return fmt.Errorf("model did not settle: %v", r.Status)
	}
	return nil
}

// do runs one command on the process thread; it reports whether it would have blocked.
func (m *modelSockets) do(c func(t *sched.Thread)) (hang bool) {
	if m.err != nil {
		return true
	}
	m.cmd, m.done = c, false
	_ = m.e.Interrupt(nil, m.th)
	r := m.e.Run()
	if r.Status != sched.Quiescent {
		m.err = fmt.Errorf("model stopped: %v %v", r.Status, r.Panic)
		return true
	}
	if m.done {
		return false
	}
	_ = m.e.Interrupt(nil, m.th) // out of the blocked system call
	if r := m.e.Run(); r.Status != sched.Quiescent || !m.done {
		m.err = fmt.Errorf("model stuck after EHANG: %v", r.Status)
	}
	return true
}

func (m *modelSockets) End() error {
	for _, fd := range m.st.OpenFds() {
		m.do(func(t *sched.Thread) { m.p.Close(t, fd) })
	}
	m.quit = true
	_ = m.e.Interrupt(nil, m.th)
	m.e.HoldClock(false)
	m.e.Go("reaper", func(t *sched.Thread) {
		_ = t.Join(m.th)
		m.st.Teardown(t)
	})
	first, r := m.e.Finish()
	switch {
	case m.err != nil:
		return m.err
	case r.Panic != nil:
		return fmt.Errorf("panic: %s", r.Panic.Value)
	case first != nil || r.Status != sched.Done:
		return fmt.Errorf("teardown: status %v, leaks %v", r.Status, m.st.Leaks())
	case len(r.Races) > 0:
		return fmt.Errorf("races: %v", r.Races)
	}
	return nil
}

func errno(e Errno) conformance.Errno { return conformance.Errno(e) }

func modelPort(p conformance.Port) uint16 {
	if p <= 0 {
		return 0
	}
	return 1000 + uint16(p)
}

func symPort(a Addr) conformance.Port {
	if a.Port == 0 {
		return conformance.PortAny
	}
	if a.Port > 1000 && a.Port <= 1000+uint16(conformance.MaxPort) {
		return conformance.Port(a.Port - 1000)
	}
	return conformance.PortUnnamed
}

func msgFlags(f conformance.MsgFlags) int {
	n := 0
	if f&conformance.MsgOOB != 0 {
		n |= MSG_OOB
	}
	if f&conformance.MsgPeek != 0 {
		n |= MSG_PEEK
	}
	if f&conformance.MsgDontWait != 0 {
		n |= MSG_DONTWAIT
	}
	if f&conformance.MsgWaitAll != 0 {
		n |= MSG_WAITALL
	}
	return n
}

// call runs a command returning an int and an errno; EHANG if it would block forever.
func (m *modelSockets) call(fd int, c func(t *sched.Thread) (int, Errno)) (int, conformance.Errno) {
	if fd >= fileFD {
		return -1, conformance.ENOTSOCK
	}
	var n int
	var e Errno
	if m.do(func(t *sched.Thread) { n, e = c(t) }) {
		return -1, conformance.EHANG
	}
	return n, errno(e)
}

func (m *modelSockets) Socket(p conformance.Proto) (int, conformance.Errno) {
	proto := TCP
	if p == conformance.UDP {
		proto = UDP
	}
	return m.call(0, func(t *sched.Thread) (int, Errno) { return m.p.Socket(t, proto) })
}

func (m *modelSockets) OpenFile() (int, conformance.Errno) { return fileFD, conformance.OK }

func (m *modelSockets) Bind(fd int, port conformance.Port) conformance.Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, Errno) { return 0, m.p.Bind(t, fd, modelPort(port)) })
	return e
}

func (m *modelSockets) Listen(fd, backlog int) conformance.Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, Errno) { return 0, m.p.Listen(t, fd, backlog) })
	return e
}

func (m *modelSockets) Connect(fd int, port conformance.Port) conformance.Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, Errno) {
		return 0, m.p.Connect(t, fd, Addr{IP: LocalIP, Port: modelPort(port)})
	})
	return e
}

func (m *modelSockets) Accept(fd int) (int, conformance.Errno) {
	return m.call(fd, func(t *sched.Thread) (int, Errno) { return m.p.Accept(t, fd) })
}

func (m *modelSockets) Send(fd int, data []byte, flags conformance.MsgFlags) (int, conformance.Errno) {
	return m.call(fd, func(t *sched.Thread) (int, Errno) { return m.p.Send(t, fd, data, msgFlags(flags)) })
}

func (m *modelSockets) SendTo(fd int, data []byte, port conformance.Port, flags conformance.MsgFlags) (int, conformance.Errno) {
	to := &Addr{IP: LocalIP, Port: modelPort(port)}
	return m.call(fd, func(t *sched.Thread) (int, Errno) { return m.p.SendTo(t, fd, data, to, msgFlags(flags)) })
}

func (m *modelSockets) Recv(fd, n int, flags conformance.MsgFlags) ([]byte, conformance.Errno) {
	b, _, e := m.RecvFrom(fd, n, flags)
	return b, e
}

func (m *modelSockets) RecvFrom(fd, n int, flags conformance.MsgFlags) ([]byte, conformance.Port, conformance.Errno) {
	var b []byte
	var from Addr
	_, e := m.call(fd, func(t *sched.Thread) (int, Errno) {
		var err Errno
		b, from, err = m.p.RecvFrom(t, fd, n, msgFlags(flags))
		return 0, err
	})
	if e != conformance.OK {
		return nil, conformance.PortAny, e
	}
	return b, symPort(from), e
}

func (m *modelSockets) Shutdown(fd int, how conformance.How) conformance.Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, Errno) { return 0, m.p.Shutdown(t, fd, int(how)) })
	return e
}

func (m *modelSockets) Close(fd int) conformance.Errno {
	if fd >= fileFD {
		return conformance.OK
	}
	_, e := m.call(fd, func(t *sched.Thread) (int, Errno) { return 0, m.p.Close(t, fd) })
	return e
}

func (m *modelSockets) Dup(fd int) (int, conformance.Errno) {
	return m.call(fd, func(t *sched.Thread) (int, Errno) { return m.p.Dup(t, fd) })
}

func (m *modelSockets) SetNonblock(fd int, on bool) conformance.Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, Errno) { return 0, m.p.SetNonblock(t, fd, on) })
	return e
}

func (m *modelSockets) SetLinger(fd int, on bool, secs int) conformance.Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, Errno) { return 0, m.p.SetLinger(t, fd, on, secs) })
	return e
}

func (m *modelSockets) Poll(fd int, events conformance.PollEvents, wait bool) (conformance.PollEvents, conformance.Errno) {
	if fd >= fileFD {
		return 0, conformance.OK
	}
	n, e := m.call(fd, func(t *sched.Thread) (int, Errno) { return m.p.Poll(t, fd, int(events), wait) })
	return conformance.PollEvents(n) & conformance.PollMask, e
}

func (m *modelSockets) AtMark(fd int) (bool, conformance.Errno) {
	n, e := m.call(fd, func(t *sched.Thread) (int, Errno) {
		at, err := m.p.AtMark(t, fd)
		if at {
			return 1, err
		}
		return 0, err
	})
	return n == 1, e
}

func (m *modelSockets) GetSockError(fd int) (conformance.Errno, conformance.Errno) {
	if fd >= fileFD {
		return conformance.OK, conformance.ENOTSOCK
	}
	n, e := m.call(fd, func(t *sched.Thread) (int, Errno) {
		se, err := m.p.SockError(t, fd)
		return int(se), err
	})
	return conformance.Errno(n), e
}

// TestConformanceModel runs every conformance scenario on the model with BSD's expectations.
func TestConformanceModel(t *testing.T) {
	m := &modelSockets{}
	for _, s := range conformance.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			for _, mm := range conformance.Run(s, m, conformance.BSD) {
				t.Error(mm.String())
			}
		})
	}
}
