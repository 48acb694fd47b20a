// Package oracle will hold the stack's sanitizers: use after soclose, lost wakeups, accept-queue
// corruption, races, leaks and accounting checks, judged from the stack's observer hook.
package oracle
