package bench

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The parsers of the engines' output. Both engines count inputs: with SOCKFUZZ_SCHEDULES=1 an
// input is one execution (one schedule of one input).

// goFuzzLine is one progress line of go test -fuzz:
//
//	fuzz: elapsed: 6s, execs: 516039 (94892/sec), new interesting: 0 (total: 1)
//
// Execs counts the inputs run since the start, the seed corpus included; Rate is over the
// interval since the previous line.
type goFuzzLine struct {
	Elapsed time.Duration // rounded to the second by go test
	Execs   int64
	Rate    int64
}

// goFuzzRE matches a progress line after the seed corpus (the "gathering baseline coverage"
// lines before it have no execs).
var goFuzzRE = regexp.MustCompile(`^fuzz: elapsed: ([0-9hms]+), execs: (\d+) \((\d+)/sec\)`)

// parseGoFuzzLine parses a progress line of go test -fuzz; ok is false for any other line.
func parseGoFuzzLine(s string) (l goFuzzLine, ok bool) {
	m := goFuzzRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return l, false
	}
	d, err := time.ParseDuration(m[1])
	if err != nil {
		return l, false
	}
	execs, err1 := strconv.ParseInt(m[2], 10, 64)
	rate, err2 := strconv.ParseInt(m[3], 10, 64)
	if err1 != nil || err2 != nil {
		return l, false
	}
	return goFuzzLine{Elapsed: d, Execs: execs, Rate: rate}, true
}

// libFuzzerStats is what a libFuzzer run printed: the inputs run when the seed corpus was
// done (the INITED line, "#42	INITED cov: ..."), and the final statistics of
// -print_final_stats=1 ("Done 5123 runs in 15 second(s)", "stat::number_of_executed_units:
// 5123", "stat::average_exec_per_sec: 341").
type libFuzzerStats struct {
	Inited      int64 // inputs run at INITED; -1 before it
	DoneRuns    int64 // from "Done N runs"; -1 before it
	DoneSeconds int64
	Units       int64 // stat::number_of_executed_units; -1 if absent
	AvgPerSec   int64 // stat::average_exec_per_sec; -1 if absent
}

func newLibFuzzerStats() *libFuzzerStats {
	return &libFuzzerStats{Inited: -1, DoneRuns: -1, DoneSeconds: -1, Units: -1, AvgPerSec: -1}
}

var (
	libFuzzerInitedRE = regexp.MustCompile(`^#(\d+)\s+INITED\b`)
	libFuzzerDoneRE   = regexp.MustCompile(`^Done (\d+) runs in (\d+) second`)
	libFuzzerStatRE   = regexp.MustCompile(`^stat::([a-z_]+):\s*(\d+)`)
)

// Events of a libFuzzer log that the caller timestamps.
const (
	libFuzzerInited = "inited"
	libFuzzerDone   = "done"
)

// line takes one line of a libFuzzer log and returns libFuzzerInited or libFuzzerDone when the
// line is one of those, "" otherwise.
func (s *libFuzzerStats) line(l string) string {
	l = strings.TrimSpace(l)
	if m := libFuzzerInitedRE.FindStringSubmatch(l); m != nil {
		s.Inited, _ = strconv.ParseInt(m[1], 10, 64)
		return libFuzzerInited
	}
	if m := libFuzzerDoneRE.FindStringSubmatch(l); m != nil {
		s.DoneRuns, _ = strconv.ParseInt(m[1], 10, 64)
		s.DoneSeconds, _ = strconv.ParseInt(m[2], 10, 64)
		return libFuzzerDone
	}
	if m := libFuzzerStatRE.FindStringSubmatch(l); m != nil {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		switch m[1] {
		case "number_of_executed_units":
			s.Units = n
		case "average_exec_per_sec":
			s.AvgPerSec = n
		}
	}
	return ""
}

// total is the number of inputs the run made: the final statistics', or the Done line's.
func (s *libFuzzerStats) total() int64 {
	if s.Units >= 0 {
		return s.Units
	}
	return s.DoneRuns
}

// benchLine is one result line of go test -bench:
//
//	BenchmarkHarnessSeeds  12345  405123 ns/op  398000 cpu-ns/op  64223 B/op  433 allocs/op
type benchLine struct {
	Name    string // without the -GOMAXPROCS suffix
	N       int64
	NsPerOp float64
	// Metrics holds every "value unit" pair after the count, ns/op included.
	Metrics map[string]float64
}

var benchRE = regexp.MustCompile(`^(Benchmark[^\s-]+)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parseBenchLine parses a result line of go test -bench; ok is false for any other line.
func parseBenchLine(s string) (b benchLine, ok bool) {
	m := benchRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return b, false
	}
	n, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return b, false
	}
	f := strings.Fields(m[3])
	if len(f)%2 != 0 {
		return b, false
	}
	b = benchLine{Name: m[1], N: n, Metrics: map[string]float64{}}
	for i := 0; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return benchLine{}, false
		}
		b.Metrics[f[i+1]] = v
	}
	b.NsPerOp = b.Metrics["ns/op"]
	if b.NsPerOp <= 0 {
		return benchLine{}, false
	}
	return b, true
}

// sample is a count of inputs seen at a moment of a run.
type sample struct {
	At    time.Duration // since the process started
	Count int64
}

// errTooShort is steadyRate's error when a run gave too little to measure.
var errTooShort = errors.New("too few progress samples after the seed corpus (a longer -duration?)")

// steadyRate is the rate between the first and the last sample: the steady state after the
// seed corpus, without the start-up and the corpus' own run. Samples at the end that repeat
// the count before them (go test -fuzz prints its last line again as it stops, "(0/sec)")
// are left out: the run ended at the first of them.
func steadyRate(samples []sample) (float64, error) {
	for len(samples) > 2 && samples[len(samples)-1].Count == samples[len(samples)-2].Count {
		samples = samples[:len(samples)-1]
	}
	if len(samples) < 2 {
		return 0, errTooShort
	}
	first, last := samples[0], samples[len(samples)-1]
	span := last.At - first.At
	if span < 500*time.Millisecond {
		return 0, fmt.Errorf("%w: %s between the first and the last", errTooShort, span)
	}
	if last.Count < first.Count {
		return 0, fmt.Errorf("the count went down from %d to %d", first.Count, last.Count)
	}
	return float64(last.Count-first.Count) / span.Seconds(), nil
}

// parseLibFuzzerOptions returns the flags of the [libfuzzer] section of a fuzz target's options
// file (FuzzX.options beside the binary), as ClusterFuzz passes them: "name = value" becomes
// -name=value. Blank lines and lines starting with # or ; are skipped; anything else in that
// section is an error naming the file and line.
func parseLibFuzzerOptions(name string, src []byte) ([]string, error) {
	var flags []string
	in := false
	for i, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
			continue
		case strings.HasPrefix(l, "["):
			if !strings.HasSuffix(l, "]") {
				return nil, fmt.Errorf("%s:%d: want a section header [name], got %q", name, i+1, l)
			}
			in = l == "[libfuzzer]"
			continue
		case !in:
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || !optionNameRE.MatchString(k) || v == "" {
			return nil, fmt.Errorf("%s:%d: want name = value, got %q", name, i+1, l)
		}
		flags = append(flags, "-"+k+"="+v)
	}
	return flags, nil
}

// optionNameRE matches a libFuzzer flag's name.
var optionNameRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
