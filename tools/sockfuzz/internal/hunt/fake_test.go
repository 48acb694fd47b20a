package hunt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// envFake makes the test binary a fake go test -fuzz process of the sockfuzz strategy (the
// runner's fuzzBin), ending as fakeFuzz says; envFakeInputs lists, comma-separated, the crash
// inputs (go test corpus files) its runs write, one per run that finds something.
const (
	envFake       = "SOCKFUZZ_TEST_FAKE_GOTEST"
	envFakeInputs = "SOCKFUZZ_TEST_FAKE_INPUTS"
)

// TestMain runs the tests, or, in a process a trial starts, the fake.
func TestMain(m *testing.M) {
	if mode := os.Getenv(envFake); mode != "" {
		os.Exit(fakeFuzz(mode))
	}
	os.Exit(m.Run())
}

// fakeFuzz prints what go test -fuzz would for one ending, in the trial's directory. The
// report text it prints for a crash is not the input's: the trial must take the title and the
// oracle from running the input, not from this text.
func fakeFuzz(mode string) int {
	target := "FuzzX"
	for i, a := range os.Args[:len(os.Args)-1] {
		if a == "-test.fuzz" {
			target = strings.Trim(os.Args[i+1], "^$")
		}
	}
	// The runs of one trial share its directory: count them there.
	prev, _ := os.ReadFile("runs")
	run := len(prev)
	if err := os.WriteFile("runs", append(prev, 'x'), 0o644); err != nil {
		fmt.Println(err)
		return 2
	}
	fmt.Println("fuzz: elapsed: 0s, gathering baseline coverage: 3/3 completed, now fuzzing with 1 workers")
	fmt.Println("fuzz: elapsed: 3s, execs: 1000 (333/sec), new interesting: 4 (total: 7)")
	kill := func() int {
		p, _ := os.FindProcess(os.Getpid())
		_ = p.Kill()
		time.Sleep(time.Minute) // the kill is asynchronous
		return 2
	}
	crash := func(input int) int {
		inputs := strings.Split(os.Getenv(envFakeInputs), ",")
		src, err := os.ReadFile(inputs[input])
		if err != nil {
			fmt.Println(err)
			return 2
		}
		name := filepath.Join("testdata", "fuzz", target, fmt.Sprintf("0123abc%d", input))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			fmt.Println(err)
			return 2
		}
		if err := os.WriteFile(name, src, 0o644); err != nil {
			fmt.Println(err)
			return 2
		}
		fmt.Printf("--- FAIL: %s (1.00s)\n    --- FAIL: %s (0.00s)\n        fuzz_test.go:21: printed title\n", target, target)
		fmt.Printf("            printed title [printed-oracle] thread 0 step 10\n    \n    Failing input written to %s\nFAIL\n", name)
		return 1
	}
	switch mode {
	case "75804":
		fmt.Printf("--- FAIL: %s (24.10s)\n    context deadline exceeded\nFAIL\n", target)
		return 1
	case "killed":
		return kill()
	case "killed-then-found":
		// The first process is killed; the second, on the same cache, finds the fault.
		if run == 0 {
			return kill()
		}
		return crash(0)
	case "other-then-found":
		// The first process writes an input that is clean when run again, the second one
		// that exposes the fault.
		return crash(run)
	case "seedfail":
		fmt.Printf("failure while testing seed corpus entry: %s/seed#0\n", target)
		fmt.Printf("--- FAIL: %s (0.01s)\n    --- FAIL: %s (0.00s)\n        fuzz_test.go:21: printed title\nFAIL\n", target, target)
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
// that keep dying and a binary that cannot fuzz are errors (which a resume reruns). A crash
// input's title and oracle are those of its reports when the trial runs it again (the fake
// prints another title): an input that reproduces nothing is noted in Other and fuzzing goes
// on; a seed that fails without the fault's oracle ends the trial as a miss.
func TestSockfuzzEndings(t *testing.T) {
	witness, err := filepath.Abs("testdata/abort-lost-sofree.gofuzz") // the fault's witness, encoded
	if err != nil {
		t.Fatal(err)
	}
	clean, err := filepath.Abs("testdata/clean-seed.gofuzz") // a seed, clean with the fault on
	if err != nil {
		t.Fatal(err)
	}
	const found = "socket leak: not freed"
	tests := []struct {
		mode   string
		inputs []string
		found  bool
		title  string
		other  []string
		err    string
		log    string
	}{
		{mode: "75804", log: "go test -fuzz ended with golang/go#75804's 'context deadline exceeded' and no crash input"},
		{mode: "killed-then-found", inputs: []string{witness}, found: true, title: found,
			log: "go test -fuzz was killed (out of memory?): signal: killed, no crash input; process counted as ended"},
		{mode: "other-then-found", inputs: []string{clean, witness}, found: true, title: found,
			other: []string{"crash input 0123abc0 does not reproduce here"}},
		{mode: "seedfail", other: []string{"crash input seed#0 does not reproduce here", "a seed fails with another oracle: fuzzing cannot start"}},
		{mode: "killed", err: "go test -fuzz ended 5 times without a crash input before the cap; the last: go test -fuzz was killed (out of memory?)"},
		{mode: "broken", err: "go test -fuzz: go test -fuzz failed with no crash input: fuzzing process terminated without fuzzing: EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			t.Setenv(envFake, tc.mode)
			t.Setenv(envFakeInputs, strings.Join(tc.inputs, ","))
			var log bytes.Buffer
			r := &runner{cfg: Config{FuzzTarget: "FuzzSockets", Cap: time.Minute, WorkDir: t.TempDir(), Log: &log}, fuzzBin: os.Args[0]}
			res := r.trial(context.Background(), Key{"abort-lost-sofree", Sockfuzz, 0, 60})
			if res.Found != tc.found || res.Title != tc.title || !slices.Equal(res.Other, tc.other) {
				t.Errorf("found %v %q, other %q; want %v %q, other %q", res.Found, res.Title, res.Other, tc.found, tc.title, tc.other)
			}
			if tc.found && (res.Oracle != "socket-leak" || res.Seconds <= 0) {
				t.Errorf("oracle %q after %.2fs, want socket-leak after a positive time", res.Oracle, res.Seconds)
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
