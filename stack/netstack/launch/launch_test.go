package launch

import (
	"bufio"
	"io"
	"os/exec"
	"testing"
	"time"
)

// hookedPackages are the packages whose Netstack tests and FuzzNetstack seeds need the hooked
// build: the adapter's controlled mode, the conformance table, the witnesses and the seeds.
var hookedPackages = []string{"./stack/netstack/...", "./stack/conformance", "./corpus", "./fuzz"}

// TestHooked is the launcher: from the plain build, it generates the hooked build of gVisor and
// runs, in one subprocess on it, go vet of the hooked packages and the Netstack tests (with -race when
// this binary has it). The subprocess's output is this test's log.
func TestHooked(t *testing.T) {
	if Hooked {
		t.Skip("this is the hooked build: the launcher runs from the plain one")
	}
	modroot, err := ModRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Ensure(modroot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInputs(b, modroot, hookedPackages...); err != nil {
		t.Fatal(err)
	}
	run(t, "vet", Go(b, modroot, "vet", hookedPackages...))
	args := []string{"-run", "Netstack", "-count", "1"}
	if Race {
		args = append(args, "-race")
	}
	if d, ok := t.Deadline(); ok {
		args = append(args, "-timeout", time.Until(d).Truncate(time.Second).String())
	}
	run(t, "test", Go(b, modroot, "test", append(args, hookedPackages...)...))
}

// run runs cmd, logging its output (stdout and stderr) line by line, and fails the test if it
// fails.
func run(t *testing.T, what string, cmd *exec.Cmd) {
	t.Helper()
	t.Log(cmd.String())
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		t.Log(sc.Text())
	}
	_, _ = io.Copy(io.Discard, pr)
	if err := <-done; err != nil {
		t.Fatalf("hooked go %s failed: %v", what, err)
	}
}
