//go:build !sockfuzz_hooked

package launch

// Hooked tells whether this binary was built on the hooked build of gVisor.
const Hooked = false
