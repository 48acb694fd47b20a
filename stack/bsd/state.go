package bsd

import "strings"

// so_state bits, with the values of DragonFly's sys/sys/socketvar.h.
const (
	SS_NOFDREF         = 0x0001 // no file descriptor references this socket
	SS_ISCONNECTED     = 0x0002 // connected to a peer
	SS_ISCONNECTING    = 0x0004 // connecting: the SYN is outstanding
	SS_ISDISCONNECTING = 0x0008 // disconnecting
	SS_CANTSENDMORE    = 0x0010 // no more data can be sent
	SS_CANTRCVMORE     = 0x0020 // no more data can be received
	SS_RCVATMARK       = 0x0040 // at the out-of-band mark
	SS_ASYNC           = 0x0200 // SIGIO on events (FIOASYNC)
	SS_ISCONFIRMING    = 0x0400 // never set (the 2008 mail)
	SS_INCOMP          = 0x0800 // on the listener's so_incomp
	SS_COMP            = 0x1000 // on the listener's so_comp
	SS_ISDISCONNECTED  = 0x2000 // disconnected
)

var stateNames = []struct {
	bit  uint64
	name string
}{
	{SS_NOFDREF, "NOFDREF"}, {SS_ISCONNECTED, "ISCONNECTED"}, {SS_ISCONNECTING, "ISCONNECTING"},
	{SS_ISDISCONNECTING, "ISDISCONNECTING"}, {SS_CANTSENDMORE, "CANTSENDMORE"},
	{SS_CANTRCVMORE, "CANTRCVMORE"}, {SS_RCVATMARK, "RCVATMARK"}, {SS_ASYNC, "ASYNC"},
	{SS_ISCONFIRMING, "ISCONFIRMING"}, {SS_INCOMP, "INCOMP"}, {SS_COMP, "COMP"},
	{SS_ISDISCONNECTED, "ISDISCONNECTED"},
}

// StateString renders so_state bits as "ISCONNECTED|ASYNC".
func StateString(s uint64) string {
	if s == 0 {
		return "0"
	}
	var parts []string
	for _, b := range stateNames {
		if s&b.bit != 0 {
			parts = append(parts, b.name)
		}
	}
	return strings.Join(parts, "|")
}

// so_options bits (sys/sys/socket.h).
const (
	SO_ACCEPTCONN = 0x0002
	SO_LINGER     = 0x0080
)

// ssb_flags bits (DragonFly's struct signalsockbuf).
const (
	SSB_LOCK   = 0x0001
	SSB_WANT   = 0x0002
	SSB_WAIT   = 0x0004
	SSB_ASYNC  = 0x0010
	SSB_MEVENT = 0x0200
	SSB_WAKEUP = 0x2000
)

// somaxconn is the default and largest listen backlog (kern.ipc.somaxconn).
const somaxconn = 128

// TCPState is a TCP connection state (RFC 793, netinet/tcp_fsm.h order).
type TCPState uint8

// The TCP states.
const (
	TCPS_CLOSED TCPState = iota
	TCPS_LISTEN
	TCPS_SYN_SENT
	TCPS_SYN_RECEIVED
	TCPS_ESTABLISHED
	TCPS_CLOSE_WAIT
	TCPS_FIN_WAIT_1
	TCPS_CLOSING
	TCPS_LAST_ACK
	TCPS_FIN_WAIT_2
	TCPS_TIME_WAIT
)

var tcpStateNames = [...]string{"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
	"CLOSE_WAIT", "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT"}

func (s TCPState) String() string {
	if int(s) < len(tcpStateNames) {
		return tcpStateNames[s]
	}
	return "TCPS?"
}

// haveRcvdSYN is TCPS_HAVERCVDSYN: the state is past SYN_RECEIVED.
func (s TCPState) haveRcvdSYN() bool { return s >= TCPS_SYN_RECEIVED }

// haveRcvdFIN is TCPS_HAVERCVDFIN.
func (s TCPState) haveRcvdFIN() bool {
	return s == TCPS_CLOSE_WAIT || s == TCPS_CLOSING || s == TCPS_LAST_ACK || s == TCPS_TIME_WAIT
}
