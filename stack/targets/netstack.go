//go:build !sockfuzz_nonetstack

package targets

import (
	// netstack, gVisor's TCP/IP stack: Free mode in the plain build, Controlled on the hooked.
	_ "github.com/sockfuzz/sockfuzz/stack/netstack"
)
