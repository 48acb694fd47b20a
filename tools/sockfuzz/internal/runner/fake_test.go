package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
)

// The test binary stands in for the fuzz test binary (Config.fake = os.Args[0]) when
// envFake names one of the endings of fakeFuzz.
const (
	envFake      = "SOCKFUZZ_TEST_FAKE_GOTEST"
	envFakeInput = "SOCKFUZZ_TEST_FAKE_INPUT" // crash: a corpus file to write as the crash input
	envFakeSeed  = "SOCKFUZZ_TEST_FAKE_SEED"  // seedfail: the f.Add seed to name as failing
)

// TestMain runs the tests, or, in a process the runner starts, the fake.
func TestMain(m *testing.M) {
	if mode := os.Getenv(envFake); mode != "" {
		os.Exit(fakeFuzz(mode))
	}
	os.Exit(m.Run())
}

// fakeFuzz behaves like the go test -fuzz process the runner starts (its arguments, its
// working directory run/), ending one way, and exits.
func fakeFuzz(mode string) int {
	target, cache := "", ""
	for i, a := range os.Args[:len(os.Args)-1] {
		switch a {
		case "-test.fuzz":
			target = strings.Trim(os.Args[i+1], "^$")
		case "-test.fuzzcachedir":
			cache = os.Args[i+1]
		}
	}
	progress := func() {
		fmt.Println("fuzz: elapsed: 0s, gathering baseline coverage: 0/3 completed")
		fmt.Println("fuzz: elapsed: 0s, gathering baseline coverage: 3/3 completed, now fuzzing with 2 workers")
		fmt.Println("fuzz: elapsed: 3s, execs: 3611 (1203/sec), new interesting: 4 (total: 7)")
	}
	fail := func(msg string) int {
		fmt.Printf("--- FAIL: %s (24.10s)\n    %s\nFAIL\n", target, msg)
		return 1
	}
	// Every round runs on the run's stack target, bsd in these tests: a round without it
	// would run its inputs on whatever the environment said.
	if got := os.Getenv(fuzz.EnvTarget); got != "bsd" {
		return fail(fmt.Sprintf("fuzzing process terminated without fuzzing: %s=%q, want bsd", fuzz.EnvTarget, got))
	}
	// A title already stored is skipped by the real targets (SOCKFUZZ_KNOWN): a crash is
	// found once, and the rounds after it end at their time.
	if mode == "crash" || mode == "seedfail" {
		if known, _ := os.ReadFile(os.Getenv(fuzz.EnvKnown)); len(known) > 0 {
			progress()
			fmt.Println("PASS")
			return 0
		}
	}
	switch mode {
	case "75804":
		progress()
		return fail("context deadline exceeded")
	case "killed":
		progress()
		// The kill lands in the middle of go test's cache write: a truncated entry.
		dir := filepath.Join(cache, target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Println(err)
			return 2
		}
		if err := os.WriteFile(filepath.Join(dir, "truncated"), []byte("go test fuzz v1\n[]byte(\"\\x0"), 0o644); err != nil {
			fmt.Println(err)
			return 2
		}
		p, _ := os.FindProcess(os.Getpid())
		_ = p.Kill()
		time.Sleep(time.Minute) // the kill is asynchronous
		return 2
	case "worker-gone":
		progress()
		return fail("fuzzing process hung or terminated unexpectedly: exit status 2")
	case "hang":
		progress()
		time.Sleep(10 * time.Minute) // until the runner's deadline interrupts it
		return 0
	case "broken":
		return fail("fuzzing process terminated without fuzzing: EOF")
	case "crash":
		progress()
		src, err := os.ReadFile(os.Getenv(envFakeInput))
		if err != nil {
			fmt.Println(err)
			return 2
		}
		name := filepath.Join("testdata", "fuzz", target, filepath.Base(os.Getenv(envFakeInput)))
		if err := os.WriteFile(name, src, 0o644); err != nil {
			fmt.Println(err)
			return 2
		}
		fmt.Printf("--- FAIL: %s (3.02s)\n    --- FAIL: %s (0.00s)\n        fuzz_test.go:21: a report\n    \n", target, target)
		fmt.Printf("    Failing input written to %s\n    To re-run:\n    go test -run=%s/%s\nFAIL\n", name, target, filepath.Base(name))
		return 1
	case "seedfail":
		fmt.Println("fuzz: elapsed: 0s, gathering baseline coverage: 0/3 completed")
		fmt.Printf("failure while testing seed corpus entry: %s/seed#%s\n", target, os.Getenv(envFakeSeed))
		fmt.Printf("--- FAIL: %s (0.01s)\n    --- FAIL: %s (0.00s)\n        fuzz_test.go:21: a report\n    \nFAIL\n", target, target)
		return 1
	}
	fmt.Printf("fake go test: unknown mode %q\n", mode)
	return 2
}
