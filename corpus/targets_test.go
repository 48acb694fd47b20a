package corpus

import (
	"github.com/sockfuzz/sockfuzz/stack"
	_ "github.com/sockfuzz/sockfuzz/stack/targets" // the programs run on the built-in targets
)

// bsdTarget is the default target, whose catalog the witnesses cover.
func bsdTarget() stack.Target { return stack.MustLookup(stack.DefaultTarget) }
