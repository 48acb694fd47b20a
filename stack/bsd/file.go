package bsd

import (
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack/sched"
)

// file is struct file for a socket: shared by the descriptors dup made, with its own flags.
type file struct {
	so       *Socket
	refs     int         // descriptors referring to it, and system calls holding it (f_count)
	fds      int         // descriptors referring to it
	closed   bool        // soclose already ran (FaultSocloseKeepsFD)
	nonblock atomic.Bool // FNONBLOCK (FIONBIO); f_flag changes atomically
	async    atomic.Bool // FASYNC (FIOASYNC)
}

// fileTable is the descriptor table the processes of a program share (a filedesc with its
// spinlock), so that one process can close what another uses.
type fileTable struct {
	mu  *sched.Mutex
	fds []*file
}

// maxFiles bounds the descriptor table (EMFILE beyond).
const maxFiles = 256

// Proc is a process of the program: it makes system calls on its own thread and may own
// sockets' SIGIO.
type Proc struct {
	st     *Stack
	pid    int
	name   string
	t      *sched.Thread
	sigios *sched.Word // SIGIOs delivered to this process
}

// NewProc registers a process named name that runs on thread t.
func (st *Stack) NewProc(name string, t *sched.Thread) *Proc {
	p := &Proc{st: st, pid: len(st.procs), name: name, t: t}
	p.sigios = st.e.NewWord(name+".sigio", nil)
	st.procs = append(st.procs, p)
	return p
}

// PID returns the process id.
func (p *Proc) PID() int { return p.pid }

// Sigios returns the number of SIGIOs delivered to the process.
func (p *Proc) Sigios() int { return int(p.sigios.Peek()) }

// pgsigio delivers SIGIO to process pid (pgsigio).
func (st *Stack) pgsigio(t *sched.Thread, so *Socket, pid int) {
	if pid < 0 || pid >= len(st.procs) {
		return
	}
	st.procs[pid].sigios.AtomicAdd(t, "pgsigio", 1)
	st.observe(t, ObsEvent{Kind: ObsSigio, Sock: so.id, Head: -1, Arg: pid, Proc: pid, Site: "pgsigio"})
}

// install puts f at the lowest free descriptor (fdalloc).
func (st *Stack) install(t *sched.Thread, f *file) (int, Errno) {
	ft := &st.files
	ft.mu.Lock(t)
	defer func() { ft.mu.Unlock(t) }()
	fd := -1
	for i, x := range ft.fds {
		if x == nil {
			fd = i
			break
		}
	}
	if fd < 0 {
		if len(ft.fds) >= maxFiles {
			return -1, EMFILE
		}
		fd = len(ft.fds)
		ft.fds = append(ft.fds, nil)
	}
	ft.fds[fd] = f
	f.refs++
	f.fds++
	st.observe(t, ObsEvent{Kind: ObsFdInstall, Sock: f.so.id, Head: -1, Arg: fd, Proc: -1, Site: "fdalloc"})
	return fd, OK
}

// getfile returns the file behind fd with a reference for the system call (holdfp): a close
// of fd by another process meanwhile does not close the socket under the call; the call's
// fdrop does, if it is the last reference.
func (st *Stack) getfile(t *sched.Thread, fd int) (*file, Errno) {
	ft := &st.files
	ft.mu.Lock(t)
	defer func() { ft.mu.Unlock(t) }()
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
		return nil, EBADF
	}
	f := ft.fds[fd]
	f.refs++
	return f, OK
}

// fdrop releases a system call's reference; the last reference closes the socket (closef).
func (st *Stack) fdrop(t *sched.Thread, f *file) {
	ft := &st.files
	ft.mu.Lock(t)
	f.refs--
	last := f.refs == 0 && !f.closed
	ft.mu.Unlock(t)
	if last {
		st.soclose(t, f.so)
	}
}

// remove takes fd out of the table and returns its file if that was the last descriptor.
func (st *Stack) remove(t *sched.Thread, fd int) (*file, bool, Errno) {
	ft := &st.files
	ft.mu.Lock(t)
	defer func() { ft.mu.Unlock(t) }()
	if fd < 0 || fd >= len(ft.fds) || ft.fds[fd] == nil {
		return nil, false, EBADF
	}
	f := ft.fds[fd]
	ft.fds[fd] = nil
	f.refs--
	f.fds--
	st.observe(t, ObsEvent{Kind: ObsFdClose, Sock: f.so.id, Head: -1, Arg: fd, Proc: -1, Site: "fdfree"})
	if st.faults.Has(FaultSocloseKeepsFD) && f.fds == 0 && !f.closed {
		// The 2008 mail's soo_close note: the socket is closed with the last descriptor,
		// while a system call still holding the file keeps using it.
		f.closed = true
		return f, true, OK
	}
	return f, f.refs == 0, OK
}

// OpenFds returns the open descriptors in increasing order.
func (st *Stack) OpenFds() []int {
	var out []int
	for fd, f := range st.files.fds {
		if f != nil {
			out = append(out, fd)
		}
	}
	return out
}

// Close is close(2): the descriptor goes; the last one closes the socket.
func (p *Proc) Close(t *sched.Thread, fd int) Errno {
	st := p.st
	f, last, err := st.remove(t, fd)
	if err != OK {
		return err
	}
	defer t.ClearSignal()
	if last {
		st.soclose(t, f.so)
	}
	return OK
}

// Dup is dup(2).
func (p *Proc) Dup(t *sched.Thread, fd int) (int, Errno) {
	f, err := p.st.getfile(t, fd)
	if err != OK {
		return -1, err
	}
	defer p.st.fdrop(t, f)
	return p.st.install(t, f)
}

// Interrupt signals process target: its blocking system call returns EINTR.
func (p *Proc) Interrupt(t *sched.Thread, target *Proc) Errno {
	if target == nil || target.t == nil {
		return EINVAL
	}
	if err := p.st.e.Interrupt(t, target.t); err != nil {
		return EINVAL
	}
	return OK
}
