//go:build sockfuzz_hooked

package netstack

// SetSelfTestFaults sets the oracle self-test bits kept on beside every execution's faults,
// for the external tests (TestNetstackOracleFaults).
func SetSelfTestFaults(bits uint64) { selfTestFaults = bits }
