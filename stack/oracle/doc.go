// Package oracle judges executions: the Report every oracle makes, the Reporter that collects
// one execution's reports, the Oracle interface, and the generic oracles, those that need only
// the substrate's result: data races from the happens-before detector, panics, misuses of the
// substrate and step budgets run out, threads blocked at quiescence with their wake condition
// true (lost wakeups) or on a lock (deadlocks), and goroutine leaks.
//
// A target's own oracles (the BSD model's SS_NOFDREF lifecycle, accept queues, sockbuf
// accounting; netstack's accept accounting) live with the target and implement the same
// Oracle interface; they watch the stack's events as it runs and report through the same
// Reporter, so that one execution's reports are deduplicated and ordered together.
//
// The arrows point one way: oracle imports only stack/sched.
package oracle
