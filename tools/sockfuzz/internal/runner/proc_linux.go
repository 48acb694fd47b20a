package runner

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the fuzzing process when the runner dies, even by SIGKILL, so that a
// restarted runner does not share the work directory with an orphan.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
