// Package targets links in every built-in target, so that a tool or a fuzz target that imports
// it (for its side effect) finds each by name through stack.Lookup. The build tag
// sockfuzz_nonetstack leaves gVisor's netstack out (netstack.go), for binaries that run only
// the bsd target: OSS-Fuzz's libFuzzer builds of the other fuzz targets.
package targets

import (
	// bsd, the DragonFly BSD model: the default target.
	_ "github.com/sockfuzz/sockfuzz/stack/bsd/bsdtarget"
)
