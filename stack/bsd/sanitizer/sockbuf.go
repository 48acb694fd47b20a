package sanitizer

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
	"github.com/sockfuzz/sockfuzz/stack/oracle"
)

// The sockbuf accounting oracle: ssb_cc must equal the bytes actually queued, for so_rcv and
// so_snd. The stack updates the data and the counter as two steps under the sockbuf's token,
// so the check runs only when no thread can be between them: at quiescence and at the end of a
// settled run. UDP receive buffers hold datagram records, which SockSnapshot.RcvBytes does not
// count (it is len of the stream data): their so_rcv is not checked.

// sockbuf is the sockbuf accounting oracle.
type sockbuf struct{ t *tracker }

// Quiescent implements bsdOracle.
func (b *sockbuf) Quiescent(snap *bsd.Snapshot, step int) { b.check(snap, step) }

// Finish implements bsdOracle.
func (b *sockbuf) Finish(end *oracle.End, snap *bsd.Snapshot) {
	if snap != nil {
		b.check(snap, end.Result.Steps)
	}
}

func (*sockbuf) reset() {}

// check checks every socket's sockbuf counters.
func (b *sockbuf) check(snap *bsd.Snapshot, step int) {
	for _, s := range snap.Socks {
		if s.Proto == bsd.TCP && s.RcvCC != int64(s.RcvBytes) {
			b.t.report(SockbufAccount, "sockbuf accounting: so_rcv cc != queued bytes",
				fmt.Sprintf("so%d: so_rcv cc %d, %d bytes queued", s.ID, s.RcvCC, s.RcvBytes), -1, step)
		}
		if s.SndCC != int64(s.SndBytes) {
			b.t.report(SockbufAccount, "sockbuf accounting: so_snd cc != queued bytes",
				fmt.Sprintf("so%d: so_snd cc %d, %d bytes queued", s.ID, s.SndCC, s.SndBytes), -1, step)
		}
		if s.RcvCC < 0 || s.SndCC < 0 {
			b.t.report(SockbufAccount, "sockbuf accounting: negative cc",
				fmt.Sprintf("so%d: so_rcv cc %d, so_snd cc %d", s.ID, s.RcvCC, s.SndCC), -1, step)
		}
	}
}
