package bsd

import "github.com/sockfuzz/sockfuzz/stack/sched"

// SetNonblock is ioctl FIONBIO.
func (p *Proc) SetNonblock(t *sched.Thread, fd int, on bool) Errno {
	f, err := p.st.getfile(t, fd)
	if err != OK {
		return err
	}
	defer p.st.fdrop(t, f)
	f.nonblock.Store(on)
	return OK
}

// SetAsync is ioctl FIOASYNC (soo_ioctl): SS_ASYNC set or cleared atomically.
func (p *Proc) SetAsync(t *sched.Thread, fd int, on bool) Errno {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer p.st.fdrop(t, f)
	so.asyncLock.Lock(t)
	defer func() { so.asyncLock.Unlock(t) }()
	f.async.Store(on)
	arg := 0
	if !on {
		// The owner's intent changes before the bit does: an observer must not see SS_ASYNC
		// clear while FIOASYNC still counts as set (and, turning it on, the bit is set first).
		p.st.observe(t, ObsEvent{Kind: ObsAsyncSet, Sock: so.id, Head: -1, Arg: 0, Proc: p.pid, Site: "soo_ioctl"})
	}
	if st := p.st; st.faults.Has(FaultFIOASYNCRMW) {
		// A plain read-modify-write of so_state, racing the protocol thread's atomic ones.
		old := so.state.Load(t, "soo_ioctl:FIOASYNC")
		nw := old &^ SS_ASYNC
		if on {
			nw = old | SS_ASYNC
		}
		so.state.Store(t, "soo_ioctl:FIOASYNC", nw)
		st.observe(t, ObsEvent{Kind: ObsState, Sock: so.id, Head: -1, Old: old, New: nw, Proc: -1, Site: "soo_ioctl:FIOASYNC"})
	}
	if on {
		arg = 1
		if !p.st.faults.Has(FaultFIOASYNCRMW) {
			so.sosetstate(t, "soo_ioctl:FIOASYNC", SS_ASYNC)
		}
		so.rcv.flags.AtomicOr(t, "soo_ioctl:FIOASYNC", SSB_ASYNC)
		so.snd.flags.AtomicOr(t, "soo_ioctl:FIOASYNC", SSB_ASYNC)
	} else {
		if !p.st.faults.Has(FaultFIOASYNCRMW) {
			so.soclrstate(t, "soo_ioctl:FIOASYNC", SS_ASYNC)
		}
		so.rcv.flags.AtomicAndNot(t, "soo_ioctl:FIOASYNC", SSB_ASYNC)
		so.snd.flags.AtomicAndNot(t, "soo_ioctl:FIOASYNC", SSB_ASYNC)
	}
	if on {
		p.st.observe(t, ObsEvent{Kind: ObsAsyncSet, Sock: so.id, Head: -1, Arg: arg, Proc: p.pid, Site: "soo_ioctl"})
	}
	return OK
}

// SetOwn is fcntl F_SETOWN: the process that gets SIGIO (fsetown); -1 for none.
func (p *Proc) SetOwn(t *sched.Thread, fd, pid int) Errno {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return err
	}
	defer p.st.fdrop(t, f)
	if pid < -1 || pid >= len(p.st.procs) {
		return EINVAL
	}
	so.sigio.AtomicStore(t, "fsetown", uint64(pid+1))
	p.st.observe(t, ObsEvent{Kind: ObsSetOwn, Sock: so.id, Head: -1, Arg: pid, Proc: p.pid, Site: "fsetown"})
	return OK
}

// AtMark is ioctl SIOCATMARK.
func (p *Proc) AtMark(t *sched.Thread, fd int) (bool, Errno) {
	f, so, err := p.st.sockfile(t, fd)
	if err != OK {
		return false, err
	}
	defer p.st.fdrop(t, f)
	return so.getstate(t, "SIOCATMARK")&SS_RCVATMARK != 0, OK
}

// Poll is poll(2) on one descriptor (sopoll); with wait it blocks until an event.
func (p *Proc) Poll(t *sched.Thread, fd, events int, wait bool) (int, Errno) {
	st := p.st
	f, so, err := st.sockfile(t, fd)
	if err != OK {
		return POLLNVAL, OK
	}
	defer st.fdrop(t, f)
	defer t.ClearSignal()
	for {
		if r := st.sopoll(so, events); r != 0 || !wait {
			return r, OK
		}
		so.sel.Interlock(t)
		if r := st.sopoll(so, events); r != 0 {
			return r, OK
		}
		if e := so.sel.Sleep(t, func() bool { return st.sopoll(so, events) != 0 }, sched.Interruptible|sched.Interlocked); e != nil {
			return 0, EINTR
		}
	}
}
