//go:build !amd64

package control

import "runtime"

// framePCs stores return addresses of the frames above its caller in buf: on architectures
// without framepcs_amd64.s, those runtime.Callers gives (logical frames, at its cost).
func framePCs(buf *callerKey) { runtime.Callers(2, buf[:]) }
