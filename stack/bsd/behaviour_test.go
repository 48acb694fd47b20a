package bsd

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// The tests of this file check specific behaviours of the model against BSD-REFERENCE.md, in
// Controlled mode with the default chooser (deterministic): concrete return values and errnos,
// and socket snapshots where the state matters. A process body cannot call t.Fatal (it runs on
// a goroutine of the execution), so it records mismatches in an expect and the test reports
// them after the run.

// expect collects mismatches seen inside an execution.
type expect struct{ errs []string }

func (x *expect) eq(what string, got, want any) {
	if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
		x.errs = append(x.errs, fmt.Sprintf("%s: got %v (%T), want %v (%T)", what, got, got, want, want))
	}
}

func (x *expect) truef(cond bool, format string, args ...any) {
	if !cond {
		x.errs = append(x.errs, fmt.Sprintf(format, args...))
	}
}

// behaviourCase is one program and what to check once it has run; build makes fresh closures
// for every run.
type behaviourCase struct {
	name  string
	build func(x *expect) (procs []procFn, verify func(o *outcome))
}

// runBehaviour runs every case on 1, 2 and 4 protocol threads with the default chooser and
// checks the outcome strictly (no quiescence, every socket freed) and the recorded expectations.
func runBehaviour(t *testing.T, cases []behaviourCase) {
	t.Helper()
	for _, c := range cases {
		for _, cpus := range []int{1, 2, 4} {
			name := fmt.Sprintf("%s/cpus=%d", c.name, cpus)
			t.Run(name, func(t *testing.T) {
				x := &expect{}
				procs, verify := c.build(x)
				o := runProgram(sched.Config{}, cpus, procs...)
				o.check(t, name)
				if verify != nil {
					verify(o)
				}
				if len(x.errs) > 0 {
					t.Fatalf("%s:\n%s\nlogs:\n%s", name, strings.Join(x.errs, "\n"), strings.Join(o.logs, "\n"))
				}
			})
		}
	}
}

// nap sleeps ms milliseconds of virtual time: the other processes and the protocol run meanwhile.
func nap(t *sched.Thread, p *Proc, ms int) {
	_ = p.st.e.NewWaitQueue(p.name+".nap").SleepTimeout(t, func() bool { return false }, 0, sched.Duration(ms))
}

// sockOf is the socket behind fd, read without scheduling points (Controlled mode only).
func sockOf(p *Proc, fd int) *Socket {
	if fd < 0 || fd >= len(p.st.files.fds) || p.st.files.fds[fd] == nil {
		return nil
	}
	return p.st.files.fds[fd].so
}

// listenOn makes a TCP listener on port with backlog.
func listenOn(t *sched.Thread, p *Proc, x *expect, port uint16, backlog int) int {
	fd, err := p.Socket(t, TCP)
	x.eq("listener socket", err, OK)
	x.eq("listener bind", p.Bind(t, fd, port), OK)
	x.eq("listen", p.Listen(t, fd, backlog), OK)
	return fd
}

// connectTo makes a TCP socket and connects it (blocking) to the local port.
func connectTo(t *sched.Thread, p *Proc, x *expect, port uint16) int {
	fd, err := p.Socket(t, TCP)
	x.eq("client socket", err, OK)
	x.eq("connect", p.Connect(t, fd, Addr{IP: LocalIP, Port: port}), OK)
	return fd
}

// qlenObserver records the largest so_comp and so_incomp lengths of one listener, from
// snapshots taken at every queue insertion.
type qlenObserver struct {
	head               int
	maxQlen, maxIncq   int64
	qlimit, insertions int
}

func (q *qlenObserver) Observe(st *Stack, ev ObsEvent) {
	if ev.Kind != ObsQueueInsert || ev.Head != q.head {
		return
	}
	ss := st.socks[ev.Head].Snapshot()
	q.insertions++
	q.qlimit = ss.Qlimit
	q.maxQlen = max(q.maxQlen, ss.Qlen)
	q.maxIncq = max(q.maxIncq, ss.Incqlen)
}

func TestBehaviourAccept(t *testing.T) {
	runBehaviour(t, []behaviourCase{
		{"backlog-overflow", func(x *expect) ([]procFn, func(*outcome)) {
			const clients = 6
			obs := &qlenObserver{head: -1}
			accepted, inprogress := 0, 0
			server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				p.st.obs = obs
				lfd := listenOn(t, p, x, 80, 1)
				obs.head = sockOf(p, lfd).id
				x.eq("nonblock", p.SetNonblock(t, lfd, true), OK)
				nap(t, p, 500) // the clients' first SYNs all arrive meanwhile
				for {
					_, err := p.Accept(t, lfd)
					if err != OK {
						x.eq("accept on an emptied queue", err, EWOULDBLOCK)
						break
					}
					accepted++
				}
				ss := sockOf(p, lfd).Snapshot()
				x.eq("qlimit", ss.Qlimit, 1)
				x.eq("qlen after accepting all", ss.Qlen, int64(0))
				log("accepted %d, max qlen %d, max incqlen %d", accepted, obs.maxQlen, obs.maxIncq)
			}
			client := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				for i := 0; i < clients; i++ {
					fd, err := p.Socket(t, TCP)
					x.eq("socket", err, OK)
					x.eq("nonblock", p.SetNonblock(t, fd, true), OK)
					// EINPROGRESS, or OK when the loopback handshake completed before
					// kern_connect looked at SS_ISCONNECTING (BSD's kern_connect does the same).
					switch err := p.Connect(t, fd, Addr{IP: LocalIP, Port: 80}); err {
					case EINPROGRESS:
						inprogress++
					case OK:
					default:
						x.eq(fmt.Sprintf("non-blocking connect %d", i), err, EINPROGRESS)
					}
				}
			}
			return []procFn{server, client}, func(o *outcome) {
				// sonewconn refuses when so_qlen > 3*qlimit/2: at most 3*1/2+1 = 2 on so_comp.
				bound := int64(3*1/2 + 1)
				x.truef(obs.insertions > 0, "no connection was ever queued")
				x.truef(obs.maxQlen <= bound, "so_qlen reached %d > %d", obs.maxQlen, bound)
				x.truef(obs.maxIncq <= int64(obs.qlimit)+1, "so_incqlen reached %d > qlimit+1", obs.maxIncq)
				x.truef(accepted >= 1 && int64(accepted) <= bound, "accepted %d of %d with backlog 1", accepted, clients)
				// The connections refused by sonewconn (SYN dropped) are still connecting.
				x.truef(int64(inprogress) >= clients-bound, "only %d connects in progress", inprogress)
			}
		}},
		{"close-listener-with-queued", func(x *expect) ([]procFn, func(*outcome)) {
			var queued []*Socket
			var lso *Socket
			server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				lfd := listenOn(t, p, x, 81, 5)
				lso = sockOf(p, lfd)
				nap(t, p, 100)
				ss := lso.Snapshot()
				x.eq("so_comp before close", len(ss.Comp), 2)
				x.eq("so_qlen before close", ss.Qlen, int64(2))
				queued = append(append(queued, lso.comp...), lso.incomp...)
				x.eq("close listener", p.Close(t, lfd), OK)
				ss = lso.Snapshot()
				x.truef(ss.Freed, "listener not freed by close: %+v", ss)
				x.eq("listener so_qlen after close", ss.Qlen, int64(0))
				x.eq("listener so_incqlen after close", ss.Incqlen, int64(0))
				nap(t, p, 100) // the aborts run on the protocol threads
				for _, so := range queued {
					ss := so.Snapshot()
					x.truef(ss.Freed, "queued %v not freed after the listener closed: %s", so, StateString(ss.State))
					x.eq("queued so_head", ss.Head, -1)
				}
			}
			client := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				var fds []int
				for i := 0; i < 2; i++ {
					fd, _ := p.Socket(t, TCP)
					x.eq("nonblock", p.SetNonblock(t, fd, true), OK)
					if err := p.Connect(t, fd, Addr{IP: LocalIP, Port: 81}); err != OK { // OK: loopback completed at once
						x.eq("connect", err, EINPROGRESS)
					}
					fds = append(fds, fd)
				}
				for _, fd := range fds {
					x.eq("blocking", p.SetNonblock(t, fd, false), OK)
					b, err := p.Recv(t, fd, 10, 0)
					x.eq("recv on an aborted connection", err, ECONNRESET)
					x.eq("recv bytes", len(b), 0)
					x.eq("close", p.Close(t, fd), OK)
				}
			}
			return []procFn{server, client}, nil
		}},
		{"accept-errors", func(x *expect) ([]procFn, func(*outcome)) {
			return []procFn{func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				fd, _ := p.Socket(t, TCP)
				_, err := p.Accept(t, fd)
				x.eq("accept on a fresh socket", err, EINVAL)
				x.eq("bind", p.Bind(t, fd, 90), OK)
				_, err = p.Accept(t, fd)
				x.eq("accept on a bound, not listening socket", err, EINVAL)
				u, _ := p.Socket(t, UDP)
				_, err = p.Accept(t, u)
				x.eq("accept on UDP", err, EINVAL)
				x.eq("listen on UDP", p.Listen(t, u, 5), EOPNOTSUPP)
				x.eq("listen", p.Listen(t, fd, 5), OK)
				x.eq("nonblock", p.SetNonblock(t, fd, true), OK)
				nfd, err := p.Accept(t, fd)
				x.eq("accept on an empty non-blocking listener", err, EWOULDBLOCK)
				x.eq("accept fd", nfd, -1)
				x.eq("listener still listening", sockOf(p, fd).Snapshot().Listen, true)
				x.eq("no predicate left queued", len(sockOf(p, fd).rcv.notify), 0)
				p.Close(t, u)
				p.Close(t, fd)
			}}, nil
		}},
	})
}

func TestBehaviourConnect(t *testing.T) {
	runBehaviour(t, []behaviourCase{
		{"connect-errors", func(x *expect) ([]procFn, func(*outcome)) {
			return []procFn{func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				fd, _ := p.Socket(t, TCP)
				x.eq("connect to a port with no listener", p.Connect(t, fd, Addr{IP: LocalIP, Port: 99}), ECONNREFUSED)
				ss := sockOf(p, fd).Snapshot()
				x.eq("refused: connecting bit cleared", ss.State&SS_ISCONNECTING, uint64(0))
				p.Close(t, fd)

				lfd := listenOn(t, p, x, 82, 5)
				x.eq("connect on a listener", p.Connect(t, lfd, Addr{IP: LocalIP, Port: 82}), EOPNOTSUPP)
				c := connectTo(t, p, x, 82)
				ss = sockOf(p, c).Snapshot()
				x.eq("connected state", ss.State&(SS_ISCONNECTED|SS_ISCONNECTING), uint64(SS_ISCONNECTED))
				x.eq("connected tcp state", ss.TCPState, TCPS_ESTABLISHED)
				x.eq("second connect", p.Connect(t, c, Addr{IP: LocalIP, Port: 82}), EISCONN)
				x.eq("listen on a connected socket", p.Listen(t, c, 5), EINVAL)
				x.eq("not made a listener", sockOf(p, c).Snapshot().Listen, false)
				s, err := p.Accept(t, lfd)
				x.eq("accept", err, OK)
				p.Close(t, s)
				p.Close(t, c)
				p.Close(t, lfd)
			}}, nil
		}},
	})
}

func TestBehaviourData(t *testing.T) {
	runBehaviour(t, []behaviourCase{
		{"half-close", func(x *expect) ([]procFn, func(*outcome)) {
			server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				lfd := listenOn(t, p, x, 83, 5)
				c, err := p.Accept(t, lfd)
				x.eq("accept", err, OK)
				var got []byte
				for len(got) < 5 {
					b, err := p.Recv(t, c, 100, 0)
					if err != OK || len(b) == 0 {
						x.eq("recv before EOF", err, OK)
						break
					}
					got = append(got, b...)
				}
				x.eq("data", string(got), "hello")
				b, err := p.Recv(t, c, 100, 0)
				x.eq("recv after the peer's SHUT_WR: EOF", err, OK)
				x.eq("EOF bytes", len(b), 0)
				ss := sockOf(p, c).Snapshot()
				x.eq("server CANTRCVMORE", ss.State&SS_CANTRCVMORE, uint64(SS_CANTRCVMORE))
				x.eq("server CANTSENDMORE", ss.State&SS_CANTSENDMORE, uint64(0))
				x.eq("server tcp state", ss.TCPState, TCPS_CLOSE_WAIT)
				n, err := p.Send(t, c, []byte("bye"), 0)
				x.eq("send after the peer's half-close", err, OK)
				x.eq("sent", n, 3)
				x.eq("close", p.Close(t, c), OK)
				p.Close(t, lfd)
			}
			client := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				fd := connectTo(t, p, x, 83)
				n, err := p.Send(t, fd, []byte("hello"), 0)
				x.eq("send", err, OK)
				x.eq("sent", n, 5)
				x.eq("shutdown SHUT_WR", p.Shutdown(t, fd, SHUT_WR), OK)
				_, err = p.Send(t, fd, []byte("x"), 0)
				x.eq("send after SHUT_WR", err, EPIPE)
				var got []byte
				for {
					b, err := p.Recv(t, fd, 100, 0)
					if err != OK || len(b) == 0 {
						x.eq("client recv end", err, OK)
						break
					}
					got = append(got, b...)
				}
				x.eq("client got", string(got), "bye")
				p.Close(t, fd)
			}
			return []procFn{server, client}, nil
		}},
		{"dontwait-and-peek", func(x *expect) ([]procFn, func(*outcome)) {
			server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				lfd := listenOn(t, p, x, 84, 5)
				c, err := p.Accept(t, lfd)
				x.eq("accept", err, OK)
				b, err := p.Recv(t, c, 3, MSG_WAITALL)
				x.eq("recv go", err, OK)
				x.eq("go", string(b), "go!")
				_, err = p.Send(t, c, []byte("abcdef"), 0)
				x.eq("send", err, OK)
				b, err = p.Recv(t, c, 10, 0)
				x.eq("EOF", len(b), 0)
				x.eq("EOF err", err, OK)
				p.Close(t, c)
				p.Close(t, lfd)
			}
			client := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				fd := connectTo(t, p, x, 84)
				b, err := p.Recv(t, fd, 10, MSG_DONTWAIT)
				x.eq("MSG_DONTWAIT on an empty connected socket", err, EWOULDBLOCK)
				x.eq("no data", len(b), 0)
				b, err = p.Recv(t, fd, 10, MSG_DONTWAIT|MSG_PEEK)
				x.eq("MSG_DONTWAIT|MSG_PEEK on an empty socket", err, EWOULDBLOCK)
				x.eq("no data", len(b), 0)
				_, err = p.Send(t, fd, []byte("go!"), 0)
				x.eq("send", err, OK)
				b, err = p.Recv(t, fd, 10, MSG_PEEK|MSG_WAITALL) // waits for data, consumes none
				x.eq("peek", err, OK)
				x.truef(len(b) > 0 && bytes.HasPrefix([]byte("abcdef"), b), "peeked %q", b)
				b, err = p.Recv(t, fd, 3, MSG_PEEK)
				x.eq("peek 3", string(b), "abc")
				x.eq("peek 3 err", err, OK)
				ss := sockOf(p, fd).Snapshot()
				x.eq("so_rcv after peeks", ss.RcvCC, int64(6))
				x.eq("so_rcv bytes after peeks", ss.RcvBytes, 6)
				b, err = p.Recv(t, fd, 10, 0)
				x.eq("recv after peek", string(b), "abcdef")
				x.eq("recv err", err, OK)
				x.eq("so_rcv after recv", sockOf(p, fd).Snapshot().RcvCC, int64(0))
				b, err = p.Recv(t, fd, 10, MSG_DONTWAIT)
				x.eq("MSG_DONTWAIT once drained", err, EWOULDBLOCK)
				x.eq("no data", len(b), 0)
				p.Close(t, fd)
			}
			return []procFn{server, client}, nil
		}},
		{"udp", func(x *expect) ([]procFn, func(*outcome)) {
			return []procFn{func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				a, _ := p.Socket(t, UDP)
				b, _ := p.Socket(t, UDP)
				x.eq("bind a", p.Bind(t, a, 5000), OK)
				x.eq("bind b", p.Bind(t, b, 5001), OK)
				x.eq("bind b again", p.Bind(t, b, 5002), EINVAL)
				c, _ := p.Socket(t, UDP)
				x.eq("bind a port in use", p.Bind(t, c, 5000), EADDRINUSE)
				n, err := p.SendTo(t, a, []byte("ping"), &Addr{IP: LocalIP, Port: 5001}, 0)
				x.eq("sendto", err, OK)
				x.eq("sendto n", n, 4)
				data, from, err := p.RecvFrom(t, b, 100, 0)
				x.eq("recvfrom", err, OK)
				x.eq("datagram", string(data), "ping")
				x.eq("sender", from, Addr{IP: LocalIP, Port: 5000})
				n, err = p.SendTo(t, b, []byte("pong!"), &Addr{IP: LocalIP, Port: 5000}, 0)
				x.eq("reply", err, OK)
				x.eq("reply n", n, 5)
				data, from, err = p.RecvFrom(t, a, 2, 0) // truncated: the rest of the datagram goes
				x.eq("recvfrom truncated", string(data), "po")
				x.eq("sender of reply", from, Addr{IP: LocalIP, Port: 5001})
				x.eq("err", err, OK)
				_, err = p.Recv(t, a, 100, MSG_DONTWAIT)
				x.eq("the rest of a datagram is discarded", err, EWOULDBLOCK)
				_, err = p.Send(t, a, []byte("x"), 0)
				x.eq("send without an address on unconnected UDP", err, EDESTADDRREQ)
				_, err = p.SendTo(t, a, make([]byte, udpSendSpace+1), &Addr{IP: LocalIP, Port: 5001}, 0)
				x.eq("datagram larger than 9216", err, EMSGSIZE)
				n, err = p.SendTo(t, a, make([]byte, udpSendSpace), &Addr{IP: LocalIP, Port: 5001}, 0)
				x.eq("datagram of 9216", err, OK)
				x.eq("datagram of 9216 n", n, udpSendSpace)
				data, _, err = p.RecvFrom(t, b, 10000, 0)
				x.eq("big datagram", len(data), udpSendSpace)
				x.eq("big datagram err", err, OK)
				x.eq("connect udp", p.Connect(t, c, Addr{IP: LocalIP, Port: 5001}), OK)
				_, err = p.SendTo(t, c, []byte("x"), &Addr{IP: LocalIP, Port: 5001}, 0)
				x.eq("sendto with an address on connected UDP", err, EISCONN)
				n, err = p.Send(t, c, []byte("via connect"), 0)
				x.eq("send on connected UDP", err, OK)
				x.eq("send on connected UDP n", n, 11)
				data, from, _ = p.RecvFrom(t, b, 100, 0)
				x.eq("datagram via connect", string(data), "via connect")
				x.eq("connected sender", from.Port != 0 && from.Port != 5000 && from.IP == LocalIP, true)
				p.Close(t, a)
				p.Close(t, b)
				p.Close(t, c)
			}}, nil
		}},
		{"oob", func(x *expect) ([]procFn, func(*outcome)) {
			server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				lfd := listenOn(t, p, x, 85, 5)
				c, err := p.Accept(t, lfd)
				x.eq("accept", err, OK)
				r, err := p.Poll(t, c, POLLPRI, true)
				x.eq("poll POLLPRI", r&POLLPRI, POLLPRI)
				x.eq("poll err", err, OK)
				ss := sockOf(p, c).Snapshot()
				x.eq("so_oobmark", ss.Oobmark, int64(3))
				at, err := p.AtMark(t, c)
				x.eq("SIOCATMARK before the mark", at, false)
				x.eq("SIOCATMARK err", err, OK)
				b, err := p.Recv(t, c, 10, 0)
				x.eq("recv stops at the mark", string(b), "abc")
				x.eq("recv err", err, OK)
				at, _ = p.AtMark(t, c)
				x.eq("SIOCATMARK at the mark", at, true)
				b, err = p.Recv(t, c, 1, MSG_OOB|MSG_PEEK)
				x.eq("peek the urgent byte", string(b), "!")
				x.eq("peek err", err, OK)
				b, err = p.Recv(t, c, 1, MSG_OOB)
				x.eq("the urgent byte", string(b), "!")
				x.eq("oob err", err, OK)
				_, err = p.Recv(t, c, 1, MSG_OOB)
				x.eq("second MSG_OOB read (TCPOOB_HADDATA)", err, EINVAL)
				b, err = p.Recv(t, c, 10, 0)
				x.eq("after the mark", string(b), "def")
				x.eq("after the mark err", err, OK)
				p.Close(t, c)
				p.Close(t, lfd)
			}
			client := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				fd := connectTo(t, p, x, 85)
				n, err := p.Send(t, fd, []byte("abc"), 0)
				x.eq("send", err, OK)
				x.eq("send n", n, 3)
				n, err = p.Send(t, fd, []byte("!"), MSG_OOB)
				x.eq("send MSG_OOB", err, OK)
				x.eq("send MSG_OOB n", n, 1)
				nap(t, p, 10)
				_, err = p.Send(t, fd, []byte("def"), 0)
				x.eq("send after", err, OK)
				b, err := p.Recv(t, fd, 10, 0)
				x.eq("EOF", len(b), 0)
				x.eq("EOF err", err, OK)
				p.Close(t, fd)
			}
			return []procFn{server, client}, nil
		}},
	})
}

func TestBehaviourInterrupt(t *testing.T) {
	remote := Addr{IP: 0x0a000002, Port: 4000} // the scripted peer: it never answers
	runBehaviour(t, []behaviourCase{
		{"interrupted-accept", func(x *expect) ([]procFn, func(*outcome)) {
			victim := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				lfd := listenOn(t, p, x, 86, 5)
				fd, err := p.Accept(t, lfd)
				x.eq("interrupted accept", err, EINTR)
				x.eq("interrupted accept fd", fd, -1)
				x.eq("no predicate left queued", len(sockOf(p, lfd).rcv.notify), 0)
				x.eq("still listening", sockOf(p, lfd).Snapshot().Listen, true)
				// The signal was consumed: the listener works afterwards.
				c := connectTo(t, p, x, 86)
				s, err := p.Accept(t, lfd)
				x.eq("accept after the interrupt", err, OK)
				p.Close(t, s)
				p.Close(t, c)
				p.Close(t, lfd)
			}
			signaller := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				x.eq("interrupt", p.Interrupt(t, p.st.procs[0]), OK)
			}
			return []procFn{victim, signaller}, nil
		}},
		{"interrupted-connect", func(x *expect) ([]procFn, func(*outcome)) {
			victim := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				fd, _ := p.Socket(t, TCP)
				x.eq("interrupted connect", p.Connect(t, fd, remote), EINTR)
				ss := sockOf(p, fd).Snapshot()
				// 8765eadc4c: an interrupted connect leaves SS_ISCONNECTING set.
				x.eq("still connecting", ss.State&(SS_ISCONNECTING|SS_ISCONNECTED), uint64(SS_ISCONNECTING))
				x.eq("tcp state", ss.TCPState, TCPS_SYN_SENT)
				x.eq("retry", p.Connect(t, fd, remote), EALREADY)
				x.eq("listen on a connecting socket", p.Listen(t, fd, 5), EINVAL)
				x.truef(len(p.st.SentToPeer()) > 0 && p.st.SentToPeer()[0].Flags&TH_SYN != 0, "no SYN sent to the peer: %v", p.st.SentToPeer())
				x.eq("close", p.Close(t, fd), OK)
			}
			signaller := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				x.eq("interrupt", p.Interrupt(t, p.st.procs[0]), OK)
			}
			return []procFn{victim, signaller}, nil
		}},
		{"interrupted-recv", func(x *expect) ([]procFn, func(*outcome)) {
			victim := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				lfd := listenOn(t, p, x, 87, 5)
				c := connectTo(t, p, x, 87)
				s, _ := p.Accept(t, lfd)
				b, err := p.Recv(t, c, 10, 0)
				x.eq("interrupted recv", err, EINTR)
				x.eq("interrupted recv bytes", len(b), 0)
				n, err := p.Send(t, s, []byte("ok"), 0)
				x.eq("send after", err, OK)
				x.eq("send n", n, 2)
				b, err = p.Recv(t, c, 10, 0)
				x.eq("recv after the interrupt", string(b), "ok")
				x.eq("recv err", err, OK)
				p.Close(t, s)
				p.Close(t, c)
				p.Close(t, lfd)
			}
			signaller := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				x.eq("interrupt", p.Interrupt(t, p.st.procs[0]), OK)
			}
			return []procFn{victim, signaller}, nil
		}},
	})
}

func TestBehaviourLingerReset(t *testing.T) {
	runBehaviour(t, []behaviourCase{
		{"linger-0", func(x *expect) ([]procFn, func(*outcome)) {
			server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				lfd := listenOn(t, p, x, 88, 5)
				c, err := p.Accept(t, lfd)
				x.eq("accept", err, OK)
				_, err = p.Send(t, c, []byte("r"), 0)
				x.eq("send", err, OK)
				b, err := p.Recv(t, c, 10, 0)
				x.eq("recv after the peer's abortive close", err, ECONNRESET)
				x.eq("recv bytes", len(b), 0)
				b, err = p.Recv(t, c, 10, 0)
				x.eq("recv once the error is reported: EOF", err, OK)
				x.eq("EOF bytes", len(b), 0)
				_, err = p.Send(t, c, []byte("x"), 0)
				x.eq("send on a reset connection", err, EPIPE)
				p.Close(t, c)
				p.Close(t, lfd)
			}
			client := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				fd := connectTo(t, p, x, 88)
				b, err := p.Recv(t, fd, 1, 0)
				x.eq("ready", string(b), "r")
				x.eq("ready err", err, OK)
				x.eq("SO_LINGER 0", p.SetLinger(t, fd, true, 0), OK)
				so := sockOf(p, fd)
				x.eq("close", p.Close(t, fd), OK)
				ss := so.Snapshot()
				x.truef(ss.Freed, "an abortive close frees the socket at once: %+v", ss)
			}
			return []procFn{server, client}, nil
		}},
	})
}

func TestBehaviourSigio(t *testing.T) {
	for _, async := range []bool{true, false} {
		runBehaviour(t, []behaviourCase{
			{fmt.Sprintf("sigio-async=%v", async), func(x *expect) ([]procFn, func(*outcome)) {
				server := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
					lfd := listenOn(t, p, x, 89, 5)
					c, err := p.Accept(t, lfd)
					x.eq("accept", err, OK)
					nap(t, p, 10) // the client sets FIOASYNC and F_SETOWN meanwhile
					n, err := p.Send(t, c, []byte("data"), 0)
					x.eq("send", err, OK)
					x.eq("send n", n, 4)
					b, err := p.Recv(t, c, 10, 0)
					x.eq("EOF", len(b), 0)
					x.eq("EOF err", err, OK)
					p.Close(t, c)
					p.Close(t, lfd)
				}
				client := func(t *sched.Thread, p *Proc, log func(string, ...any)) {
					fd := connectTo(t, p, x, 89)
					if async {
						x.eq("FIOASYNC", p.SetAsync(t, fd, true), OK)
						x.eq("SS_ASYNC", sockOf(p, fd).Snapshot().State&SS_ASYNC, uint64(SS_ASYNC))
					}
					x.eq("F_SETOWN", p.SetOwn(t, fd, 2), OK)
					x.eq("owner's SIGIOs before the peer sends", p.st.procs[2].Sigios(), 0)
					var got []byte
					for len(got) < 4 {
						b, err := p.Recv(t, fd, 10, 0)
						if err != OK || len(b) == 0 {
							x.eq("recv", err, OK)
							break
						}
						got = append(got, b...)
					}
					x.eq("data", string(got), "data")
					p.Close(t, fd)
				}
				owner := func(t *sched.Thread, p *Proc, log func(string, ...any)) {}
				return []procFn{server, client, owner}, func(o *outcome) {
					n := o.st.procs[2].Sigios()
					if async {
						x.truef(n > 0, "FIOASYNC and F_SETOWN: the owner got no SIGIO")
					} else {
						x.eq("SIGIOs without FIOASYNC", n, 0)
					}
					x.eq("SIGIOs to the non-owner", o.st.procs[0].Sigios()+o.st.procs[1].Sigios(), 0)
				}
			}},
		})
	}
}

func TestBehaviourBadArguments(t *testing.T) {
	runBehaviour(t, []behaviourCase{
		{"bad-arguments", func(x *expect) ([]procFn, func(*outcome)) {
			return []procFn{func(t *sched.Thread, p *Proc, log func(string, ...any)) {
				_, err := p.Socket(t, Proto(99))
				x.eq("socket of an unknown protocol", err, EPROTOTYPE)
				closed, _ := p.Socket(t, TCP)
				x.eq("close", p.Close(t, closed), OK)
				x.eq("close twice", p.Close(t, closed), EBADF)
				to := &Addr{IP: LocalIP, Port: 1}
				for _, fd := range []int{-1, 9999, closed, -1 << 40} {
					what := func(call string) string { return fmt.Sprintf("%s(fd %d)", call, fd) }
					x.eq(what("bind"), p.Bind(t, fd, 1), EBADF)
					x.eq(what("listen"), p.Listen(t, fd, 5), EBADF)
					x.eq(what("connect"), p.Connect(t, fd, *to), EBADF)
					nfd, err := p.Accept(t, fd)
					x.eq(what("accept"), err, EBADF)
					x.eq(what("accept fd"), nfd, -1)
					n, err := p.Send(t, fd, []byte("x"), 0)
					x.eq(what("send"), err, EBADF)
					x.eq(what("send n"), n, -1)
					_, err = p.SendTo(t, fd, nil, to, MSG_OOB)
					x.eq(what("sendto"), err, EBADF)
					_, err = p.Recv(t, fd, -1, 0)
					x.eq(what("recv"), err, EBADF)
					_, _, err = p.RecvFrom(t, fd, 10, MSG_OOB|MSG_PEEK)
					x.eq(what("recvfrom"), err, EBADF)
					x.eq(what("shutdown"), p.Shutdown(t, fd, SHUT_RDWR), EBADF)
					x.eq(what("close"), p.Close(t, fd), EBADF)
					_, err = p.Dup(t, fd)
					x.eq(what("dup"), err, EBADF)
					x.eq(what("FIONBIO"), p.SetNonblock(t, fd, true), EBADF)
					x.eq(what("FIOASYNC"), p.SetAsync(t, fd, true), EBADF)
					x.eq(what("F_SETOWN"), p.SetOwn(t, fd, 0), EBADF)
					x.eq(what("SO_LINGER"), p.SetLinger(t, fd, true, 1), EBADF)
					_, err = p.AtMark(t, fd)
					x.eq(what("SIOCATMARK"), err, EBADF)
					_, err = p.SockError(t, fd)
					x.eq(what("SO_ERROR"), err, EBADF)
					r, err := p.Poll(t, fd, POLLIN|POLLOUT, true)
					x.eq(what("poll"), r, POLLNVAL)
					x.eq(what("poll err"), err, OK)
				}
				fd, _ := p.Socket(t, TCP)
				_, err = p.Recv(t, fd, -1, 0)
				x.eq("recv of a negative length", err, EINVAL)
				_, _, err = p.RecvFrom(t, fd, -5, MSG_DONTWAIT)
				x.eq("recvfrom of a negative length", err, EINVAL)
				_, err = p.Recv(t, fd, 10, 0)
				x.eq("recv on an unconnected TCP socket", err, ENOTCONN)
				_, err = p.Send(t, fd, nil, 0)
				x.eq("send on an unconnected TCP socket", err, ENOTCONN)
				_, err = p.Recv(t, fd, 1, MSG_OOB)
				x.eq("MSG_OOB recv with no urgent data", err, EINVAL)
				for _, how := range []int{7, -1, 3, 1 << 30} {
					x.eq(fmt.Sprintf("shutdown how=%d", how), p.Shutdown(t, fd, how), EINVAL)
				}
				x.eq("SO_LINGER -1", p.SetLinger(t, fd, true, -1), EINVAL)
				x.eq("SO_LINGER huge", p.SetLinger(t, fd, true, 1<<40), EINVAL)
				x.eq("F_SETOWN -5", p.SetOwn(t, fd, -5), EINVAL)
				x.eq("F_SETOWN 9999", p.SetOwn(t, fd, 9999), EINVAL)
				x.eq("F_SETOWN -1 (none)", p.SetOwn(t, fd, -1), OK)
				x.eq("interrupt nil", p.Interrupt(t, nil), EINVAL)
				x.eq("bind", p.Bind(t, fd, 70), OK)
				x.eq("bind twice", p.Bind(t, fd, 71), EINVAL)
				other, _ := p.Socket(t, TCP)
				x.eq("bind a port in use", p.Bind(t, other, 70), EADDRINUSE)
				x.eq("listen with a negative backlog", p.Listen(t, fd, -5), OK)
				x.eq("negative backlog: somaxconn", sockOf(p, fd).Snapshot().Qlimit, somaxconn)
				x.eq("listen with an absurd backlog", p.Listen(t, other, 1<<40), OK)
				x.eq("absurd backlog: somaxconn", sockOf(p, other).Snapshot().Qlimit, somaxconn)
				x.eq("listen again with backlog 0", p.Listen(t, other, 0), OK)
				x.eq("backlog 0", sockOf(p, other).Snapshot().Qlimit, 0)
				_, err = p.Send(t, fd, []byte("x"), 0)
				x.eq("send on a listener", err, ENOTCONN)
				d, err := p.Dup(t, fd)
				x.eq("dup", err, OK)
				x.eq("close the dup", p.Close(t, d), OK)
				x.eq("listener survives its dup's close", sockOf(p, fd).Snapshot().Listen, true)
				x.eq("close", p.Close(t, fd), OK)
				x.eq("close other", p.Close(t, other), OK)
				x.eq("no descriptors left", len(p.st.OpenFds()), 0)
			}}, nil
		}},
	})
}
