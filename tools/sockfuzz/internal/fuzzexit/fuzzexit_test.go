package fuzzexit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for a process that exits in a chosen way.
func TestMain(m *testing.M) {
	switch os.Getenv("FUZZEXIT_TEST_EXIT") {
	case "":
		os.Exit(m.Run())
	case "kill":
		p, _ := os.FindProcess(os.Getpid())
		_ = p.Kill()
		select {} // the kill is asynchronous
	case "3":
		os.Exit(3)
	}
	os.Exit(0)
}

// feed reads a fixture into an Output.
func feed(t *testing.T, file, target string) *Output {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	o := New(target)
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		o.Line(l)
	}
	return o
}

func TestEnd(t *testing.T) {
	exit1 := Exit{Code: 1}
	killed := Exit{Code: -1, Signal: "killed"}
	tests := []struct {
		file, target string
		exit         Exit
		stop         Stop
		kind         Kind
		detail       string
		oom          bool
		written      []string
		seeds        []string
	}{
		{"clean.txt", "FuzzIdle", Exit{}, NotStopped, Clean, "exit status 0", false, nil, nil},
		{"75804.txt", "FuzzIdle", exit1, NotStopped, Deadline, "context deadline exceeded", false, nil, nil},
		{"75804-asyncwakeup.txt", "FuzzAsyncWakeup", exit1, NotStopped, Deadline, "context deadline exceeded", false, nil, nil},
		// The FAIL block must be the target's own, whole name.
		{"75804.txt", "FuzzIdl", exit1, NotStopped, Broken, "exit status 1", false, nil, nil},
		// The shape, but not testing's exit status for a failed target.
		{"75804.txt", "FuzzIdle", Exit{Code: 2}, NotStopped, Broken, "exit status 2", false, nil, nil},
		{"crash.txt", "FuzzCrash", exit1, NotStopped, Crash, "exit status 1", false,
			[]string{"testdata/fuzz/FuzzCrash/67fd139eb167d6a9"}, nil},
		// A target's own failure that reads "context deadline exceeded" is a crash like any.
		{"crash-deadline-message.txt", "FuzzCtx", exit1, NotStopped, Crash, "exit status 1", false,
			[]string{"testdata/fuzz/FuzzCtx/b7d5a80d62440f88"}, nil},
		{"seedfail.txt", "FuzzSeedFail", exit1, NotStopped, Crash, "exit status 1", false, nil, []string{"seed#0"}},
		// A crash input wins over the caller's stop and over a kill that came after it.
		{"crash.txt", "FuzzCrash", killed, StopDeadline, Crash, "signal: killed", false,
			[]string{"testdata/fuzz/FuzzCrash/67fd139eb167d6a9"}, nil},
		// A hung input is written as a crash input ("hung or terminated unexpectedly" with it).
		{"hung-input.txt", "FuzzHang", exit1, NotStopped, Crash, "exit status 1", false,
			[]string{"testdata/fuzz/FuzzHang/0fd7014a837b8525"}, nil},
		{"worker-killed.txt", "FuzzWorkerKill", exit1, NotStopped, WorkerKilled,
			"fuzzing process terminated by unexpected signal; no crash will be recorded: signal: killed", true, nil, nil},
		{"worker-gone.txt", "FuzzIdle", exit1, NotStopped, WorkerHung,
			"fuzzing process hung or terminated unexpectedly: exit status 2", false, nil, nil},
		{"communicating.txt", "FuzzIdle", exit1, NotStopped, WorkerHung,
			"communicating with fuzzing process: read |0: file already closed", false, nil, nil},
		{"killed.txt", "FuzzIdle", killed, NotStopped, Killed, "signal: killed", true, nil, nil},
		{"killed.txt", "FuzzIdle", Exit{Code: -1, Signal: "hangup"}, NotStopped, Killed, "signal: hangup", false, nil, nil},
		{"killed.txt", "FuzzIdle", killed, StopDeadline, Overran, "signal: killed", false, nil, nil},
		{"interrupted.txt", "FuzzIdle", Exit{}, StopInterrupt, Interrupted, "exit status 0", false, nil, nil},
		{"interrupted.txt", "FuzzIdle", Exit{}, StopDeadline, Overran, "exit status 0", false, nil, nil},
		{"clean.txt", "FuzzIdle", Exit{Code: -1, Err: exec.ErrWaitDelay}, NotStopped, WorkerHung, exec.ErrWaitDelay.Error(), false, nil, nil},
		{"clean.txt", "FuzzIdle", Exit{Code: -1, Err: errors.New("wait: no child processes")}, NotStopped, Broken,
			"wait: no child processes", false, nil, nil},
		{"no-fuzzing.txt", "FuzzInternal", exit1, NotStopped, Broken, "fuzzing process terminated without fuzzing: EOF", false, nil, nil},
		{"internal-failure.txt", "FuzzIdle", exit1, NotStopped, Broken,
			"fuzzing process exited unexpectedly due to an internal failure: exit status 70", false, nil, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.file, tc.target, tc.exit), func(t *testing.T) {
			o := feed(t, tc.file, tc.target)
			e := o.End(tc.exit, tc.stop)
			if e.Kind != tc.kind || e.Detail != tc.detail || e.Target != tc.target {
				t.Errorf("End = %v %q %q, want %v %q %q", e.Kind, e.Detail, e.Target, tc.kind, tc.detail, tc.target)
			}
			if e.OutOfMemory() != tc.oom {
				t.Errorf("OutOfMemory = %v for %v %q", e.OutOfMemory(), e.Kind, e.Detail)
			}
			if !reflect.DeepEqual(o.Written, tc.written) || !reflect.DeepEqual(o.SeedFailures, tc.seeds) {
				t.Errorf("written %q seed failures %q, want %q %q", o.Written, o.SeedFailures, tc.written, tc.seeds)
			}
		})
	}
}

// TestEndingString checks the log sentences that name the cause, the words an operator greps.
func TestEndingString(t *testing.T) {
	tests := []struct {
		e    Ending
		want string
	}{
		{Ending{Kind: Deadline, Detail: "context deadline exceeded"}, "golang/go#75804's 'context deadline exceeded' and no crash input"},
		{Ending{Kind: Killed, Detail: "signal: killed"}, "killed (out of memory?)"},
		{Ending{Kind: Killed, Detail: "signal: hangup"}, "killed by a signal: signal: hangup"},
		{Ending{Kind: WorkerKilled, Detail: "... no crash will be recorded: signal: killed"}, "worker was killed (out of memory?)"},
		{Ending{Kind: WorkerHung, Detail: "fuzzing process hung or terminated unexpectedly: exit status 2"}, "hung or died"},
		{Ending{Kind: Overran, Detail: "signal: killed"}, "ran past its deadline"},
		{Ending{Kind: Broken, Detail: "exit status 2"}, "failed with no crash input: exit status 2"},
	}
	for _, tc := range tests {
		if got := tc.e.String(); !strings.Contains(got, tc.want) {
			t.Errorf("%v: %q, want it to contain %q", tc.e.Kind, got, tc.want)
		}
	}
}

// TestExitOf reads the wait errors of real processes: the test binary itself, made to exit
// 0, exit 3 or kill itself.
func TestExitOf(t *testing.T) {
	tests := []struct {
		mode string
		want Exit
	}{
		{"0", Exit{}},
		{"3", Exit{Code: 3}},
		{"kill", Exit{Code: -1, Signal: "killed"}},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			if tc.mode == "kill" && runtime.GOOS == "windows" {
				t.Skip("no signal statuses on Windows")
			}
			cmd := exec.Command(os.Args[0], "-test.run", "^$")
			cmd.Env = append(os.Environ(), "FUZZEXIT_TEST_EXIT="+tc.mode)
			if got := ExitOf(cmd.Run()); got != tc.want {
				t.Errorf("ExitOf = %+v, want %+v", got, tc.want)
			}
		})
	}
	if got := ExitOf(exec.ErrWaitDelay); got.Err != exec.ErrWaitDelay || got.Code != -1 {
		t.Errorf("ExitOf(ErrWaitDelay) = %+v", got)
	}
}
