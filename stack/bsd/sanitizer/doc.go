// Package sanitizer holds the BSD model's own oracles, as KASAN and lockdep live in a kernel's
// tree. The generic ones, which need only the substrate's result (data races, panics, blocked
// threads, goroutine leaks), are package oracle's; these read the model's events and snapshots:
//
//   - use after soclose, the SS_NOFDREF lifecycle (usefree.go; soaccept's SS_NOFDREF is its
//     own small value there, as it judges after the accept queue);
//   - the accept queues: counters, members, bounds, conservation (acceptq.go);
//   - SIGIO lost through SS_ASYNC (wakeup.go; sleepers are the generic Blocked oracle's);
//   - sockbuf accounting (sockbuf.go), so_state against the TCP state (statecheck.go);
//   - socket leaks (leak.go).
//
// Each oracle is a small value with its own state behind one interface: Quiescent and Finish,
// given the stack's snapshot, and, for those that watch events, the kinds it observes and
// Observe; the so_state check also looks at idle points. What several of them need lives once
// in a tracker (tracker.go): the event ring that reports carry as their trace, each socket's
// lifecycle as the events showed it (freed, descriptors, queue membership) and each thread's
// queue-locked section.
//
// A Checker plugs them into an execution: it is the stack's bsd.Observer and, for the target's
// executor, one oracle.Oracle beside the generic ones (stack/bsd/bsdtarget builds it). For each
// event it takes its lock (Free mode observes from several goroutines), puts the event in the
// ring, updates the tracker, calls the oracles that observe the event's kind, in a fixed order,
// from a table built once, and then records the socket facts the event establishes. Checks
// that read snapshots run online only in Controlled mode, with Peek-style reads (never a
// scheduling point); the rest wait for quiescence or the end of the execution. Every violation
// is a Report through the execution's oracle.Reporter, whose Title is the stable deduplication
// key, like syzkaller's crash titles; the Reporter keeps the first report of each title, so the
// order in which the oracles judge is part of what a run reports.
//
// The arrows point one way: sanitizer imports bsd, oracle and sched, never the reverse.
package sanitizer
