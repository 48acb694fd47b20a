package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockfuzz/sockfuzz/repro"
)

// TestFuzzSurvivesKill runs `sockfuzz fuzz` for real with a fault whose crash the seeds find at
// once, SIGKILLs it in the middle of a round after it has stored a crasher and grown its
// corpus, starts it again, and checks that every corpus input and every stored crasher is still
// there, and that the restart left no crash input unprocessed.
func TestFuzzSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the fuzzer for real for about 40 s (builds sockfuzz and the fuzz test binary)")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "sockfuzz")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work, store := filepath.Join(tmp, "work"), filepath.Join(tmp, "store")
	args := []string{"fuzz", "-targets", "FuzzSockets", "-faults", "abort-lost-sofree", "-jobs", "1",
		"-round", "8s", "-status", "1s", "-workdir", work, "-store", store}

	// First run: kill it two seconds into a round that starts after a crasher is stored.
	cmd := exec.Command(bin, append(args, "-duration", "2m")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	stored, armed := false, false
	// A hang guard, not a timing: a cold build cache under a parallel go test ./... has taken
	// over 90 s to build the instrumented binary before the first round.
	deadline := time.After(6 * time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the runner ended before it could be killed:\n%s", log.String())
			}
			log.WriteString(l + "\n")
			stored = stored || strings.Contains(l, ": stored ")
			// A status line of a round that began after the store: the child is fuzzing.
			if stored && strings.HasPrefix(l, "round ") {
				armed = true
			}
			if armed && strings.Contains(l, " execs/s ") {
				break wait
			}
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no crasher stored and round started within 6 minutes:\n%s", log.String())
		}
	}
	// Snapshot before the kill: whatever is on disk now must survive it.
	corpus := snapshot(t, filepath.Join(work, "cache", "FuzzSockets"))
	crashers := snapshot(t, store)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	cmd.Wait()
	if len(corpus) == 0 || len(crashers) == 0 {
		t.Fatalf("nothing to lose: %d corpus inputs, %d crashers at the kill\n%s", len(corpus), len(crashers), log.String())
	}
	t.Logf("killed with %d corpus inputs and %d crashers", len(corpus), len(crashers))

	// The restart.
	re := exec.Command(bin, append(args, "-duration", "10s")...)
	reOut, err := re.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		t.Fatalf("restart: %v\n%s", err, reOut)
	}
	after := snapshot(t, filepath.Join(work, "cache", "FuzzSockets"))
	for name, sum := range corpus {
		if after[name] != sum {
			t.Errorf("corpus input %s lost or changed by the kill and restart", name)
		}
	}
	s, err := repro.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Load()
	if err != nil {
		t.Fatalf("the store does not read after the restart: %v", err)
	}
	files := map[string]bool{}
	for _, c := range all {
		files[filepath.Base(c.File)] = true
	}
	for name := range crashers {
		if !files[name] {
			t.Errorf("crasher %s lost by the kill and restart", name)
		}
	}
	pending, _ := os.ReadDir(filepath.Join(work, "crashers", "pending", "FuzzSockets"))
	// run/ holds the package's seed files and nothing else.
	seeds := snapshot(t, filepath.Join("..", "..", "fuzz", "testdata", "fuzz", "FuzzSockets"))
	var left []string
	for name := range snapshot(t, filepath.Join(work, "run", "testdata", "fuzz", "FuzzSockets")) {
		if _, ok := seeds[name]; !ok {
			left = append(left, name)
		}
	}
	if len(pending) != 0 || len(left) != 0 {
		t.Errorf("after the restart %d crash inputs are pending and %d left in run/", len(pending), len(left))
	}
	if t.Failed() {
		t.Logf("first run:\n%s\nrestart:\n%s", log.String(), reOut)
	}
}

// snapshot returns the files of a directory by name, with their contents' hashes.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	m := map[string][32]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = sha256.Sum256(b)
	}
	return m
}
