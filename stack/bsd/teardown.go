package bsd

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Leak is a socket still allocated when the stack was torn down.
type Leak struct {
	Sock  SockSnapshot
	Cause string
}

func (l Leak) String() string {
	return fmt.Sprintf("so%d leaked (%s): state %s refs %d tcp %v head %d", l.Sock.ID, l.Cause,
		StateString(l.Sock.State), l.Sock.Refs, l.Sock.TCPState, l.Sock.Head)
}

// Teardown ends the stack's life on thread t, after the program's processes are done: every
// descriptor is closed, virtual time runs the timers out (TIME_WAIT included) while t waits for
// every socket to be freed, and the protocol and wire threads are told to exit. It returns at
// once when all that is done; if a socket is never freed, t stays blocked on "sofree" with its
// predicate false, and the execution goes quiescent: the caller reports Leaks and aborts.
func (st *Stack) Teardown(t *sched.Thread) {
	closer := &Proc{st: st, pid: -1, name: "teardown", t: t}
	for fd := range st.files.fds {
		_ = closer.Close(t, fd)
	}
	for st.nlive.AtomicLoad(t, "teardown") != 0 {
		st.freedQ.Interlock(t)
		if st.nlive.AtomicLoad(t, "teardown") == 0 {
			break
		}
		if err := st.freedQ.Sleep(t, func() bool { return st.nlive.Peek() == 0 }, sched.Interlocked); err != nil {
			return
		}
	}
	st.stopThreads(t)
}

// stopThreads tells the protocol and wire threads to exit.
func (st *Stack) stopThreads(t *sched.Thread) {
	for _, n := range st.netisrs {
		_ = n.port.Call(t, &sched.Msg{Body: &netmsg{name: "quit"}})
	}
	w := st.wire
	w.mu.Lock(t)
	w.quit = true
	w.mu.Unlock(t)
	w.q.WakeAll(t)
}

// Leaks lists the sockets not freed, for a caller whose Teardown did not finish.
func (st *Stack) Leaks() []Leak {
	var out []Leak
	for _, so := range st.socks {
		if so.freed.Load() {
			continue
		}
		ss := so.snapshot()
		cause := "not freed"
		switch {
		case ss.HasPCB:
			cause = "pcb still attached"
		case ss.Head >= 0:
			cause = "still on a listen queue"
		case ss.State&SS_NOFDREF == 0:
			cause = "descriptor reference never dropped"
		}
		out = append(out, Leak{Sock: ss, Cause: cause})
	}
	return out
}
