package sanitizer

import (
	"fmt"

	"github.com/sockfuzz/sockfuzz/stack/bsd"
)

// The sockbuf accounting oracle: ssb_cc must equal the bytes actually queued, for so_rcv and
// so_snd. The stack updates the data and the counter as two steps under the sockbuf's token,
// so the check runs only when no thread can be between them: at quiescence and at the end of a
// settled run. UDP receive buffers hold datagram records, which SockSnapshot.RcvBytes does not
// count (it is len of the stream data): their so_rcv is not checked.

// checkSockbufs checks every socket's sockbuf counters.
func (c *Checker) checkSockbufs(snap *bsd.Snapshot, step int) {
	for _, s := range snap.Socks {
		if s.Proto == bsd.TCP && s.RcvCC != int64(s.RcvBytes) {
			c.report(SockbufAccount, "sockbuf accounting: so_rcv cc != queued bytes",
				fmt.Sprintf("so%d: so_rcv cc %d, %d bytes queued", s.ID, s.RcvCC, s.RcvBytes), -1, step)
		}
		if s.SndCC != int64(s.SndBytes) {
			c.report(SockbufAccount, "sockbuf accounting: so_snd cc != queued bytes",
				fmt.Sprintf("so%d: so_snd cc %d, %d bytes queued", s.ID, s.SndCC, s.SndBytes), -1, step)
		}
		if s.RcvCC < 0 || s.SndCC < 0 {
			c.report(SockbufAccount, "sockbuf accounting: negative cc",
				fmt.Sprintf("so%d: so_rcv cc %d, so_snd cc %d", s.ID, s.RcvCC, s.SndCC), -1, step)
		}
	}
}
