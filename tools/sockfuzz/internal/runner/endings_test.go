package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/repro/corpusfile"
)

// failingSeed returns the index and bytes of a FuzzSockets seed that fails with
// abort-lost-sofree.
func failingSeed(t *testing.T) (int, []byte) {
	t.Helper()
	t.Setenv(fuzz.EnvFaults, "abort-lost-sofree")
	for i, s := range fuzz.NewHarness(fuzz.Sockets).Seeds() {
		if fuzz.NewHarness(fuzz.Sockets).Run(s) != "" {
			return i, s
		}
	}
	t.Fatal("no seed of FuzzSockets fails with abort-lost-sofree")
	return 0, nil
}

// TestRunEndings drives Run with a fake go test -fuzz process (fakeFuzz) that ends each round
// one way, and checks that the run goes on, or stops, as that ending calls for, with what it
// found kept.
func TestRunEndings(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		bin     string // the binary to run; "" is the fake (the test binary)
		targets []string
		faults  []string
		jobs    int
		rounds  int           // the run's rounds (Config.maxRounds)
		round   time.Duration // Config.Round; 0 is the default (a minute here)
		grace   time.Duration
		wantErr string                    // the run stops with this error; "" means it goes on
		log     []string                  // lines the log has
		want    map[string]Stats          // by target; only the counts below are compared
		check   func(*testing.T, *runner) // more checks, on the work directory
	}{
		{
			name: "golang/go#75804", mode: "75804", targets: []string{"FuzzAsyncWakeup", "FuzzSoclose"}, rounds: 3,
			log: []string{"FuzzAsyncWakeup: go test -fuzz ended with golang/go#75804's 'context deadline exceeded' and no crash input; round counted as ended",
				"round 2 of FuzzAsyncWakeup:", "round 1 of FuzzSoclose:"},
			want: map[string]Stats{"FuzzAsyncWakeup": {Rounds: 2, Deadline: 2}, "FuzzSoclose": {Rounds: 1, Deadline: 1}},
		},
		{
			name: "killed by SIGKILL", mode: "killed", targets: []string{"FuzzAsyncWakeup"}, jobs: 4, rounds: 3,
			log: []string{"FuzzAsyncWakeup: go test -fuzz was killed (out of memory?): signal: killed, no crash input; round counted as ended",
				"FuzzAsyncWakeup: next rounds with 2 jobs instead of 4", "round 2 of FuzzAsyncWakeup: 1m0s, 2 jobs",
				"round 3 of FuzzAsyncWakeup: 1m0s, 1 jobs", "set aside a cache entry that does not read"},
			want: map[string]Stats{"FuzzAsyncWakeup": {Rounds: 3, Killed: 3}},
			check: func(t *testing.T, r *runner) {
				// The kill's truncated cache entry is set aside; the corpus's whole entry stays.
				if _, err := os.Stat(r.dir("bad-cache", "FuzzAsyncWakeup", "truncated")); err != nil {
					t.Errorf("the truncated cache entry was not set aside: %v", err)
				}
				if _, err := os.Stat(r.dir("cache", "FuzzAsyncWakeup", "whole")); err != nil {
					t.Errorf("a cache entry was lost: %v", err)
				}
			},
		},
		{
			name: "worker gone between inputs", mode: "worker-gone", targets: []string{"FuzzAsyncWakeup"}, rounds: 2,
			log:  []string{"FuzzAsyncWakeup: a fuzzing worker hung or died with no input to blame, no crash input: fuzzing process hung or terminated unexpectedly: exit status 2; round counted as ended"},
			want: map[string]Stats{"FuzzAsyncWakeup": {Rounds: 2, Hung: 2}},
		},
		{
			name: "past the round and its grace", mode: "hang", targets: []string{"FuzzAsyncWakeup"}, rounds: 2,
			round: 100 * time.Millisecond, grace: 100 * time.Millisecond,
			log:  []string{"FuzzAsyncWakeup: go test -fuzz ran past its deadline and was stopped (signal: interrupt), no crash input; round counted as ended"},
			want: map[string]Stats{"FuzzAsyncWakeup": {Rounds: 2, Overran: 2}},
		},
		{
			name: "a binary that cannot fuzz", mode: "broken", targets: []string{"FuzzAsyncWakeup", "FuzzSoclose"}, rounds: 3,
			wantErr: "FuzzAsyncWakeup: go test -fuzz failed with no crash input: fuzzing process terminated without fuzzing: EOF",
			want:    map[string]Stats{"FuzzAsyncWakeup": {Rounds: 1}, "FuzzSoclose": {}},
		},
		{
			name: "a binary that does not start", bin: filepath.Join("testdata", "no-such-fuzz.test"), mode: "75804",
			targets: []string{"FuzzAsyncWakeup"}, rounds: 2,
			wantErr: "FuzzAsyncWakeup: start the fuzzing process:",
			want:    map[string]Stats{"FuzzAsyncWakeup": {Rounds: 1}},
		},
		{
			// The crash is stored; the round goes on for its time (the known title skipped).
			name: "crash input written", mode: "crash", targets: []string{"FuzzSockets"}, faults: []string{"abort-lost-sofree"}, rounds: 2,
			log:  []string{"FuzzSockets: stored ", "round 2 of FuzzSockets:"},
			want: map[string]Stats{"FuzzSockets": {Rounds: 2, New: 1}},
			check: func(t *testing.T, r *runner) {
				done, _ := os.ReadDir(r.dir("crashers", "done", "FuzzSockets"))
				if len(done) != 1 {
					t.Errorf("%d inputs in done/, want the crash input", len(done))
				}
			},
		},
		{
			name: "seed corpus entry failed", mode: "seedfail", targets: []string{"FuzzSockets"}, faults: []string{"abort-lost-sofree"}, rounds: 2,
			log:  []string{"FuzzSockets: stored "},
			want: map[string]Stats{"FuzzSockets": {Rounds: 2, New: 1}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			seed, failing := failingSeed(t)
			t.Setenv(fuzz.EnvFaults, strings.Join(tc.faults, ","))
			file := corpusfile.MarshalGo(failing)
			input := filepath.Join(tmp, corpusfile.GoName(file))
			if err := os.WriteFile(input, file, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv(envFake, tc.mode)
			t.Setenv(envFakeInput, input)
			t.Setenv(envFakeSeed, strconv.Itoa(seed))
			var log bytes.Buffer
			bin := os.Args[0]
			if tc.bin != "" {
				bin = tc.bin
			}
			cfg := Config{Targets: tc.targets, Faults: tc.faults, Duration: time.Hour, Round: tc.round, Jobs: tc.jobs,
				WorkDir: filepath.Join(tmp, "work"), StoreDir: filepath.Join(tmp, "store"), Out: &log,
				fake: bin, maxRounds: tc.rounds, grace: tc.grace}
			whole := filepath.Join(cfg.WorkDir, "cache", tc.targets[0], "whole")
			if err := os.MkdirAll(filepath.Dir(whole), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(whole, corpusfile.MarshalGo([]byte("x")), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Run: %v\n%s", err, log.String())
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Run error = %v, want it to contain %q\n%s", err, tc.wantErr, log.String())
			}
			if found := tc.want[tc.targets[0]].New > 0; res.Found() != found {
				t.Errorf("Found() = %v, want %v", res.Found(), found)
			}
			for _, s := range res.Stats {
				w := tc.want[s.Target]
				got := Stats{Rounds: s.Rounds, New: s.New, Deadline: s.Deadline, Killed: s.Killed, Hung: s.Hung, Overran: s.Overran}
				w.Target, got.Target = s.Target, s.Target
				if got != w {
					t.Errorf("%s: %+v, want %+v", s.Target, got, w)
				}
			}
			for _, l := range tc.log {
				if !strings.Contains(log.String(), l) {
					t.Errorf("the log lacks %q", l)
				}
			}
			if tc.check != nil {
				r := &runner{cfg: cfg}
				tc.check(t, r)
			}
			var sum bytes.Buffer
			res.Summary(&sum)
			if !strings.Contains(sum.String(), "#75804 killed hung overran") {
				t.Errorf("the summary lacks the endings' columns:\n%s", sum.String())
			}
			if t.Failed() {
				t.Logf("log:\n%s", log.String())
			}
		})
	}
}
