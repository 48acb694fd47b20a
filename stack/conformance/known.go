package conformance

import "fmt"

// The known deviations of netstack from Linux, as rules over a differential run: each rule
// is one deviation of docs/conformance-netstack.md (D1.. differences, F1.. findings), keyed by
// its ID, generalised from the scenario steps that record it to any program, and strict: it
// explains only the exact shape of difference its deviation documents, on the operation and
// in the socket state the deviation names. A difference no rule explains is a finding.

// Rule explains one kind of difference between Linux's and netstack's answers.
type Rule struct {
	ID    string        // the deviation's ID in docs/conformance-netstack.md ("D1")
	Kind  DeviationKind // difference or finding, as the document classifies it
	Title string        // the document's heading, without the ID
	// ops are the operations the rule looks at; nil is every operation.
	ops []Op
	// explain returns "" when the rule explains the difference at call c, or why not.
	explain func(h *history, c Compared) string
}

// looksAt reports whether the rule considers an operation.
func (r Rule) looksAt(op Op) bool {
	if r.ops == nil {
		return true
	}
	for _, o := range r.ops {
		if o == op {
			return true
		}
	}
	return false
}

// Rules returns the known deviations, in the document's order of IDs.
func Rules() []Rule { return rules }

var rules = []Rule{
	{ID: "D1", Kind: Difference, Title: "no urgent data", ops: []Op{OpRecv, OpRecvFrom, OpPoll}, explain: explainNoUrgent},
	{ID: "D2", Kind: Difference, Title: "no SIOCATMARK", ops: []Op{OpAtMark}, explain: explainNoAtMark},
	{ID: "D3", Kind: Difference, Title: "a fresh socket polls HUP only", ops: []Op{OpPoll}, explain: explainFreshHup},
	{ID: "D4", Kind: Difference, Title: "POLLERR in every closed state", ops: []Op{OpPoll}, explain: explainClosedReady},
	{ID: "D5", Kind: Difference, Title: "MSG_OOB on a UDP send is ignored", ops: []Op{OpSend, OpSendTo, OpRecv, OpRecvFrom, OpPoll}, explain: explainUDPSendOOB},
	{ID: "F1", Kind: Finding, Title: "a refused connect reports its error twice", ops: []Op{OpGetSockError}, explain: explainErrorTwice},
	{ID: "F2", Kind: Finding, Title: "connect on a listener answers EINVAL", ops: []Op{OpConnect}, explain: explainConnectListener},
	{ID: "F3", Kind: Finding, Title: "a reset in CLOSE-WAIT leaves EPIPE pending", ops: []Op{OpGetSockError}, explain: explainResetCloseWait},
	{ID: "F4", Kind: Finding, Title: "a lingering close waits out FIN-WAIT-2", ops: []Op{OpClose}, explain: explainLingerClose},
	{ID: "F5", Kind: Finding, Title: "a refused connect leaves the socket in error for good", ops: []Op{OpBind, OpConnect, OpRecv, OpRecvFrom}, explain: explainRefusedForGood},
	{ID: "F6", Kind: Finding, Title: "a failed SHUT_RD is recorded but not reported", ops: []Op{OpPoll, OpRecv, OpRecvFrom}, explain: explainShutRDUnconnected},
}

// classify sets the Rule, or the Refused reasons, of every differing call of the report.
func classify(r *DiffReport) {
	h := newHistory(r)
	for i := range r.Calls {
		c := &r.Calls[i]
		op := r.Steps[c.Step].Op
		if c.Differs(op) {
			c.Rule, c.Refused = h.verdict(*c)
		}
		h.record(i)
	}
}

// verdict returns the first rule that explains the differing call, or every refusal.
func (h *history) verdict(c Compared) (string, []string) {
	var refused []string
	for _, rule := range rules {
		if !rule.looksAt(h.r.Steps[c.Step].Op) {
			continue
		}
		why := rule.explain(h, c)
		if why == "" {
			return rule.ID, nil
		}
		refused = append(refused, rule.ID+": "+why)
	}
	return "", refused
}

// history is what the rules know of the run before the call they judge: which socket each
// slot names (the step that created it; a dup names its original's), the socket's protocol
// and the calls made on it, and the rules already applied.
type history struct {
	r     *DiffReport
	slot  map[Slot]int    // slot -> socket: the index of the call that created it
	proto map[int]Proto   // socket -> protocol
	calls map[int][]int   // socket -> the indexes of the calls made on it, in order
	used  map[string]bool // "F1/<socket>": a one-shot rule already applied since its cause
	// urgent: the TCP streams differ by urgent data: a send with MSG_OOB succeeded on Linux,
	// which sent urgent data, or a MSG_OOB read explained by D1 read normal data on netstack.
	urgent bool
	// udpOOB: D5 explained a UDP send that netstack made and Linux refused.
	udpOOB bool
}

func newHistory(r *DiffReport) *history {
	return &history{r: r, slot: map[Slot]int{}, proto: map[int]Proto{}, calls: map[int][]int{}, used: map[string]bool{}}
}

// socket returns the socket the call's descriptor slot names, -1 if none.
func (h *history) socket(c Compared) int {
	st := h.r.Steps[c.Step]
	if st.FD == BadFD || st.Op == OpSocket || st.Op == OpOpenFile {
		return -1 // no descriptor argument
	}
	if s, ok := h.slot[st.FD]; ok {
		return s
	}
	return -1
}

// protoOf is the protocol of the call's socket, 0 if unknown.
func (h *history) protoOf(c Compared) Proto {
	if s := h.socket(c); s >= 0 {
		return h.proto[s]
	}
	return 0
}

// before returns the calls made on the call's socket before it.
func (h *history) before(c Compared) []Compared {
	s := h.socket(c)
	if s < 0 {
		return nil
	}
	var out []Compared
	for _, i := range h.calls[s] {
		out = append(out, h.r.Calls[i])
	}
	return out
}

// record adds call i to the history, after it was judged. Descriptors follow Linux's
// answers (a creation that differs is itself an unexplained difference).
func (h *history) record(i int) {
	c := h.r.Calls[i]
	st := h.r.Steps[c.Step]
	if s := h.socket(c); s >= 0 {
		h.calls[s] = append(h.calls[s], i)
	}
	switch {
	case st.Op.creates() && c.Linux.Err == OK:
		switch st.Op {
		case OpSocket:
			h.slot[st.Out], h.proto[i] = i, st.Proto
		case OpAccept:
			h.slot[st.Out], h.proto[i] = i, TCP
		case OpDup:
			if s := h.socket(c); s >= 0 {
				h.slot[st.Out] = s
			} else {
				delete(h.slot, st.Out)
			}
		default: // a file: no socket
			delete(h.slot, st.Out)
		}
	case st.Op.creates():
		delete(h.slot, st.Out)
	case st.Op == OpClose && c.Linux.Err == OK && st.FD != BadFD:
		delete(h.slot, st.FD)
	}
	if (st.Op == OpSend || st.Op == OpSendTo) && st.Flags&MsgOOB != 0 && h.protoOf(c) == TCP &&
		c.Linux.Err == OK && c.Linux.N > 0 {
		h.urgent = true
	}
	if c.Rule == "D1" && (st.Op == OpRecv || st.Op == OpRecvFrom) && st.Flags&MsgOOB != 0 && c.Netstack.Err == OK && len(c.Netstack.Data) > 0 {
		h.urgent = true
	}
	if c.Rule == "D5" && c.Linux.Err == EOPNOTSUPP && c.Netstack.Err == OK {
		h.udpOOB = true
	}
}

// errIn reports whether e is one of es.
func errIn(e Errno, es ...Errno) bool {
	for _, x := range es {
		if e == x {
			return true
		}
	}
	return false
}

// explainNoUrgent is D1: gVisor has no urgent data. A MSG_OOB read on a TCP socket is a
// normal read (Linux: the urgent byte, EINVAL when there is none or it was read, EWOULDBLOCK
// while it is announced but not there, ENOTCONN); a poll for POLLPRI never reports it (and
// waits forever if nothing else is ready). Once urgent data was sent in the program, it
// travels inline: a normal TCP read may return it, or more, or less than Linux's (which stops
// at the mark), and POLLIN may differ (Linux does not count a lone urgent byte as readable);
// so too once a MSG_OOB read consumed normal data on netstack.
func explainNoUrgent(h *history, c Compared) string {
	st := h.r.Steps[c.Step]
	l, n := c.Linux, c.Netstack
	switch st.Op {
	case OpRecv, OpRecvFrom:
		if h.protoOf(c) != TCP {
			return "not a TCP socket"
		}
		netstackRead := errIn(n.Err, OK, EHANG, EWOULDBLOCK, ENOTCONN, ECONNRESET)
		if st.Flags&MsgOOB != 0 {
			linuxUrgent := errIn(l.Err, EINVAL, EWOULDBLOCK, ENOTCONN) || (l.Err == OK && len(l.Data) <= 1)
			if linuxUrgent && netstackRead {
				return ""
			}
			return "the answers are not Linux's urgent read against netstack's normal read"
		}
		if !h.urgent {
			return "no urgent data was sent nor read as normal data, and the read has no MSG_OOB"
		}
		if errIn(l.Err, OK, EHANG, EWOULDBLOCK) && errIn(n.Err, OK, EHANG, EWOULDBLOCK) {
			return ""
		}
		return "after urgent data, only the data read or its absence may differ"
	case OpPoll:
		diff := PollEvents(l.N ^ n.N)
		if st.Events&PollPri != 0 && PollEvents(l.N)&PollPri != 0 && PollEvents(n.N) == PollEvents(l.N)&^PollPri {
			if l.Err == n.Err {
				return ""
			}
			if st.Wait && l.Err == OK && n.Err == EHANG && n.N == 0 {
				return ""
			}
		}
		if h.urgent && h.protoOf(c) == TCP && diff&^(st.Events&(PollIn|PollPri)) == 0 {
			if l.Err == n.Err {
				return ""
			}
			// One side waits forever where the other finds only IN (or PRI).
			hang, other := l, n
			if n.Err == EHANG {
				hang, other = n, l
			}
			if st.Wait && hang.Err == EHANG && hang.N == 0 && other.Err == OK && PollEvents(other.N)&^(PollIn|PollPri) == 0 {
				return ""
			}
		}
		return "netstack's revents are not Linux's without POLLPRI, nor (after urgent data) Linux's up to POLLIN"
	}
	return "not an urgent read or poll"
}

// enotty is Linux's ENOTTY as the host reports it (no BSD name here): the answer of an ioctl a
// socket does not know, SIOCATMARK on a UDP socket.
const enotty = UnmappedErrno + 25

// explainNoAtMark is D2: SIOCATMARK answers the adapter's EOPNOTSUPP on an open socket where
// Linux answers (TCP), or answers ENOTTY (UDP), as sentry itself would for every socket.
func explainNoAtMark(h *history, c Compared) string {
	if (c.Linux.Err == OK || c.Linux.Err == enotty) && c.Netstack.Err == EOPNOTSUPP && c.Netstack.N == 0 {
		return ""
	}
	return "not Linux's answer (or ENOTTY) against netstack's EOPNOTSUPP"
}

// explainFreshHup is D3: a TCP socket in StateInitial or StateBound (never connected nor
// listening, and shut down only by a shutdown that answered ENOTCONN) polls HUP only, where
// Linux adds POLLOUT.
func explainFreshHup(h *history, c Compared) string {
	if h.protoOf(c) != TCP {
		return "not a TCP socket"
	}
	for _, p := range h.before(c) {
		op := h.r.Steps[p.Step].Op
		if op == OpShutdown && p.Linux.Err == ENOTCONN && p.Netstack.Err == ENOTCONN {
			continue // a failed shutdown leaves the endpoint in StateInitial
		}
		if op == OpConnect || op == OpListen || op == OpShutdown {
			return fmt.Sprintf("the socket is not fresh: step %d %s", p.Step, op)
		}
	}
	if s := h.socket(c); s >= 0 && h.r.Steps[h.r.Calls[s].Step].Op != OpSocket {
		return "the socket was accepted, not created"
	}
	l, n := PollEvents(c.Linux.N), PollEvents(c.Netstack.N)
	if c.Linux.Err == OK && c.Netstack.Err == OK && l&(PollOut|PollHup) == PollOut|PollHup && n == l&^PollOut {
		return ""
	}
	return "netstack's revents are not Linux's OUT|HUP without OUT"
}

// explainClosedReady is D4: in StateClose, StateError and StateTimeWait a TCP endpoint is
// ready for every event asked for (POLLPRI too), with POLLERR and POLLHUP, whatever SO_ERROR
// holds; Linux reports POLLHUP there and a subset of the rest (POLLERR only while an error is
// pending, never POLLPRI without urgent data).
func explainClosedReady(h *history, c Compared) string {
	if h.protoOf(c) != TCP {
		return "not a TCP socket"
	}
	st := h.r.Steps[c.Step]
	l, n := PollEvents(c.Linux.N), PollEvents(c.Netstack.N)
	everything := st.Events&(PollIn|PollOut|PollPri) | PollErr | PollHup
	switch {
	case c.Linux.Err != OK || c.Netstack.Err != OK:
		return "a poll failed"
	case n != everything:
		return "netstack's revents are not every requested event with ERR and HUP"
	case l&PollHup == 0 || l&^n != 0:
		return "Linux's revents are not HUP and a subset of netstack's (a closed socket)"
	}
	return ""
}

// explainUDPSendOOB is D5: a UDP send with MSG_OOB that Linux refuses (EOPNOTSUPP) is sent by
// netstack (or fails as a send without the flag would); afterwards, a UDP read or poll may find that extra datagram on netstack only.
func explainUDPSendOOB(h *history, c Compared) string {
	if h.protoOf(c) != UDP {
		return "not a UDP socket"
	}
	st := h.r.Steps[c.Step]
	l, n := c.Linux, c.Netstack
	switch st.Op {
	case OpSend, OpSendTo:
		// Linux refuses MSG_OOB before anything else; netstack answers the send without it:
		// the whole datagram, or the error of a plain UDP send.
		plain := n.Err == OK && n.N == len(st.Data) || errIn(n.Err, EDESTADDRREQ, EPIPE, ECONNREFUSED, EMSGSIZE)
		if st.Flags&MsgOOB != 0 && l.Err == EOPNOTSUPP && plain {
			return ""
		}
		return "not Linux's EOPNOTSUPP against netstack's plain send"
	case OpRecv, OpRecvFrom:
		if !h.udpOOB {
			return "no datagram was sent by netstack only"
		}
		if errIn(l.Err, OK, EWOULDBLOCK, EHANG) && n.Err == OK {
			return ""
		}
		return "not netstack reading a datagram where Linux reads another or none"
	case OpPoll:
		if !h.udpOOB {
			return "no datagram was sent by netstack only"
		}
		if l.Err == OK && n.Err == OK && PollEvents(l.N^n.N) == PollIn && n.N&int(PollIn) != 0 {
			return ""
		}
		return "not netstack readable where Linux is not"
	}
	return "not a UDP send, read or poll"
}

// explainErrorTwice is F1: after a refused connect, netstack's SO_ERROR reports the refusal
// once more than Linux's: once per refusal, ECONNREFUSED where Linux reads 0.
func explainErrorTwice(h *history, c Compared) string {
	if c.Linux.Err != OK || c.Netstack.Err != OK || Errno(c.Linux.N) != OK || Errno(c.Netstack.N) != ECONNREFUSED {
		return "not SO_ERROR 0 on Linux against ECONNREFUSED on netstack"
	}
	refused := false
	for _, p := range h.before(c) {
		op := h.r.Steps[p.Step].Op
		if op == OpConnect && p.Linux.Err == ECONNREFUSED && p.Netstack.Err == ECONNREFUSED {
			refused = true
		}
		if op == OpConnect && p.Linux.Err == EINPROGRESS && p.Netstack.Err == EINPROGRESS {
			refused = false // a new attempt; its refusal shows in SO_ERROR
		}
		if op == OpGetSockError && Errno(p.Linux.N) == ECONNREFUSED && Errno(p.Netstack.N) == ECONNREFUSED {
			refused = true
		}
		if p.Rule == "F1" {
			refused = false // the second report is spent
		}
	}
	if !refused {
		return "no refused connect was reported on this socket since its last double report"
	}
	return ""
}

// explainConnectListener is F2: connect on a listening socket answers EINVAL, Linux EISCONN.
func explainConnectListener(h *history, c Compared) string {
	if c.Linux.Err != EISCONN || c.Netstack.Err != EINVAL {
		return "not Linux's EISCONN against netstack's EINVAL"
	}
	for _, p := range h.before(c) {
		if h.r.Steps[p.Step].Op == OpListen && p.Linux.Err == OK && p.Netstack.Err == OK {
			return ""
		}
	}
	return "the socket never listened"
}

// explainResetCloseWait is F3: after a reset in CLOSE-WAIT the sends fail with EPIPE on both,
// and netstack's SO_ERROR still holds EPIPE where Linux's is 0; once.
func explainResetCloseWait(h *history, c Compared) string {
	if c.Linux.Err != OK || c.Netstack.Err != OK || Errno(c.Linux.N) != OK || Errno(c.Netstack.N) != EPIPE {
		return "not SO_ERROR 0 on Linux against EPIPE on netstack"
	}
	pending := false
	for _, p := range h.before(c) {
		op := h.r.Steps[p.Step].Op
		if (op == OpSend || op == OpSendTo) && p.Linux.Err == EPIPE && p.Netstack.Err == EPIPE {
			pending = true
		}
		if p.Rule == "F3" || (op == OpGetSockError && Errno(p.Netstack.N) == EPIPE) {
			pending = false
		}
	}
	if !pending {
		return "no send failed with EPIPE on this socket since SO_ERROR was last read"
	}
	return ""
}

// explainLingerClose is F4: the close of a socket with SO_LINGER on and a non-zero timeout
// hangs on netstack (held clock) where Linux returns.
func explainLingerClose(h *history, c Compared) string {
	if c.Linux.Err != OK || c.Netstack.Err != EHANG {
		return "not Linux's OK against netstack's HANG"
	}
	lingering := false
	for _, p := range h.before(c) {
		st := h.r.Steps[p.Step]
		if st.Op == OpSetLinger && p.Linux.Err == OK && p.Netstack.Err == OK {
			lingering = st.On && st.N > 0
		}
	}
	if !lingering {
		return "SO_LINGER is not on with a non-zero timeout"
	}
	return ""
}

// refusedNow reports, from the calls made on socket s before the call being judged, whether a
// connect of it was refused on both sides and Linux has made no new attempt since: netstack's
// endpoint stays in StateError after a refusal, where Linux's socket is again an unconnected
// TCP_CLOSE socket. A refusal shows as a connect that answers ECONNREFUSED on both sides, as
// SO_ERROR's ECONNREFUSED on both (a non-blocking connect's), or as a poll that reports POLLERR
// on both while a non-blocking connect (EINPROGRESS on both) is outstanding: the harness lets
// the host's handshake end after EINPROGRESS, as netstack's does between steps, and the only
// error a connect to the scenarios' loopback ports meets is the refusal.
func (h *history) refusedNow(s int) bool {
	now, pending := false, false
	for _, i := range h.calls[s] {
		p := h.r.Calls[i]
		if h.refusedAt(i) {
			now, pending = true, false
			continue
		}
		op := h.r.Steps[p.Step].Op
		if op == OpPoll && pending && p.Linux.Err == OK && p.Netstack.Err == OK &&
			PollEvents(p.Linux.N)&PollErr != 0 && PollEvents(p.Netstack.N)&PollErr != 0 {
			now, pending = true, false
			continue
		}
		if op == OpConnect && p.Linux.Err == EINPROGRESS && p.Netstack.Err == EINPROGRESS {
			// The harness lets the handshake end before the next step: unobserved, a refusal
			// has already happened (a connect that succeeded leaves nothing for F5 to explain:
			// both stacks then answer as a connected socket).
			now, pending = true, true
			continue
		}
		if op == OpConnect {
			switch {
			case p.Rule == "F5":
				now = p.Linux.Err == ECONNREFUSED // Linux's new attempt, refused too or not
			case p.Linux.Err == ECONNABORTED && p.Netstack.Err == ECONNABORTED:
				// Linux's inet_stream_connect found the refusal already reported and
				// disconnected the socket; netstack's endpoint stays in StateError.
			default:
				now = false
			}
		}
	}
	return now
}

// explainRefusedForGood is F5: after a refused connect netstack's endpoint stays in StateError,
// where Linux's socket is an unconnected one again. On that socket, a bind that Linux answers as
// for a fresh socket (OK, or EADDRINUSE) is netstack's EINVAL; a connect that Linux makes anew
// (ECONNREFUSED, EINPROGRESS, or OK when someone listens) is netstack's ECONNABORTED; a read
// that Linux answers ENOTCONN is netstack's end of file. And the port the socket had bound
// explicitly, which Linux keeps while the socket is open, is free on netstack: another TCP
// socket's bind of it is OK where Linux answers EADDRINUSE.
func explainRefusedForGood(h *history, c Compared) string {
	st := h.r.Steps[c.Step]
	l, n := c.Linux, c.Netstack
	if h.protoOf(c) != TCP {
		return "not a TCP socket"
	}
	s := h.socket(c)
	now := h.refusedNow(s)
	switch st.Op {
	case OpBind:
		if l.Err == EADDRINUSE && n.Err == OK {
			if h.portOfRefused(st.Port, s) {
				return ""
			}
			return "no open TCP socket that bound the port explicitly was refused since"
		}
		if !now {
			return "no refused connect on this socket since Linux's last new attempt"
		}
		if errIn(l.Err, OK, EADDRINUSE) && n.Err == EINVAL {
			return ""
		}
		return "not Linux's bind of an unconnected socket against netstack's EINVAL"
	case OpConnect:
		if !now {
			return "no refused connect on this socket since Linux's last new attempt"
		}
		if errIn(l.Err, ECONNREFUSED, EINPROGRESS, OK) && n.Err == ECONNABORTED {
			return ""
		}
		return "not Linux's new attempt against netstack's ECONNABORTED"
	case OpRecv, OpRecvFrom:
		if !now {
			return "no refused connect on this socket since Linux's last new attempt"
		}
		if l.Err == ENOTCONN && n.Err == OK && n.Data == "" {
			return ""
		}
		return "not Linux's ENOTCONN against netstack's end of file"
	}
	return "not a bind, connect or read"
}

// portOfRefused reports whether an open TCP socket other than s bound port p explicitly (OK on
// both sides) and was refused afterwards.
func (h *history) portOfRefused(p Port, s int) bool {
	if p == PortAny {
		return false
	}
	open := map[int]bool{}
	for _, o := range h.slot {
		open[o] = true
	}
	for o := range open {
		if o == s || h.proto[o] != TCP {
			continue
		}
		bound := false
		for _, i := range h.calls[o] {
			q := h.r.Calls[i]
			st := h.r.Steps[q.Step]
			if st.Op == OpBind && st.Port == p && q.Linux.Err == OK && q.Netstack.Err == OK {
				bound = true
			}
			if bound && h.refusedAt(i) {
				return true
			}
		}
	}
	return false
}

// refusedAt reports whether call i shows a refusal on both sides: a connect's ECONNREFUSED,
// or SO_ERROR's.
func (h *history) refusedAt(i int) bool {
	p := h.r.Calls[i]
	switch h.r.Steps[p.Step].Op {
	case OpConnect:
		return p.Linux.Err == ECONNREFUSED && p.Netstack.Err == ECONNREFUSED
	case OpGetSockError:
		return p.Linux.Err == OK && p.Netstack.Err == OK && Errno(p.Linux.N) == ECONNREFUSED && Errno(p.Netstack.N) == ECONNREFUSED
	}
	return false
}

// explainShutRDUnconnected is F6: a shutdown with SHUT_RD of a TCP socket never connected nor
// listening answers ENOTCONN on both sides, but Linux records RCV_SHUTDOWN (the socket polls
// POLLIN and reads end of file) where netstack's flags change nothing: its poll lacks POLLIN
// (and POLLOUT, D3's part, when asked), its read answers ENOTCONN.
func explainShutRDUnconnected(h *history, c Compared) string {
	if h.protoOf(c) != TCP {
		return "not a TCP socket"
	}
	if s := h.socket(c); s >= 0 && h.r.Steps[h.r.Calls[s].Step].Op != OpSocket {
		return "the socket was accepted, not created"
	}
	shut := false
	for _, p := range h.before(c) {
		st := h.r.Steps[p.Step]
		switch st.Op {
		case OpConnect, OpListen:
			return fmt.Sprintf("the socket is not unconnected: step %d %s", p.Step, st.Op)
		case OpShutdown:
			if (st.How == ShutRD || st.How == ShutRDWR) && p.Linux.Err == ENOTCONN && p.Netstack.Err == ENOTCONN {
				shut = true
			}
		}
	}
	if !shut {
		return "no SHUT_RD answered ENOTCONN on this socket"
	}
	l, n := c.Linux, c.Netstack
	switch h.r.Steps[c.Step].Op {
	case OpPoll:
		le, ne := PollEvents(l.N), PollEvents(n.N)
		if l.Err == OK && n.Err == OK && le&(PollIn|PollHup) == PollIn|PollHup &&
			le&^(PollIn|PollOut|PollHup) == 0 && ne == le&^(PollIn|PollOut) {
			return ""
		}
		return "netstack's revents are not Linux's IN|HUP (OUT) without IN and OUT"
	default:
		if h.r.Steps[c.Step].Flags&MsgOOB == 0 && l.Err == OK && l.Data == "" && n.Err == ENOTCONN {
			return ""
		}
		return "not Linux's end of file against netstack's ENOTCONN"
	}
}
