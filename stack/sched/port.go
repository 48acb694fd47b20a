package sched

import (
	"fmt"
	"sync"
)

// Msg is a message sent to a Port (a DragonFly netmsg). Body is the request; the owner's
// Reply fills Result and Err.
type Msg struct {
	Body   any
	Result any
	Err    error

	from    *Thread
	waiting bool // the sender waits for the reply (Call)
	done    bool
	vc      vclock // the sender's clock, then the replier's
}

// Done reports whether the message has been replied to.
func (m *Msg) Done() bool { return m.done }

// holds is the wake condition of a sender waiting for the reply.
func (m *Msg) holds() bool { return m.done }

// Port is a message queue owned by one thread (an LWKT message port, a netisr's port). Any
// thread may Send or Call; only the owner may Recv and Reply.
type Port struct {
	e     *Exec
	name  string
	owner *Thread
	q     []*Msg
	mu    sync.Mutex // Free mode: guards q, waiting and the messages' state
	recvr bool       // the owner is blocked in Recv (Free mode)
}

// NewPort returns an empty port named name owned by owner.
func (e *Exec) NewPort(name string, owner *Thread) *Port {
	if e.mem != nil {
		p := e.mem.ports.get()
		p.e, p.name, p.owner = e, name, owner
		return p
	}
	return &Port{e: e, name: name, owner: owner}
}

// Name returns the port's name.
func (p *Port) Name() string { return p.name }

// Owner returns the port's owner.
func (p *Port) Owner() *Thread { return p.owner }

// Len returns the number of messages queued (Controlled mode, or synchronized callers).
func (p *Port) Len() int { return len(p.q) }

// Send queues m without waiting for the reply (lwkt_sendmsg).
func (p *Port) Send(t *Thread, m *Msg) error { return p.send(t, m, false) }

// Call queues m and waits until the owner replies (lwkt_domsg); the reply is in m.Result and
// m.Err. The wait is not interruptible.
func (p *Port) Call(t *Thread, m *Msg) error {
	if t == p.owner {
		return p.e.bug(t, "Port.Call", p.name, fmt.Errorf("call to its own port would never be answered: %w", ErrRecursiveLock))
	}
	if err := p.send(t, m, true); err != nil {
		return err
	}
	e := p.e
	if e.mode == Free {
		return p.waitReplyFree(t, m)
	}
	for !m.done {
		if err := e.block(t, blockInfo{kind: "reply", obj: p.name, cond: m}); err != nil {
			return err
		}
	}
	if e.race.enabled {
		e.race.join(&t.vc, m.vc)
	}
	return nil
}

func (p *Port) send(t *Thread, m *Msg, wait bool) error {
	e := p.e
	if t.unwinding {
		return ErrAborted
	}
	if m.from != nil && !m.done {
		return e.bug(t, "Port.Send", p.name, fmt.Errorf("message already in flight"))
	}
	m.from, m.waiting, m.done, m.Result, m.Err = t, wait, false, nil, nil
	if e.mode == Free {
		return p.sendFree(t, m)
	}
	e.point(t, EvSend, "send", p.name)
	if e.race.enabled {
		e.race.release(&m.vc, t)
	}
	p.q = append(p.q, m)
	if o := p.owner; o != nil && o.state == stBlocked && o.blk.kind == "recv" && o.blk.obj == p.name {
		e.makeRunnable(t, o, nil)
	}
	return nil
}

// Recv takes the oldest message, blocking while there is none. Only the owner may receive.
func (p *Port) Recv(t *Thread) (*Msg, error) {
	e := p.e
	if t.unwinding {
		return nil, ErrAborted
	}
	if t != p.owner {
		return nil, e.bug(t, "Port.Recv", p.name, ErrNotOwner)
	}
	if e.mode == Free {
		return p.recvFree(t)
	}
	e.point(t, EvRecv, "recv", p.name)
	for len(p.q) == 0 {
		if err := e.block(t, blockInfo{kind: "recv", obj: p.name, cond: p}); err != nil {
			return nil, err
		}
	}
	m := p.pop()
	if e.race.enabled {
		e.race.join(&t.vc, m.vc)
	}
	return m, nil
}

// holds is the wake condition of the owner blocked in Recv: a message is queued.
func (p *Port) holds() bool { return len(p.q) > 0 }

// pop takes the oldest message; an emptied queue starts again at the front of its array, so
// that a port in steady use does not allocate.
func (p *Port) pop() *Msg {
	m := p.q[0]
	p.q[0] = nil
	if len(p.q) == 1 {
		p.q = p.q[:0]
	} else {
		p.q = p.q[1:]
	}
	return m
}

// Reply completes m with a result and an error and wakes its sender if it waits.
func (p *Port) Reply(t *Thread, m *Msg, result any, err error) error {
	e := p.e
	if t.unwinding {
		return ErrAborted
	}
	if t != p.owner {
		return e.bug(t, "Port.Reply", p.name, ErrNotOwner)
	}
	if e.mode == Free {
		return p.replyFree(t, m, result, err)
	}
	if m.done {
		return e.bug(t, "Port.Reply", p.name, ErrDoubleReply)
	}
	e.point(t, EvReply, "reply", p.name)
	m.Result, m.Err, m.done = result, err, true
	if e.race.enabled {
		e.race.release(&m.vc, t)
	}
	if s := m.from; m.waiting && s.state == stBlocked && s.blk.kind == "reply" {
		e.makeRunnable(t, s, nil)
	}
	return nil
}
