//go:build !sockfuzz_hooked

package netstack

import "gvisor.dev/gvisor/pkg/tcpip"

// acceptOf reads ep's accept accounting: the plain build's gVisor has none.
func acceptOf(tcpip.Endpoint) (acceptState, bool) { return acceptState{}, false }

// heldOf reads what ep still holds: the plain build's gVisor cannot tell.
func heldOf(tcpip.Endpoint) (heldState, bool) { return heldState{}, false }

// startLeakCheck turns refs' leak checking on: the plain build has no drain of its live
// object map, so it stays off.
func startLeakCheck(*instance) {}

// stopLeakCheck turns refs' leak checking off.
func stopLeakCheck() {}

// takeLeaks returns the leaked objects: none known in the plain build.
func takeLeaks() []string { return nil }

// endpointStates reads the state checks' view of every TCP endpoint: the plain build's gVisor
// keeps no record of them.
func endpointStates() []epState { return nil }

// trackEndpoints starts or stops the record of the execution's endpoints: none in the plain
// build.
func trackEndpoints(bool) {}
