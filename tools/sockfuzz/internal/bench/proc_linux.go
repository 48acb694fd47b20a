package bench

import (
	"os/exec"
	"syscall"
	"time"
)

// setDeathSignal kills a measured process when sockfuzz bench dies, even by SIGKILL, so that
// no fuzzing process outlives the run and loads the machine of the next one.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// ProcessCPU returns the CPU time (user and system) this process has used so far.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
