package control

// framePCs stores the return addresses of the physical frames above its caller in buf, from
// the frame-pointer chain (framepcs_amd64.s): a few nanoseconds where runtime.Callers, which
// resolves inlined frames through the function tables, takes microseconds.
//
//go:noescape
func framePCs(buf *callerKey)
