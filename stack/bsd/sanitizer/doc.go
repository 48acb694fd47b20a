// Package oracle holds the stack's sanitizers, as KASAN and lockdep live in a kernel's tree:
// use after soclose (the SS_NOFDREF lifecycle), lost wakeups (sleepers and SIGIO through
// SS_ASYNC), accept-queue corruption, data races from the substrate's happens-before detector,
// panics, socket leaks, sockbuf accounting and so_state against the TCP state.
//
// A Checker is installed as the stack's Observer: it checks what it can online, as the events
// arrive, with Peek-style reads only (snapshots, never a scheduling point), and the rest when
// the execution ends (Finish) or goes quiescent (Quiescent). Every violation is a Report whose
// Title is the stable deduplication key, like syzkaller's crash titles.
//
// The arrows point one way: oracle imports stack and stack/sched, never the reverse.
package sanitizer
