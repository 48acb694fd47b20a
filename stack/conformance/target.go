package conformance

import (
	"fmt"
	"slices"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// TargetSockets returns the Sockets of a target (any stack.Target, the model's or a user's):
// the scenarios run on one instance per scenario, in a controlled execution, one step at a
// time. A process thread waits for a command, runs it, and the execution runs until every
// thread is idle again, with the clock held so that no timer fires between steps (the
// harness's rule). A command that would block forever shows as quiescence with the process
// still in its system call: the step answers EHANG and the process is interrupted out of it.
// End closes what the scenario left open, tears the instance down and fails on a panic, a
// race, or a teardown that does not finish.
func TargetSockets(t stack.Target) Sockets { return &targetSockets{target: t} }

// targetSockets is TargetSockets' implementation.
type targetSockets struct {
	target stack.Target
	e      *sched.Exec
	st     stack.Instance
	p      stack.Proc
	th     *sched.Thread
	open   []int // the descriptors the scenario holds, closed by End
	cmdQ   *sched.WaitQueue
	cmd    func(t *sched.Thread)
	done   bool
	quit   bool
	err    error // a failure of the model itself (panic, budget)
}

// fileFD is where OpenFile's non-socket descriptors start: a target has sockets only.
const fileFD = 1000

// preferProcess is the conformance chooser: the process runs whenever it can, the stack's
// threads otherwise, so that a system call returns before the loopback makes progress behind
// it, as on a real kernel.
type preferProcess struct{ m *targetSockets }

func (c preferProcess) Choose(d *sched.Decision) sched.ID {
	for _, id := range d.Cands {
		if c.m.th != nil && id == c.m.th.ID() {
			return id
		}
	}
	return sched.Default(d)
}

func (m *targetSockets) Begin() error {
	m.e = sched.New(sched.Config{StepBudget: 2_000_000, Chooser: preferProcess{m}})
	st, err := m.target.New(m.e, stack.Config{CPUs: 1})
	if err != nil {
		return fmt.Errorf("target %s: %w", m.target.Name(), err)
	}
	m.st, m.open = st, m.open[:0]
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
		return fmt.Errorf("target %s did not settle: %v", m.target.Name(), r.Status)
	}
	return nil
}

// do runs one command on the process thread; it reports whether it would have blocked.
func (m *targetSockets) do(c func(t *sched.Thread)) (hang bool) {
	if m.err != nil {
		return true
	}
	m.cmd, m.done = c, false
	_ = m.e.Interrupt(nil, m.th)
	r := m.e.Run()
	if r.Status != sched.Quiescent {
		m.err = fmt.Errorf("target %s stopped: %v %v", m.target.Name(), r.Status, r.Panic)
		return true
	}
	if m.done {
		return false
	}
	_ = m.e.Interrupt(nil, m.th) // out of the blocked system call
	if r := m.e.Run(); r.Status != sched.Quiescent || !m.done {
		m.err = fmt.Errorf("target %s stuck after EHANG: %v", m.target.Name(), r.Status)
	}
	return true
}

func (m *targetSockets) End() error {
	for _, fd := range slices.Clone(m.open) {
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
		return fmt.Errorf("teardown: status %v (quiescent first: %v)", r.Status, first != nil)
	case len(r.Races) > 0:
		return fmt.Errorf("races: %v", r.Races)
	}
	m.st.Release()
	m.e.Release()
	return nil
}

// opened records a descriptor the scenario now holds.
func (m *targetSockets) opened(fd int, e Errno) (int, Errno) {
	if e == OK {
		m.open = append(m.open, fd)
	}
	return fd, e
}

func errno(e stack.Errno) Errno { return Errno(e) }

func targetPort(p Port) uint16 {
	if p <= 0 {
		return 0
	}
	return 1000 + uint16(p)
}

func symPort(a stack.Addr) Port {
	if a.Port == 0 {
		return PortAny
	}
	if a.Port > 1000 && a.Port <= 1000+uint16(MaxPort) {
		return Port(a.Port - 1000)
	}
	return PortUnnamed
}

func msgFlags(f MsgFlags) int {
	n := 0
	if f&MsgOOB != 0 {
		n |= stack.MSG_OOB
	}
	if f&MsgPeek != 0 {
		n |= stack.MSG_PEEK
	}
	if f&MsgDontWait != 0 {
		n |= stack.MSG_DONTWAIT
	}
	if f&MsgWaitAll != 0 {
		n |= stack.MSG_WAITALL
	}
	return n
}

// call runs a command returning an int and an errno; EHANG if it would block forever.
func (m *targetSockets) call(fd int, c func(t *sched.Thread) (int, stack.Errno)) (int, Errno) {
	if fd >= fileFD {
		return -1, ENOTSOCK
	}
	var n int
	var e stack.Errno
	if m.do(func(t *sched.Thread) { n, e = c(t) }) {
		return -1, EHANG
	}
	return n, errno(e)
}

func (m *targetSockets) Socket(p Proto) (int, Errno) {
	proto := stack.TCP
	if p == UDP {
		proto = stack.UDP
	}
	return m.opened(m.call(0, func(t *sched.Thread) (int, stack.Errno) { return m.p.Socket(t, proto) }))
}

func (m *targetSockets) OpenFile() (int, Errno) { return fileFD, OK }

func (m *targetSockets) Bind(fd int, port Port) Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return 0, m.p.Bind(t, fd, targetPort(port)) })
	return e
}

func (m *targetSockets) Listen(fd, backlog int) Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return 0, m.p.Listen(t, fd, backlog) })
	return e
}

func (m *targetSockets) Connect(fd int, port Port) Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) {
		return 0, m.p.Connect(t, fd, stack.Addr{IP: stack.LocalIP, Port: targetPort(port)})
	})
	return e
}

func (m *targetSockets) Accept(fd int) (int, Errno) {
	return m.opened(m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return m.p.Accept(t, fd) }))
}

func (m *targetSockets) Send(fd int, data []byte, flags MsgFlags) (int, Errno) {
	return m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return m.p.SendTo(t, fd, data, nil, msgFlags(flags)) })
}

func (m *targetSockets) SendTo(fd int, data []byte, port Port, flags MsgFlags) (int, Errno) {
	to := &stack.Addr{IP: stack.LocalIP, Port: targetPort(port)}
	return m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return m.p.SendTo(t, fd, data, to, msgFlags(flags)) })
}

func (m *targetSockets) Recv(fd, n int, flags MsgFlags) ([]byte, Errno) {
	b, _, e := m.RecvFrom(fd, n, flags)
	return b, e
}

func (m *targetSockets) RecvFrom(fd, n int, flags MsgFlags) ([]byte, Port, Errno) {
	var b []byte
	var from stack.Addr
	_, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) {
		var err stack.Errno
		b, from, err = m.p.RecvFrom(t, fd, n, msgFlags(flags))
		return 0, err
	})
	if e != OK {
		return nil, PortAny, e
	}
	return b, symPort(from), e
}

func (m *targetSockets) Shutdown(fd int, how How) Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return 0, m.p.Shutdown(t, fd, int(how)) })
	return e
}

func (m *targetSockets) Close(fd int) Errno {
	if fd >= fileFD {
		return OK
	}
	_, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return 0, m.p.Close(t, fd) })
	if e == OK {
		if i := slices.Index(m.open, fd); i >= 0 {
			m.open = slices.Delete(m.open, i, i+1)
		}
	}
	return e
}

func (m *targetSockets) Dup(fd int) (int, Errno) {
	return m.opened(m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return m.p.Dup(t, fd) }))
}

func (m *targetSockets) SetNonblock(fd int, on bool) Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return 0, m.p.SetNonblock(t, fd, on) })
	return e
}

func (m *targetSockets) SetLinger(fd int, on bool, secs int) Errno {
	_, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return 0, m.p.SetLinger(t, fd, on, secs) })
	return e
}

func (m *targetSockets) Poll(fd int, events PollEvents, wait bool) (PollEvents, Errno) {
	if fd >= fileFD {
		return 0, OK
	}
	n, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) { return m.p.Poll(t, fd, int(events), wait) })
	if e != OK {
		return 0, e // no events with an error, as the host answers
	}
	return PollEvents(n) & PollMask, e
}

func (m *targetSockets) AtMark(fd int) (bool, Errno) {
	n, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) {
		at, err := m.p.AtMark(t, fd)
		if at {
			return 1, err
		}
		return 0, err
	})
	return n == 1, e
}

func (m *targetSockets) GetSockError(fd int) (Errno, Errno) {
	if fd >= fileFD {
		return OK, ENOTSOCK
	}
	n, e := m.call(fd, func(t *sched.Thread) (int, stack.Errno) {
		se, err := m.p.SockError(t, fd)
		return int(se), err
	})
	return Errno(n), e
}
