package hunt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envFake makes the test binary a fake go test -fuzz process of the sockfuzz strategy (the
// runner's fuzzBin), ending as fakeFuzz says.
const envFake = "SOCKFUZZ_TEST_FAKE_GOTEST"

// TestMain runs the tests, or, in a process a trial starts, the fake.
func TestMain(m *testing.M) {
	if mode := os.Getenv(envFake); mode != "" {
		os.Exit(fakeFuzz(mode))
	}
	os.Exit(m.Run())
}

// fakeFuzz prints what go test -fuzz would for one ending, in the trial's directory.
func fakeFuzz(mode string) int {
	target := "FuzzX"
	for i, a := range os.Args[:len(os.Args)-1] {
		if a == "-test.fuzz" {
			target = strings.Trim(os.Args[i+1], "^$")
		}
	}
	fmt.Println("fuzz: elapsed: 0s, gathering baseline coverage: 3/3 completed, now fuzzing with 1 workers")
	fmt.Println("fuzz: elapsed: 3s, execs: 1000 (333/sec), new interesting: 4 (total: 7)")
	kill := func() int {
		p, _ := os.FindProcess(os.Getpid())
		_ = p.Kill()
		time.Sleep(time.Minute) // the kill is asynchronous
		return 2
	}
	switch mode {
	case "75804":
		fmt.Printf("--- FAIL: %s (24.10s)\n    context deadline exceeded\nFAIL\n", target)
		return 1
	case "killed":
		return kill()
	case "killed-then-found":
		// The first process is killed; the second, on the same cache, finds the fault.
		if _, err := os.Stat("ran-once"); err != nil {
			if err := os.WriteFile("ran-once", nil, 0o644); err != nil {
				fmt.Println(err)
				return 2
			}
			return kill()
		}
		name := filepath.Join("testdata", "fuzz", target, "0123abcd")
		fmt.Printf("--- FAIL: %s (1.00s)\n    --- FAIL: %s (0.00s)\n        fuzz_test.go:21: socket leak: not freed\n", target, target)
		fmt.Printf("            socket leak: not freed [socket-leak] thread 0 step 10\n    \n    Failing input written to %s\nFAIL\n", name)
		return 1
	case "broken":
		fmt.Printf("--- FAIL: %s (0.01s)\n    fuzzing process terminated without fuzzing: EOF\nFAIL\n", target)
		return 1
	}
	fmt.Printf("fake go test: unknown mode %q\n", mode)
	return 2
}

// TestSockfuzzEndings runs the sockfuzz strategy's trial on a fake go test -fuzz process that
// ends each way, and checks the trial's result: #75804 is a miss like a clean end (not a
// failure of another oracle), a kill is followed by a restart on the same cache, processes
// that keep dying and a binary that cannot fuzz are errors (which a resume reruns).
func TestSockfuzzEndings(t *testing.T) {
	tests := []struct {
		mode  string
		found bool
		title string
		err   string
		log   string
	}{
		{mode: "75804", log: "go test -fuzz ended with golang/go#75804's 'context deadline exceeded' and no crash input"},
		{mode: "killed-then-found", found: true, title: "socket leak: not freed",
			log: "go test -fuzz was killed (out of memory?): signal: killed, no crash input; process counted as ended"},
		{mode: "killed", err: "go test -fuzz ended 5 times without a crash input before the cap; the last: go test -fuzz was killed (out of memory?)"},
		{mode: "broken", err: "go test -fuzz: go test -fuzz failed with no crash input: fuzzing process terminated without fuzzing: EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			t.Setenv(envFake, tc.mode)
			var log bytes.Buffer
			r := &runner{cfg: Config{Target: "FuzzSockets", Cap: time.Minute, WorkDir: t.TempDir(), Log: &log}, fuzzBin: os.Args[0]}
			res := r.trial(context.Background(), Key{"abort-lost-sofree", Sockfuzz, 0, 60})
			if res.Found != tc.found || res.Title != tc.title || len(res.Other) != 0 {
				t.Errorf("found %v %q, other %q; want %v %q, no other", res.Found, res.Title, res.Other, tc.found, tc.title)
			}
			if (tc.err == "") != (res.Error == "") || !strings.Contains(res.Error, tc.err) {
				t.Errorf("error %q, want %q", res.Error, tc.err)
			}
			if !strings.Contains(log.String(), tc.log) {
				t.Errorf("log %q lacks %q", log.String(), tc.log)
			}
		})
	}
}
