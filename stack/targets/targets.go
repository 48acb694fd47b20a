// Package targets links in every built-in target, so that a tool or a fuzz target that imports
// it (for its side effect) finds each by name through stack.Lookup.
package targets

import (
	// bsd, the DragonFly BSD model: the default target.
	_ "github.com/sockfuzz/sockfuzz/stack/bsd/bsdtarget"
	// netstack, gVisor's TCP/IP stack: Free mode in the plain build.
	_ "github.com/sockfuzz/sockfuzz/stack/netstack"
)
