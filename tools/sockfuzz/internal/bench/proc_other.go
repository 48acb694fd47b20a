//go:build !linux

package bench

import (
	"os/exec"
	"time"
)

// setDeathSignal does nothing where the kernel has no parent-death signal.
func setDeathSignal(*exec.Cmd) {}

// ProcessCPU returns 0 where this package does not read the process's CPU time: the rows then
// have no per-CPU-second figure.
func ProcessCPU() time.Duration { return 0 }
