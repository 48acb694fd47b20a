//go:build !unix

package hunt

import "os/exec"

// ownGroup is a no-op where process groups do not exist: cancellation kills the process.
func ownGroup(*exec.Cmd) {}
