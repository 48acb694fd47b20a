//go:build unix

package hunt

import (
	"os/exec"
	"syscall"
)

// ownGroup puts a trial's process in its own process group and makes cancellation kill the
// whole group: go test -fuzz starts worker processes that must not outlive the trial.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
