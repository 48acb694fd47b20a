package netstack

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
	"github.com/sockfuzz/sockfuzz/stack/sched"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	gstack "gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// TwoMSL is the TIME-WAIT timeout the instance sets, in ticks (ms): short, because in Free mode
// a `tick 2msl` is real time.
const TwoMSL sched.Duration = 100

// bufSize is the send and receive buffer size of every socket, so that payloads of the program
// language (at most 64 KiB) can fill a buffer and block a writer.
const bufSize = 8 << 10

// linkQueue is the NIC's outbound queue length. At most one frame per thread writing at once
// is ever in it: far below it, so that no frame is dropped for space.
const linkQueue = 64

// nicID is the one NIC's id.
const nicID = 1

// foreignGrace is how long a Free execution waits, once every thread is blocked, for a wakeup
// from gVisor's own goroutines before it calls itself quiescent.
const foreignGrace = 20 * time.Millisecond

// idleHorizon is how long, in virtual time, timers alone may keep an execution going while
// every thread of the program is blocked and none has made progress: then the clock is held,
// and the execution stops quiescent with its threads blocked (judged by their wake
// conditions, then interrupted). TCP probes a zero window for ever, as Linux does, so a sender
// blocked on a peer that never reads would otherwise run into the step budget, a livelock
// report for a legitimate block. Two hours is beyond every finite TCP timer (retransmissions
// give up after about 15 minutes) and the longest scripted tick.
const idleHorizon sched.Duration = 2 * 60 * 60 * 1000

// settleBound bounds the settling of timers at teardown (Controlled), in ticks: an hour of
// virtual time. A connection whose scripted peer never answers retransmits for about 15
// minutes before it gives up (the default 15 retries, RTO capped at 2 minutes), as Linux's
// tcp_retries2 does.
const settleBound sched.Duration = 60 * 60 * 1000

// instance is netstack in one execution.
type instance struct {
	e     *sched.Exec
	cfg   stack.Config
	rep   *oracle.Reporter
	clock *clock
	rng   *rng
	s     *gstack.Stack
	link  *channel.Endpoint
	w     *wire
	files fileTable
	procs []*proc
	socks []*socket  // every socket made, in creation order
	qmu   sync.Mutex // guards making a socket's wait queues (socket.queue)
	ora   []oracle.Oracle
	torn  bool // Teardown ran
	// closed tells that the wire script's stackclose closed the stack: no socket can be made
	// any more (Socket answers errClosedStack).
	closed atomic.Bool
	// destroyed tells that Teardown destroyed the stack and checked it: the end oracles may
	// look at what it left.
	destroyed bool

	progressAt sched.Duration // virtual time of the program's last progress (Controlled)
	held       bool           // the clock is held: idleHorizon passed with no progress
}

// progress notes that a thread of the program made progress (a call began or woke, a tick).
// Only Controlled executions watch it: Free ones have real time and threads in parallel.
func (in *instance) progress() {
	if !in.clock.free {
		in.progressAt = in.e.Now()
	}
}

// timerFired runs as each of gVisor's timers fires (Controlled): when timers alone have run for
// longer than idleHorizon, it holds the clock. Timers may fire while threads can run (the
// chooser picks the clock among them), so the watch is at the firing, not at idle points.
func (in *instance) timerFired() {
	if !in.held && in.e.Now()-in.progressAt > idleHorizon {
		in.e.HoldClock(true)
		in.held = true
	}
}

func localAddr() tcpip.Address { return addrFrom(stack.LocalIP) }

func addrFrom(ip uint32) tcpip.Address {
	return tcpip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
}

func ipOf(a tcpip.Address) uint32 {
	if a.Len() != 4 {
		return 0
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// newInstance builds the stack of one execution (docs/netstack-design.md §3.1).
func newInstance(e *sched.Exec, cfg stack.Config) (*instance, error) {
	silenceGVisorLog()
	if err := setFaults(cfg.Faults); err != nil {
		return nil, err
	}
	in := &instance{e: e, cfg: cfg, rep: cfg.Reporter, clock: newClock(e), rng: newRNG()}
	startLeakCheck(in)
	trackEndpoints(true)
	if e.Mode() == sched.Controlled {
		if err := startControlled(in); err != nil {
			dropGlobals()
			return nil, err
		}
	} else {
		e.ForeignGrace(foreignGrace)
	}
	in.files.mu = e.NewQuietMutex("netstack.files")
	in.s = gstack.New(gstack.Options{
		NetworkProtocols:   []gstack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []gstack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
		Clock:              in.clock,
		SecureRNG:          in.rng,
		RandSource:         in.rng,
		// Packets between the program's own sockets leave through the NIC and cross the wire.
		HandleLocal: false,
	})
	// The wire drains the queue in the write's own notification (wire.WriteNotify): it never
	// holds more frames than there are writers at once, and a longer queue only costs memory.
	in.link = channel.New(linkQueue, 1500, "")
	in.w = newWire(in)
	in.link.AddNotify(in.w)
	if err := in.setup(); err != nil {
		in.s.Destroy()
		stopControlled(in)
		dropGlobals()
		return nil, err
	}
	in.w.th = e.Go(wireThread, in.w.run)
	if e.Mode() == sched.Controlled {
		in.clock.onFire = in.timerFired
	}
	if in.rep != nil {
		in.ora = []oracle.Oracle{nsOracle{in}}
	}
	return in, nil
}

// setup makes the NIC, its address and route, and the transport options.
func (in *instance) setup() error {
	s := in.s
	if err := s.CreateNIC(nicID, in.link); err != nil {
		return fmt.Errorf("netstack: CreateNIC: %v", err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: localAddr(), PrefixLen: 8}}
	if err := s.AddProtocolAddress(nicID, pa, gstack.AddressProperties{}); err != nil {
		return fmt.Errorf("netstack: AddProtocolAddress: %v", err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: nicID}})
	tw := tcpip.TCPTimeWaitTimeoutOption(time.Duration(TwoMSL) * tick)
	lg := tcpip.TCPLingerTimeoutOption(time.Duration(TwoMSL) * tick)
	snd := tcpip.TCPSendBufferSizeRangeOption{Min: 4096, Default: bufSize, Max: 4 * bufSize}
	rcv := tcpip.TCPReceiveBufferSizeRangeOption{Min: 4096, Default: bufSize, Max: 4 * bufSize}
	mod := tcpip.TCPModerateReceiveBufferOption(false)
	for _, o := range []tcpip.SettableTransportProtocolOption{&tw, &lg, &snd, &rcv, &mod} {
		if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, o); err != nil {
			return fmt.Errorf("netstack: tcp option %T: %v", o, err)
		}
	}
	return nil
}

// report files an adapter or settled-state report.
func (in *instance) report(t *sched.Thread, oracleName, title, detail string) {
	if in.rep == nil {
		return
	}
	id := sched.ID(-1)
	if t != nil {
		id = t.ID()
	}
	in.rep.Report(oracleName, title, detail, id, in.e.Steps())
}

func (in *instance) NewProc(name string, th *sched.Thread) stack.Proc {
	p := &proc{in: in, pid: len(in.procs), name: name, t: th}
	in.procs = append(in.procs, p)
	return p
}

func (in *instance) Inject(t *sched.Thread, seg stack.Segment) { in.w.inject(t, seg) }
func (in *instance) WireDrop(t *sched.Thread)                  { in.w.drop() }
func (in *instance) WireDup(t *sched.Thread)                   { in.w.dup() }
func (in *instance) WireReorder(t *sched.Thread)               { in.w.reorder() }
func (in *instance) TwoMSL() sched.Duration                    { return TwoMSL }
func (in *instance) Oracles() []oracle.Oracle                  { return in.ora }

// WireUnreach implements stack.WireICMP (wire.unreach).
func (in *instance) WireUnreach(t *sched.Thread) { in.w.unreach(t) }

// errClosedStack is what socket answers once stackclose closed the stack: EAFNOSUPPORT, what
// gVisor's sentry answers a socket(AF_INET) when no network stack serves the family (its inet
// provider returns no socket, pkg/sentry/socket/netstack/provider.go Socket, and socket.New
// then fails with ErrAddressFamilyNotSupported, pkg/sentry/socket/socket.go). gVisor itself
// would hand out an endpoint of the closed stack that nothing ever aborts.
const errClosedStack = stack.EAFNOSUPPORT

// StackClose implements stack.StackCloser: gVisor's Stack.Close on the wire script's thread,
// while the program runs. It aborts every registered endpoint (a blocked reader or writer is
// notified and returns the endpoint's error) and stops the TCP processors. Afterwards:
//   - calls on the program's descriptors reach their endpoints as before and get gVisor's
//     answers for an aborted endpoint (the hard error once, then end of file, EPIPE,
//     ENOTCONN, EINVAL...); an endpoint that was never registered (made, or only bound) was
//     not aborted and still works, as in gVisor;
//   - socket fails with errClosedStack;
//   - the wire delivers nothing more to netstack: Stack.Close released IPv4's reassembly
//     state (ipv4 protocol.Close, Fragmentation.Release leaves its map nil, which the next
//     fragment would write to), and gVisor's own users destroy a stack they closed rather than
//     feed it. Frames netstack still sends reach the peer.
//
// Teardown closes the stack again, which gVisor allows: the second Close aborts what was
// registered since (a listen or connect after stackclose) and finds the processors gone.
func (in *instance) StackClose(t *sched.Thread) {
	in.progress()
	in.closed.Store(true)
	in.w.mu.Lock()
	in.w.closed = true
	in.w.mu.Unlock()
	in.s.Close()
	in.progress()
}

// freeTickCap bounds a tick in Free mode, where it is real time: long enough for netstack's
// first retransmission (an RTO of one second), short enough that a script's `tick 600000`
// does not stall a test.
const freeTickCap = time.Second

// Tick advances time by d: virtual time in Controlled mode; in Free mode netstack's clock is
// real, so the script's thread sleeps for real, at most freeTickCap.
func (in *instance) Tick(t *sched.Thread, d sched.Duration) {
	if d <= 0 {
		return
	}
	if in.clock.free {
		time.Sleep(min(time.Duration(d)*tick, freeTickCap))
		return
	}
	in.progress()
	_ = in.e.NewWaitQueue("tick").SleepTimeout(t, nil, 0, d)
	in.progress()
}

// Teardown implements stack.Instance (docs/netstack-design.md §3.7): close what the program
// left open, let the timers run out (Controlled), destroy the stack, check what it left, stop
// the wire.
func (in *instance) Teardown(t *sched.Thread) {
	in.torn = true
	if in.held { // the settling below needs time to pass again
		in.e.HoldClock(false)
		in.held = false
	}
	in.progress()
	in.closeAll(t)
	if !in.clock.free {
		in.settle(t)
	}
	// Destroy, with the join that makes its Wait return at once in Controlled mode: gVisor's
	// goroutines are threads there, and a WaitGroup wait on a running one would hang.
	in.s.Close()
	joinGVisor(t)
	in.s.Wait()
	if in.clock.free {
		in.clock.stopFree()
	} else {
		in.clock.joinFunctions(t) // those Close's aborts fired
	}
	in.checkSettled(t)
	in.w.stop(t)
	in.destroyed = true
}

// settle sleeps until the clock has no armed timer left, up to settleBound (Controlled).
func (in *instance) settle(t *sched.Thread) {
	q := in.e.NewWaitQueue("settle")
	limit := in.e.Now() + settleBound
	for {
		in.clock.joinFunctions(t)
		when, ok := in.clock.nextDeadline()
		if !ok {
			return
		}
		if when > limit {
			in.report(t, "leak", "netstack: timers never settle", fmt.Sprintf("a timer armed for tick %d", when))
			return
		}
		d := max(when-in.e.Now(), 1)
		if err := q.SleepTimeout(t, nil, 0, d); err != nil && err != sched.ErrTimedOut {
			return
		}
	}
}

// checkSettled is the leak oracle after the stack's Destroy: no endpoint registered or waiting
// for cleanup, no connection counted as established or connected.
func (in *instance) checkSettled(t *sched.Thread) {
	if in.rep == nil {
		return
	}
	if n := len(in.s.RegisteredEndpoints()); n > 0 {
		in.report(t, "leak", "netstack: endpoint registered after teardown", fmt.Sprintf("%d endpoints", n))
	}
	if n := len(in.s.CleanupEndpoints()); n > 0 {
		in.report(t, "leak", "netstack: endpoint awaiting cleanup after teardown", fmt.Sprintf("%d endpoints", n))
	}
	st := in.s.Stats().TCP
	if n := st.CurrentEstablished.Value(); n != 0 {
		in.report(t, "leak", "netstack: CurrentEstablished not zero after teardown", fmt.Sprintf("CurrentEstablished %d", n))
	}
	if n := st.CurrentConnected.Value(); n != 0 {
		in.report(t, "leak", "netstack: CurrentConnected not zero after teardown", fmt.Sprintf("CurrentConnected %d", n))
	}
	if n := in.s.Stats().NICs.TxPacketsDroppedNoBufferSpace.Value(); n != 0 {
		// linkQueue's bound was wrong: the wire lost frames no program asked to drop.
		in.report(t, "adapter", "netstack: NIC queue overflowed", fmt.Sprintf("%d frames dropped for space (queue of %d)", n, linkQueue))
	}
}

// Release implements stack.Instance: the process may start the next netstack execution.
func (in *instance) Release() {
	if !in.torn && in.clock.free {
		// The execution stopped before its reaper tore the stack down (a panic, a budget):
		// gVisor's goroutines must not outlive it.
		in.s.Destroy()
		in.clock.stopFree()
	}
	// In Controlled mode an execution that stopped early has unwound every thread, gVisor's
	// included, some of them holding gVisor's locks: the stack cannot be closed any more, and
	// nothing of it runs. It is dropped.
	stopControlled(in)
	dropGlobals()
	*in = instance{}
	netstackMu.Unlock()
}
