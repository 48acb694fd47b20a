package sched

// Toy programs shared by the tests: small concurrent programs that use every primitive.

// toyWorkload builds an execution of four threads that use mutexes, wait queues with
// interlocks and timeouts, ports with Call and Send, atomic and plain words, timers and an
// interrupt, so that a schedule has many decisions to make.
//
// With racy set the server increments the counter without its lock: a race the detector
// reports in Controlled mode (and go test -race in Free mode, so Free tests leave it off).
func toyWorkload(cfg Config, racy bool) (*Exec, *Word) {
	e := New(cfg)
	m := e.NewMutex("m")
	counter := e.NewWord("counter", m)
	flags := e.NewWord("flags", nil)
	data := e.NewWord("data", nil)
	q := e.NewWaitQueue("q")
	var port *Port
	server := e.Go("server", func(t *Thread) {
		for i := 0; i < 5; i++ {
			msg, err := port.Recv(t)
			if err != nil {
				return
			}
			if racy {
				counter.Add(t, "server", 1)
			} else {
				m.Lock(t)
				counter.Add(t, "server", 1)
				m.Unlock(t)
			}
			_ = port.Reply(t, msg, msg.Body.(int)*2, nil)
		}
	})
	port = e.NewPort("netisr0", server)
	tm := e.NewTimer("tick", func(t *Thread) {
		flags.AtomicOr(t, "tick", 4)
		q.WakeAll(t)
	})
	e.Go("client", func(t *Thread) {
		for i := 0; i < 2; i++ {
			_ = port.Call(t, &Msg{Body: i})
			m.Lock(t)
			counter.Add(t, "client", 1)
			m.Unlock(t)
		}
		_ = port.Send(t, &Msg{Body: 7})
		_ = tm.Reset(t, 5)
	})
	sleeper := e.Go("sleeper", func(t *Thread) {
		for flags.AtomicLoad(t, "sleeper")&4 == 0 {
			q.Interlock(t)
			if flags.AtomicLoad(t, "sleeper-recheck")&4 != 0 {
				break
			}
			if err := q.SleepTimeout(t, func() bool { return flags.Peek()&4 != 0 }, Interruptible|Interlocked, 20); err != nil {
				data.Store(t, "sleeper-err", 1)
			}
		}
		data.AtomicAdd(t, "sleeper-done", 10)
	})
	e.Go("poker", func(t *Thread) {
		t.Yield("poke")
		_ = e.Interrupt(t, sleeper)
		_ = port.Call(t, &Msg{Body: 3})
		child := t.Go("child", func(c *Thread) {
			flags.AtomicOr(c, "child", 1)
			_ = port.Send(c, &Msg{Body: 9})
		})
		_ = t.Join(child)
	})
	return e, counter
}
