package corpus

import (
	"github.com/sockfuzz/sockfuzz/stack"
	_ "github.com/sockfuzz/sockfuzz/stack/targets" // the programs run on the built-in targets
)

// bsdTarget is the default target, whose catalog the witnesses cover.
func bsdTarget() stack.Target {
	t, err := stack.Lookup(stack.DefaultTarget)
	if err != nil {
		panic(err)
	}
	return t
}
