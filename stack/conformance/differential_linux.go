//go:build linux

package conformance

import "time"

// DiffBlockTimeout is the host's bound on a blocking call during a differential run: a call
// that a loopback answers at all answers within microseconds, and most hangs of a fuzzed
// program are real (a blocking read with nothing to read), each costing this long.
const DiffBlockTimeout = 25 * time.Millisecond

// DifferentialAvailable says why LinuxDifferential cannot run here ("" when it can).
func DifferentialAvailable() string { return "" }

// LinuxDifferential runs the program on the host's Linux sockets over 127.0.0.1 (fresh
// reserved ports, Nagle off, blocking calls bounded by DiffBlockTimeout) and on netstack, and
// classifies the differences. An unexplained difference is confirmed by a second run with the
// default bound (DefaultBlockTimeout), whose report is returned:
//
//   - if the second run has it too, it stands;
//   - if the second run is clean and every unexplained difference of the first was the host's
//     EHANG, the host was merely slower than the short bound: the clean report is returned;
//   - otherwise the program's answers are not deterministic, a harness failure reported as an
//     error of the second report.
func LinuxDifferential(steps []Step, netstack Sockets) *DiffReport {
	first := Differential(steps, diffHost(DiffBlockTimeout), netstack)
	if !first.Failed() {
		return first
	}
	second := Differential(steps, diffHost(DefaultBlockTimeout), netstack)
	switch {
	case second.Failed():
		second.Note = "confirmed by a second run with the host's bound at " + DefaultBlockTimeout.String()
	case len(first.Errors) == 0 && hostHangsOnly(first):
		second.Note = "the first run's host hangs at " + DiffBlockTimeout.String() + " were the short bound's"
	default:
		second.Errors = append(second.Errors, nondeterministic(first))
	}
	return second
}

// hostHangsOnly reports whether every unexplained difference is the host's EHANG.
func hostHangsOnly(r *DiffReport) bool {
	for _, c := range r.Unexplained() {
		if c.Linux.Err != EHANG {
			return false
		}
	}
	return true
}

// diffHost is a host for differential runs: Nagle off, blocking calls bounded by bound.
func diffHost(bound time.Duration) *Host {
	h := NewHost()
	h.BlockTimeout, h.NoDelay = bound, true
	return h
}
