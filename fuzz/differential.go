package fuzz

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/stack/conformance"
)

// NetstackLinux is the differential target FuzzNetstackLinux (issue 15): its inputs decode
// (conformance.DecodeSteps) into single-process programs of the conformance scenarios'
// calls, run both on netstack (Controlled, the hooked build) and on the host's Linux sockets
// over 127.0.0.1; a difference that no known deviation of docs/conformance-netstack.md
// explains fails the input. Its inputs are not programs of the byte codec: it is not one of
// ByteTargets, and the sockfuzz tool's fuzz cycle, whose crashers are programs, leaves it out.
const NetstackLinux = "FuzzNetstackLinux"

// Differ runs FuzzNetstackLinux's inputs.
type Differ struct {
	knownOnce   sync.Once
	known       map[string]bool // titles that pass (SOCKFUZZ_KNOWN), as for the other targets
	knownErr    error
	availOnce   sync.Once
	unavailable string
	netstack    conformance.Sockets
	runs        atomic.Int64
	nseeds      int64
}

var netstackLinux = &Differ{}

// DifferHarness returns the process's harness of FuzzNetstackLinux.
func DifferHarness() *Differ { return netstackLinux }

// Seeds returns the byte form of the scenario table's scenarios that the byte form expresses.
func (d *Differ) Seeds() [][]byte {
	s := conformance.DiffSeeds()
	d.nseeds = int64(len(s))
	return s
}

// Unavailable says why the target cannot run here ("" when it can): it needs Linux and
// netstack's controlled mode, the hooked build's. It runs an empty program once to find out.
func (d *Differ) Unavailable() string {
	d.availOnce.Do(func() {
		if why := conformance.DifferentialAvailable(); why != "" {
			d.unavailable = why
			return
		}
		t, err := stack.Lookup("netstack")
		if err != nil {
			d.unavailable = err.Error()
			return
		}
		d.netstack = conformance.TargetSockets(t)
		lc, ok := d.netstack.(conformance.Lifecycle)
		if !ok {
			d.unavailable = "netstack's sockets have no lifecycle"
			return
		}
		err = lc.Begin()
		if err == nil {
			err = lc.End()
		}
		if err != nil {
			d.unavailable = fmt.Sprintf("%s cannot run netstack here: %v", NetstackLinux, err)
		}
	})
	return d.unavailable
}

// Run runs one input and returns a failure message, "" when every difference is explained
// (or its title is one of SOCKFUZZ_KNOWN's): the report's title, then the program with both
// sides' results and the rules' verdicts. The
// seed runs and every LeakCheckEvery-th run also check for leaked goroutines.
func (d *Differ) Run(data []byte) string {
	if why := d.Unavailable(); why != "" {
		return why
	}
	d.knownOnce.Do(func() { d.known, d.knownErr = readKnown(os.Getenv(EnvKnown)) })
	if d.knownErr != nil {
		return d.knownErr.Error()
	}
	r := conformance.LinuxDifferential(conformance.DecodeSteps(data), d.netstack)
	if r.Failed() && !d.known[r.Title()] {
		return r.String()
	}
	if n := d.runs.Add(1); n <= d.nseeds || n%LeakCheckEvery == 0 {
		if rep := LeakCheck(); rep != nil {
			return rep.Title + "\n" + rep.Detail
		}
	}
	return ""
}
