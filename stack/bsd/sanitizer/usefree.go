package sanitizer

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
)

// The use-after-soclose oracle: the SS_NOFDREF lifecycle. A socket is born with SS_NOFDREF
// (soalloc); socreate or soaccept clears it when a descriptor takes the base reference; soclose
// sets it again once no descriptor refers to the socket, and sofree frees it on the last
// reference. The oracle checks, from the events alone (so in both modes):
//
//   - no access to a socket after sofree (ObsTouch with Freed, or any other event about it);
//   - sofree never frees a socket that a descriptor or an accept queue still holds;
//   - SS_NOFDREF goes from clear to set at most once (the stack also panics "soclose:
//     NOFDREF", which panic.go maps to the same title);
//   - SS_NOFDREF is set only when no other thread can reach the socket. "Reach" is what the
//     events can show: a descriptor in the shared table that still refers to the socket
//     (ObsFdInstall not yet matched by ObsFdClose), or membership of a listener's so_incomp or
//     so_comp (ObsQueueInsert not yet matched by ObsQueueRemove). Holders of a reference
//     (so_refs: a message in flight, the pcb) are legitimate and not counted; a thread that
//     looked the socket up through its descriptor before the close and still holds the pointer
//     is invisible to the events;
//   - soaccept takes only a socket that still has SS_NOFDREF (checked at ObsAccepted on the
//     socket's snapshot, in Controlled mode; the stack's panic "soaccept: !NOFDREF" maps here
//     too).

// Titles of the use-after-soclose oracle.
const (
	titleFreeWithFd      = "use-after-soclose: sofree of socket still referenced by a descriptor"
	titleFreeOnQueue     = "use-after-soclose: sofree of socket still on an accept queue"
	titleDoubleFree      = "use-after-soclose: socket freed twice"
	titleNofdrefTwice    = "use-after-soclose: SS_NOFDREF set twice"
	titleNofdrefWithFd   = "use-after-soclose: SS_NOFDREF set while a descriptor refers to the socket"
	titleNofdrefOnQueue  = "use-after-soclose: SS_NOFDREF set while on an accept queue"
	titleAcceptNoNofdref = "use-after-soclose: soaccept of socket without SS_NOFDREF"
	titleFdOnFreed       = "use-after-soclose: descriptor installed for freed socket"
)

// useFree is the use-after-soclose oracle, but for soaccept's SS_NOFDREF (soacceptNofdref).
type useFree struct {
	t       *tracker
	socks   []useFreeSock
	scratch useFreeSock
}

// useFreeSock is what the oracle keeps of one socket.
type useFreeSock struct {
	uafSeen     bool // a use after free of it was reported
	nofdrefSets int  // SS_NOFDREF 0 -> 1 transitions
}

func (*useFree) kinds() []bsd.ObsKind {
	return []bsd.ObsKind{kindFreed, bsd.ObsSockCreated, bsd.ObsSockFreed, bsd.ObsTouch, bsd.ObsState}
}

// Observe implements eventOracle.
func (u *useFree) Observe(k bsd.ObsKind, st *bsd.Stack, ev *bsd.ObsEvent) {
	switch k {
	case kindFreed:
		if ev.Kind != bsd.ObsTouch && ev.Kind != bsd.ObsSockFreed && ev.Kind != bsd.ObsFdClose && !(lateRefs(*ev) && freeMode(st)) {
			u.eventOnFreed(*ev)
		}
	case bsd.ObsSockCreated:
		*u.sock(ev.Sock) = useFreeSock{}
	case bsd.ObsSockFreed:
		u.onFreed(*ev)
	case bsd.ObsTouch:
		u.onTouch(ev)
	case bsd.ObsState:
		u.onState(ev)
	}
}

// Quiescent implements bsdOracle: the oracle judges events only.
func (*useFree) Quiescent(*bsd.Snapshot, int) {}

// Finish implements bsdOracle.
func (*useFree) Finish(*oracle.End, *bsd.Snapshot) {}

func (u *useFree) reset() { u.socks = u.socks[:0] }

// sock returns the oracle's info of socket id.
func (u *useFree) sock(id int) *useFreeSock { return slot(&u.socks, id, &u.scratch) }

// onTouch: an access to a freed socket.
func (u *useFree) onTouch(ev *bsd.ObsEvent) {
	if !ev.Freed {
		return
	}
	u.sock(ev.Sock).uafSeen = true
	u.t.reportEv(UseAfterSoclose, "use-after-soclose: access to freed socket in "+oracle.Stable(ev.Site),
		fmt.Sprintf("so%d accessed at %s after sofree", ev.Sock, ev.Site), *ev)
}

// lateRefs reports whether a reference count event seen after its socket's free moved a
// count that was above zero: the move came before the free (a freed socket's count is 0),
// and only its event came late. In Free mode a thread's atomic update and its event are not
// one step: another CPU can drop the last reference and free the socket in between.
func lateRefs(ev bsd.ObsEvent) bool {
	if ev.Kind != bsd.ObsRefs {
		return false
	}
	if ev.Site == "sofree" {
		return ev.Arg >= 1 // a decrement that left a reference: from 2 or more
	}
	return ev.Arg >= 2 // an increment from 1 or more
}

// eventOnFreed: an event other than a touch about a socket the events showed freed.
// The stack reports the access itself (ObsTouch) before most events, so this fires only when
// no touch of the freed socket was seen: one bug, one title.
func (u *useFree) eventOnFreed(ev bsd.ObsEvent) {
	so := u.sock(ev.Sock)
	if so.uafSeen || ev.Kind == bsd.ObsQueueInsert { // the accept-queue oracle's
		return
	}
	so.uafSeen = true
	if ev.Kind == bsd.ObsFdInstall {
		u.t.reportEv(UseAfterSoclose, titleFdOnFreed,
			fmt.Sprintf("fd %d installed for so%d after sofree", ev.Arg, ev.Sock), ev)
		return
	}
	u.t.reportEv(UseAfterSoclose, fmt.Sprintf("use-after-soclose: %v of freed socket in %s", ev.Kind, oracle.Stable(ev.Site)),
		fmt.Sprintf("%v event for so%d after sofree: %v", ev.Kind, ev.Sock, ev), ev)
}

// onFreed: sofree released the socket.
func (u *useFree) onFreed(ev bsd.ObsEvent) {
	so := u.t.sock(ev.Sock)
	if so.freed {
		u.t.reportEv(UseAfterSoclose, titleDoubleFree, fmt.Sprintf("so%d freed again", ev.Sock), ev)
	}
	if so.fds > 0 {
		u.t.reportEv(UseAfterSoclose, titleFreeWithFd,
			fmt.Sprintf("so%d freed while %d descriptor(s) refer to it", ev.Sock, so.fds), ev)
	}
	if so.qhead >= 0 {
		u.t.reportEv(UseAfterSoclose, titleFreeOnQueue,
			fmt.Sprintf("so%d freed while on %s of so%d", ev.Sock, queueName(so.qwhich), so.qhead), ev)
	}
}

// onState checks the SS_NOFDREF transitions of a so_state write.
func (u *useFree) onState(ev *bsd.ObsEvent) {
	if ev.Old&bsd.SS_NOFDREF != 0 || ev.New&bsd.SS_NOFDREF == 0 {
		return
	}
	us := u.sock(ev.Sock)
	us.nofdrefSets++
	if us.nofdrefSets > 1 {
		u.t.reportEv(UseAfterSoclose, titleNofdrefTwice,
			fmt.Sprintf("so%d: SS_NOFDREF set a second time at %s", ev.Sock, ev.Site), *ev)
	}
	so := u.t.sock(ev.Sock)
	if so.fds > 0 {
		u.t.reportEv(UseAfterSoclose, titleNofdrefWithFd,
			fmt.Sprintf("so%d: SS_NOFDREF set at %s while %d descriptor(s) refer to it", ev.Sock, ev.Site, so.fds), *ev)
	}
	if so.qhead >= 0 {
		u.t.reportEv(UseAfterSoclose, titleNofdrefOnQueue,
			fmt.Sprintf("so%d: SS_NOFDREF set at %s while on %s of so%d", ev.Sock, ev.Site, queueName(so.qwhich), so.qhead), *ev)
	}
}

// soacceptNofdref is the use-after-soclose oracle's check of soaccept: at kern_accept's
// return, the socket soaccept takes must still have SS_NOFDREF (Controlled mode: the snapshot
// is exact). It is its own value because it judges after the accept-queue oracle.
type soacceptNofdref struct{ t *tracker }

func (*soacceptNofdref) kinds() []bsd.ObsKind { return []bsd.ObsKind{bsd.ObsAccepted} }

// Observe implements eventOracle.
func (a *soacceptNofdref) Observe(_ bsd.ObsKind, st *bsd.Stack, ev *bsd.ObsEvent) {
	if !controlled(st) || ev.Sock < 0 || ev.Sock >= len(st.Sockets()) || st.Sockets()[ev.Sock] == nil {
		return
	}
	ss := st.Sockets()[ev.Sock].Snapshot()
	if ss.State&bsd.SS_NOFDREF == 0 {
		a.t.reportEv(UseAfterSoclose, titleAcceptNoNofdref,
			fmt.Sprintf("so%d accepted from so%d with state %s", ev.Sock, ev.Head, bsd.StateString(ss.State)), *ev)
	}
}

// Quiescent implements bsdOracle: the oracle judges events only.
func (*soacceptNofdref) Quiescent(*bsd.Snapshot, int) {}

// Finish implements bsdOracle.
func (*soacceptNofdref) Finish(*oracle.End, *bsd.Snapshot) {}

func (*soacceptNofdref) reset() {}

// queueName names a listener's queue.
func queueName(q int) string {
	switch q {
	case bsd.QIncomp:
		return "so_incomp"
	case bsd.QComp:
		return "so_comp"
	}
	return "queue?"
}
