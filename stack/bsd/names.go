package bsd

import (
	"strconv"
	"sync"
)

// sockNames are the names of one socket's locks, wait queues and timers, made once per socket
// id for the process rather than once per socket per execution: an execution allocates a
// dozen names per socket otherwise, and every execution uses the same few ids.
type sockNames struct {
	so, qlock, fioasync, timeo, sel, connect, accept string
	rcv, snd                                         sbNames
	rexmt, keep, msl                                 string
}

// sbNames are a sockbuf's lock and wait queue names.
type sbNames struct{ token, lock, wq string }

// sbSites are the sites of a sockbuf's ssb_cc updates, one table per sockbuf kind.
type sbSites struct{ append, appendaddr, drop, droprecord, release string }

var (
	rcvSites = sbSites{"so_rcv:append", "so_rcv:appendaddr", "so_rcv:drop", "so_rcv:droprecord", "so_rcv:release"}
	sndSites = sbSites{"so_snd:append", "so_snd:appendaddr", "so_snd:drop", "so_snd:droprecord", "so_snd:release"}
)

// namesCached is how many socket ids have their names kept; an execution with more sockets
// makes the rest's names as it goes.
const namesCached = 256

var (
	namesMu sync.Mutex
	names   []*sockNames // by socket id; grown under namesMu, entries never change
)

// namesFor returns socket id's names.
func namesFor(id int) *sockNames {
	if id >= namesCached {
		return makeNames(id)
	}
	namesMu.Lock()
	defer namesMu.Unlock()
	for len(names) <= id {
		names = append(names, makeNames(len(names)))
	}
	return names[id]
}

func makeNames(id int) *sockNames {
	n := "so" + strconv.Itoa(id)
	sb := func(name string) sbNames {
		return sbNames{token: n + "." + name + ".token", lock: n + "." + name + ".lock", wq: n + "." + name}
	}
	return &sockNames{
		so: n, qlock: n + ".qlock", fioasync: n + ".fioasync", timeo: n + ".so_timeo", sel: n + ".sel",
		connect: n + ".connect", accept: n + ".accept",
		rcv: sb("so_rcv"), snd: sb("so_snd"),
		rexmt: n + ".tt_rexmt", keep: n + ".tt_keep", msl: n + ".tt_2msl",
	}
}
