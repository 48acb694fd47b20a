package bsd

import (
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// Config parameterizes a stack.
type Config struct {
	// CPUs is the number of protocol threads (netisr), 1 to 4; 0 means 1.
	CPUs int
	// Observer receives the stack's events; nil for none.
	Observer Observer
	// Faults switches on faults of the catalog; the zero value is the correct stack.
	Faults Faults
}

// Buffer sizes, DragonFly's defaults (tcp_sendspace, tcp_recvspace, udp_sendspace,
// udp_recvspace).
const (
	tcpSendSpace = 32768
	tcpRecvSpace = 65536
	udpSendSpace = 9216
	udpRecvSpace = 42080
)

// Stack is one instance of the model socket stack, living in one execution.
type Stack struct {
	e      *sched.Exec
	cfg    Config
	faults Faults
	obs    Observer

	netisrs  []*netisr
	socks    []*Socket // every socket ever allocated, in creation order; guarded by socklist
	socklist *sched.Mutex
	files    fileTable
	procs    []*Proc

	// The protocol tables (in_pcb hash tables), guarded by tables. Plain Go maps: they are the
	// model's bookkeeping, not fields whose races the fuzzer hunts.
	tables    *sched.Mutex
	conns     map[fourTuple]*Socket
	listeners map[uint16]*Socket
	udpPorts  map[uint16]*Socket
	bound     map[uint16]int // TCP local port -> number of pcbs using it
	nextPort  uint16
	nextISS   atomic.Uint32 // bookkeeping shared by the protocol threads

	wire *wire

	nlive  *sched.Word      // sockets allocated and not freed
	freedQ *sched.WaitQueue // woken by every sofree, for Teardown
}

// netisrNames names the protocol threads, without a Sprintf per thread per execution.
var netisrNames = [4]string{"netisr0", "netisr1", "netisr2", "netisr3"}

// New builds a stack in execution e and starts its protocol threads and wire thread.
func New(e *sched.Exec, cfg Config) *Stack {
	if cfg.CPUs < 1 {
		cfg.CPUs = 1
	}
	if cfg.CPUs > 4 {
		cfg.CPUs = 4
	}
	st := &Stack{
		e: e, cfg: cfg, faults: cfg.Faults, obs: cfg.Observer,
		tables:    e.NewQuietMutex("tcbinfo"),
		socklist:  e.NewQuietMutex("socklist"),
		conns:     make(map[fourTuple]*Socket),
		listeners: make(map[uint16]*Socket),
		udpPorts:  make(map[uint16]*Socket),
		bound:     make(map[uint16]int),
		nextPort:  49152,
		nlive:     e.NewWord("nsockets", nil),
		freedQ:    e.NewWaitQueue("sofree"),
	}
	st.files.mu = e.NewQuietMutex("fdtable")
	st.nextISS.Store(0x1000)
	for i := 0; i < cfg.CPUs; i++ {
		n := &netisr{st: st, idx: i}
		n.t = e.Go(netisrNames[i], n.loop)
		n.port = e.NewPort(netisrNames[i], n.t)
		st.netisrs = append(st.netisrs, n)
	}
	st.wire = newWire(st)
	return st
}

// Exec returns the stack's execution.
func (st *Stack) Exec() *sched.Exec { return st.e }

// CPUs returns the number of protocol threads.
func (st *Stack) CPUs() int { return len(st.netisrs) }

// Sockets returns every socket allocated so far, in creation order.
func (st *Stack) Sockets() []*Socket { return st.socks }

// ProtocolThreads returns the netisr threads, the wire and peer threads: the stack's own
// threads, which are legitimately blocked when idle.
func (st *Stack) ProtocolThreads() []*sched.Thread {
	var ts []*sched.Thread
	for _, n := range st.netisrs {
		ts = append(ts, n.t)
	}
	return append(ts, st.wire.t)
}

// assert is KKASSERT: a violated kernel invariant panics with the kernel's message.
func assert(cond bool, msg string) {
	if !cond {
		panic(msg)
	}
}

// iss returns the next initial send sequence number: deterministic per execution.
func (st *Stack) iss() uint32 {
	return st.nextISS.Add(0x10000)
}
