package bench

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sockfuzz/sockfuzz/corpus"
	"github.com/sockfuzz/sockfuzz/fuzz"
)

func readLines(t *testing.T, name string) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(src), "\n"), "\n")
}

// TestParseGoFuzz parses a real go test -fuzz log of FuzzSockets (testdata/gofuzz.txt): the
// three progress lines after the seed corpus, nothing from the baseline lines or PASS.
func TestParseGoFuzz(t *testing.T) {
	var got []goFuzzLine
	for _, l := range readLines(t, "gofuzz.txt") {
		if p, ok := parseGoFuzzLine(l); ok {
			got = append(got, p)
		}
	}
	want := []goFuzzLine{{3 * time.Second, 6577, 2192}, {6 * time.Second, 14806, 2743}, {8 * time.Second, 18024, 1511}}
	if len(got) != len(want) {
		t.Fatalf("parsed %d progress lines %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, l := range []string{
		"fuzz: elapsed: 1m3s, execs: 12 (4/sec)",
		"fuzz: elapsed: 2h0m3s, execs: 1234567 (9876/sec), new interesting: 3 (total: 45)",
	} {
		if _, ok := parseGoFuzzLine(l); !ok {
			t.Errorf("%q not parsed", l)
		}
	}
	if p, _ := parseGoFuzzLine("fuzz: elapsed: 1m3s, execs: 12 (4/sec)"); p.Elapsed != 63*time.Second {
		t.Errorf("elapsed 1m3s parsed as %s", p.Elapsed)
	}
	for _, l := range []string{"", "PASS", "fuzz: elapsed: 0s, gathering baseline coverage: 35/35 completed, now fuzzing with 1 workers", "fuzz: elapsed: xs, execs: 1 (1/sec)"} {
		if p, ok := parseGoFuzzLine(l); ok {
			t.Errorf("%q parsed as %+v", l, p)
		}
	}
}

// TestParseLibFuzzer reads a real libFuzzer log of FuzzSockets (testdata/libfuzzer.txt): the
// INITED count, then the Done line and the final statistics, in that order.
func TestParseLibFuzzer(t *testing.T) {
	st := newLibFuzzerStats()
	var events []string
	for _, l := range readLines(t, "libfuzzer.txt") {
		if ev := st.line(l); ev != "" {
			events = append(events, ev)
		}
	}
	if strings.Join(events, ",") != "inited,done" {
		t.Errorf("events %v, want inited then done", events)
	}
	want := libFuzzerStats{Inited: 43, DoneRuns: 17343, DoneSeconds: 9, Units: 17343, AvgPerSec: 1927}
	if *st != want {
		t.Errorf("stats %+v, want %+v", *st, want)
	}
	if st.total() != 17343 {
		t.Errorf("total %d", st.total())
	}
	// Without final statistics the Done line's count is the total.
	st2 := newLibFuzzerStats()
	st2.line("Done 99 runs in 2 second(s)")
	if st2.total() != 99 || st2.Inited != -1 {
		t.Errorf("Done only: %+v", *st2)
	}
}

func TestParseLibFuzzerOptions(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		want      []string
		err       string
	}{
		{"empty", "", nil, ""},
		{"ours", "[libfuzzer]\nentropic_scale_per_exec_time = 1\n", []string{"-entropic_scale_per_exec_time=1"}, ""},
		{"sections", "# c\n[asan]\ndetect_leaks=0\n[libfuzzer]\n\n; c\nmax_len = 300 \ndict=x.dict\n[afl]\nm=1\n",
			[]string{"-max_len=300", "-dict=x.dict"}, ""},
		{"no value", "[libfuzzer]\nmax_len =\n", nil, "F.options:2: want name = value"},
		{"no equals", "[libfuzzer]\nmax_len\n", nil, "F.options:2: want name = value"},
		{"bad name", "[libfuzzer]\n-max_len = 3\n", nil, "F.options:2: want name = value"},
		{"bad header", "[libfuzzer\n", nil, "F.options:1: want a section header"},
	} {
		got, err := parseLibFuzzerOptions("F.options", []byte(tt.src))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// TestParseBench reads go test -bench output (testdata/bench.txt), with and without the
// GOMAXPROCS suffix and the -benchmem columns.
func TestParseBench(t *testing.T) {
	var got []benchLine
	for _, l := range readLines(t, "bench.txt") {
		if b, ok := parseBenchLine(l); ok {
			got = append(got, b)
		}
	}
	if len(got) != 1 || got[0].Name != "BenchmarkHarnessSeeds" || got[0].N != 3543 || got[0].NsPerOp != 387255 ||
		got[0].Metrics[CPUMetric] != 264122 || got[0].Metrics["allocs/op"] != 444 {
		t.Fatalf("parsed %+v", got)
	}
	if b, ok := parseBenchLine("BenchmarkHarnessSeeds-2   	    7196	    366991.5 ns/op"); !ok || b.Name != "BenchmarkHarnessSeeds" || b.NsPerOp != 366991.5 {
		t.Errorf("with a suffix: %+v %v", b, ok)
	}
	for _, l := range []string{"PASS", "goos: linux", "BenchmarkX 10 0 ns/op", "BenchmarkX", "BenchmarkX 10 5 ns/op 3", "BenchmarkX 10 x ns/op"} {
		if b, ok := parseBenchLine(l); ok {
			t.Errorf("%q parsed as %+v", l, b)
		}
	}
}

func TestSteadyRate(t *testing.T) {
	s := func(ms int, n int64) sample { return sample{time.Duration(ms) * time.Millisecond, n} }
	r, err := steadyRate([]sample{s(3000, 6577), s(6000, 14806), s(8000, 18024)})
	if err != nil || math.Abs(r-(18024-6577)/5.0) > 1e-9 {
		t.Errorf("rate %v, %v; want %v", r, err, (18024-6577)/5.0)
	}
	// go test -fuzz's final line repeats the last count as it stops: the run ended before it.
	r, err = steadyRate([]sample{s(3000, 6577), s(6000, 14806), s(9000, 18024), s(9400, 18024)})
	if err != nil || math.Abs(r-(18024-6577)/6.0) > 1e-9 {
		t.Errorf("with a repeated last line: rate %v, %v; want %v", r, err, (18024-6577)/6.0)
	}
	for _, bad := range [][]sample{nil, {s(3000, 10)}, {s(3000, 10), s(3100, 20)}, {s(1000, 20), s(5000, 10)}} {
		if r, err := steadyRate(bad); err == nil {
			t.Errorf("steadyRate(%v) = %v, want an error", bad, r)
		}
	}
	if _, err := steadyRate([]sample{s(3000, 10)}); !errors.Is(err, errTooShort) {
		t.Errorf("one sample: %v, want errTooShort", err)
	}
}

func TestConfigCheck(t *testing.T) {
	good := Config{Duration: 15 * time.Second, Rounds: 3, Jobs: 2, LibFuzzer: LibFuzzerAuto}
	if err := good.Check(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	tests := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Duration = time.Second }, "-duration 1s"},
		{func(c *Config) { c.Duration = 2 * time.Hour }, "-duration 2h0m0s"},
		{func(c *Config) { c.Duration = 5500 * time.Millisecond }, "whole number of seconds"},
		{func(c *Config) { c.Rounds = 0 }, "-rounds 0"},
		{func(c *Config) { c.Rounds = 1000 }, "-rounds 1000"},
		{func(c *Config) { c.Jobs = 0 }, "-jobs 0"},
		{func(c *Config) { c.LibFuzzer = "yes" }, `-libfuzzer "yes"`},
		{func(c *Config) { c.Only = []string{"cost", "speed"} }, `unknown section "speed"`},
		{func(c *Config) { c.Ref = "--all" }, "not a revision"},
	}
	for _, tc := range tests {
		c := good
		tc.mod(&c)
		err := c.Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check() = %v, want an error containing %q", err, tc.want)
		}
	}
	if got := ParseOnly(" cost, ,libfuzzer "); strings.Join(got, "|") != "cost|libfuzzer" {
		t.Errorf("ParseOnly = %q", got)
	}
}

// TestRatios checks the arithmetic of the figures below the rows on made-up medians.
func TestRatios(t *testing.T) {
	rows := map[string]float64{
		"trivial": 80000, "gofuzz/current/2": 4000, "gofuzz/ref/2": 2000,
		"inproc/decode": 100000, "inproc/bare-free": 10000, "inproc/bare-controlled": 8000,
		"inproc/bare-controlled-race": 6000, "inproc/controlled": 5000, "inproc/controlled-coverage": 2500,
		"gofuzz/seedmix/1": 2000,
		"gofuzz/current/1": 2000, "gofuzz/ref/1": 1000, "libfuzzer/current": 1500,
	}
	by := map[string]*Row{}
	for k, v := range rows {
		by[k] = &Row{Key: k, Median: v}
	}
	by["libfuzzer/ref"] = &Row{Key: "libfuzzer/ref", Median: 10, Error: "failed"}
	got := map[string]float64{}
	for _, r := range ratios(by, 2, false) {
		got[r.Label] = r.Value
	}
	// Per CPU-second: a row without CPU time drops out of the figures it is in.
	by["inproc/controlled-coverage"].CPUMedian = 2500
	by["gofuzz/seedmix/1"].CPUMedian = 2000
	cpu := ratios(by, 2, true)
	if len(cpu) != 1 || cpu[0].Label != "(c')/(b'): the engine per input, same seeds, same binary" || cpu[0].Value != 1.25 {
		t.Errorf("CPU figures %+v, want only (c')/(b') = 1.25", cpu)
	}
	want := map[string]float64{
		"FuzzTrivial / FuzzSockets (current), executions per second":                                20,
		"FuzzSockets current / ref":                                                                 2,
		"(b)/(a): the controlled run with every oracle against the bare model (time per execution)": 2,
		"(a1)/(a): the controlled scheduler against free mode":                                      1.25,
		"(a2)/(a1): the happens-before detector":                                                    8000.0 / 6000,
		"(b)/(a2): the oracles and the harness":                                                     1.2,
		"decoding's share of (b): (d)/(b)":                                                          0.05,
		"(b')/(b): the coverage instrumentation, same seeds":                                        2,
		"(c')/(b'): the engine per input, same seeds, same binary":                                  1.25,
		// (c') takes 500 us, (b) 200 us, (b') 400 us.
		"share of (c') in the model, scheduler, oracles, harness: (b)/(c')":                 0.4,
		"share of (c') in the coverage instrumentation: ((b')-(b))/(c')":                    0.4,
		"share of (c') in the engine itself: ((c')-(b'))/(c')":                              0.2,
		"(c)/(c'): the fuzzer's own inputs against the seeds, same engine (time per input)": 1,
		"(c) current / ref":                   2,
		"libFuzzer / go test -fuzz (current)": 0.75,
		"go test -fuzz current / ref":         2,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || math.Abs(g-v) > 1e-9 {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for _, k := range []string{"libFuzzer / go test -fuzz (ref)", "libFuzzer current / ref"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s computed from a failed row", k)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d figures, want %d: %v", len(got), len(want), got)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
	if thousands(1234567) != "1,234,567" || thousands(12.34) != "12.3" || thousands(0) != "-" || nanos(356000) != "356.0us" {
		t.Errorf("formats: %s %s %s %s", thousands(1234567), thousands(12.34), thousands(0), nanos(356000))
	}
}

// TestCostSmoke runs section 2's in-process measurements for a moment each: every figure is
// positive and the programs measured are FuzzSockets' seeds, one per seed program it can
// express.
func TestCostSmoke(t *testing.T) {
	s, err := NewSeeds()
	if err != nil {
		t.Fatal(err)
	}
	// FuzzSockets' seeds: every seed program its profile (all calls) can express.
	n := len(fuzz.NewHarness(fuzz.Sockets).Seeds())
	if n == 0 || n > len(corpus.Seeds()) || len(s.Inputs) != n || len(s.Progs) != n {
		t.Fatalf("%d inputs, %d programs; want FuzzSockets' %d seeds (of %d seed programs)", len(s.Inputs), len(s.Progs), n, len(corpus.Seeds()))
	}
	steps := []string{stepDecode, stepBareFree, stepBareCtl, stepBareCtlRace, stepControlled}
	xs, err := s.interleaved(steps, 2*time.Millisecond, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != len(steps) {
		t.Fatalf("%d rates for %d measurements", len(xs), len(steps))
	}
	var ms []*measurement
	for i, step := range steps {
		x := xs[i]
		if !(x.Wall > 0) || math.IsInf(x.Wall, 0) || x.CPU < 0 || math.IsInf(x.CPU, 0) {
			t.Errorf("%s: %+v per second", step, x)
		}
		ms = append(ms, &measurement{row: Row{Key: "inproc/" + step, Label: inProcessLabels[step], Sections: []string{SectionCost},
			Unit: UnitExecutions, Schedules: 1, Tree: "current", Workers: 1}, rates: []rate{x}})
	}
	if err := s.Step("nope", 0); err == nil {
		t.Error("an unknown step ran")
	}
	// The report of those figures: table and JSON.
	rep := newReport(&Config{Duration: 15 * time.Second, Rounds: 1, Jobs: 2, Only: []string{SectionCost}})
	rep.SeedPrograms = len(s.Inputs)
	rep.finish(ms, time.Second)
	var out strings.Builder
	rep.WriteTable(&out)
	for _, want := range []string{"2. Where an execution's time goes", inProcessLabels[stepBareFree], "(b)/(a)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := rep.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(src, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != len(ms) || back.Rows[0].Median <= 0 || back.SeedPrograms != len(s.Inputs) {
		t.Errorf("JSON round trip: %d rows, first median %v, %d seeds", len(back.Rows), back.Rows[0].Median, back.SeedPrograms)
	}
}
