package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sockfuzz/sockfuzz/repro"
)

// What a row's rate counts.
const (
	// UnitInputs: inputs the engine ran (go test -fuzz, libFuzzer). Executions are inputs
	// times the schedules per input (Row.Schedules, 1 here).
	UnitInputs = "inputs"
	// UnitExecutions: executions, one schedule of one program each.
	UnitExecutions = "execs"
	// UnitDecodes: inputs decoded into programs, nothing executed.
	UnitDecodes = "decodes"
)

// Row is one measurement: a rate per round and their median.
type Row struct {
	Key      string   `json:"key"`
	Sections []string `json:"sections"`
	Label    string   `json:"label"`
	Tree     string   `json:"tree"` // "current" or "ref"
	Engine   string   `json:"engine"`
	Workers  int      `json:"workers"`
	// Unit is what Rates count (UnitInputs, UnitExecutions, UnitDecodes).
	Unit string `json:"unit"`
	// Schedules is the schedules per input (SOCKFUZZ_SCHEDULES): executions = inputs x this.
	Schedules int       `json:"schedules"`
	Rates     []float64 `json:"rates"`  // per round, Unit per second of wall time
	Median    float64   `json:"median"` // Unit per second of wall time
	// ExecsPerSec is Median in executions per second (0 for decodes).
	ExecsPerSec float64 `json:"execs_per_sec"`
	// EachNs is the wall time of one execution (of one decode for UnitDecodes) at the median,
	// in nanoseconds.
	EachNs float64 `json:"each_ns"`
	// CPURates, CPUMedian and CPUEachNs are the same per second of CPU time of the processes
	// that ran the measurement (0 when unknown).
	CPURates  []float64 `json:"cpu_rates"`
	CPUMedian float64   `json:"cpu_median"`
	CPUEachNs float64   `json:"cpu_each_ns"`
	Error     string    `json:"error,omitempty"`
}

// Ratio is a figure computed from two or three rows' medians.
type Ratio struct {
	Section string  `json:"section"`
	Label   string  `json:"label"`
	Value   float64 `json:"value"` // from the wall-time medians
	// CPUValue is the same from the CPU-time medians; 0 when a row has none.
	CPUValue float64 `json:"cpu_value"`
	// Percent: Value is a share of the time of an execution, printed as a percentage;
	// otherwise a ratio, printed as "2.31x".
	Percent bool `json:"percent,omitempty"`
}

// Report is a bench run's result.
type Report struct {
	Command      string              `json:"command"`
	Date         string              `json:"date"`
	Took         string              `json:"took"`
	NumCPU       int                 `json:"nproc"`
	GoVersion    string              `json:"go_version"`
	Platform     string              `json:"platform"`
	LoadBefore   string              `json:"loadavg_before,omitempty"`
	LoadAfter    string              `json:"loadavg_after,omitempty"`
	Duration     string              `json:"duration"`
	Rounds       int                 `json:"rounds"`
	Jobs         int                 `json:"jobs"`
	Sections     []string            `json:"sections"`
	Current      TreeInfo            `json:"current"`
	Ref          *TreeInfo           `json:"ref,omitempty"`
	SeedPrograms int                 `json:"seed_programs,omitempty"`
	Rows         []Row               `json:"rows"`
	Ratios       []Ratio             `json:"ratios"`
	Notes        map[string][]string `json:"notes,omitempty"`
}

func newReport(cfg *Config) *Report {
	r := &Report{
		Command:    "sockfuzz " + strings.Join(os.Args[1:], " "),
		Date:       time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		NumCPU:     runtime.NumCPU(),
		GoVersion:  runtime.Version(),
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
		LoadBefore: loadAvg(),
		Duration:   cfg.Duration.String(),
		Rounds:     cfg.Rounds,
		Jobs:       cfg.Jobs,
		Notes:      map[string][]string{},
	}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		r.GoVersion = strings.TrimSpace(string(out))
	}
	for _, s := range Sections {
		if cfg.has(s) {
			r.Sections = append(r.Sections, s)
		}
	}
	return r
}

func (r *Report) note(section, s string) { r.Notes[section] = append(r.Notes[section], s) }

// loadAvg is the first three fields of /proc/loadavg, "" where there is none.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// median of xs (the mean of the middle two for an even count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// finish fills the rows from the measurements and computes the ratios.
func (r *Report) finish(ms []*measurement, took time.Duration) {
	r.Took = took.Round(time.Second).String()
	r.LoadAfter = loadAvg()
	by := map[string]*Row{}
	for _, m := range ms {
		row := m.row
		var cpuOK = len(m.rates) > 0
		for _, x := range m.rates {
			row.Rates = append(row.Rates, x.Wall)
			row.CPURates = append(row.CPURates, x.CPU)
			cpuOK = cpuOK && x.CPU > 0
		}
		row.Median = median(row.Rates)
		if cpuOK {
			row.CPUMedian = median(row.CPURates)
		}
		if m.err != nil {
			row.Error = m.err.Error()
		}
		// Executions per unit: the schedules of an input, one for a decode (not an execution).
		per := float64(max(row.Schedules, 1))
		if row.Unit == UnitDecodes {
			per = 1
		} else if row.Median > 0 {
			row.ExecsPerSec = row.Median * per
		}
		if row.Median > 0 {
			row.EachNs = 1e9 / (row.Median * per)
		}
		if row.CPUMedian > 0 {
			row.CPUEachNs = 1e9 / (row.CPUMedian * per)
		}
		r.Rows = append(r.Rows, row)
	}
	for i := range r.Rows {
		by[r.Rows[i].Key] = &r.Rows[i]
	}
	wall, cpu := ratios(by, r.Jobs, false), ratios(by, r.Jobs, true)
	for _, x := range wall {
		for _, y := range cpu {
			if y.Label == x.Label {
				x.CPUValue = y.Value
			}
		}
		r.Ratios = append(r.Ratios, x)
	}
}

// ratios computes the figures each section prints below its rows, from the wall-time medians
// or the CPU-time ones. A figure whose rows are missing (not selected, skipped, failed, or
// without CPU time) is left out.
func ratios(by map[string]*Row, jobs int, cpu bool) []Ratio {
	var out []Ratio
	rate := func(key string) float64 {
		row := by[key]
		switch {
		case row == nil || row.Error != "":
			return 0
		case cpu:
			return row.CPUMedian
		}
		return row.Median
	}
	ratio := func(section, label, num, den string) {
		if a, b := rate(num), rate(den); a > 0 && b > 0 {
			out = append(out, Ratio{Section: section, Label: label, Value: a / b})
		}
	}
	gj := fmt.Sprintf("gofuzz/%%s/%d", jobs)
	ratio(SectionCeiling, "FuzzTrivial / FuzzSockets (current), executions per second", "trivial", fmt.Sprintf(gj, "current"))
	ratio(SectionCeiling, "FuzzSockets current / ref", fmt.Sprintf(gj, "current"), fmt.Sprintf(gj, "ref"))

	a, a1, a2, b, bc, cs, c := "inproc/"+stepBareFree, "inproc/"+stepBareCtl, "inproc/"+stepBareCtlRace,
		"inproc/"+stepControlled, "inproc/"+stepControlledCv, "gofuzz/seedmix/1", "gofuzz/current/1"
	ratio(SectionCost, "(b)/(a): the controlled run with every oracle against the bare model (time per execution)", a, b)
	ratio(SectionCost, "(a1)/(a): the controlled scheduler against free mode", a, a1)
	ratio(SectionCost, "(a2)/(a1): the happens-before detector", a1, a2)
	ratio(SectionCost, "(b)/(a2): the oracles and the harness", a2, b)
	if rb, rd := rate(b), rate("inproc/"+stepDecode); rb > 0 && rd > 0 {
		out = append(out, Ratio{Section: SectionCost, Label: "decoding's share of (b): (d)/(b)", Value: rb / rd, Percent: true})
	}
	ratio(SectionCost, "(b')/(b): the coverage instrumentation, same seeds", b, bc)
	ratio(SectionCost, "(c')/(b'): the engine per input, same seeds, same binary", bc, cs)
	if rcs, rb, rbc := rate(cs), rate(b), rate(bc); rcs > 0 && rb > 0 && rbc > 0 {
		out = append(out,
			Ratio{Section: SectionCost, Label: "share of (c') in the model, scheduler, oracles, harness: (b)/(c')", Value: rcs / rb, Percent: true},
			Ratio{Section: SectionCost, Label: "share of (c') in the coverage instrumentation: ((b')-(b))/(c')", Value: rcs * (1/rbc - 1/rb), Percent: true},
			Ratio{Section: SectionCost, Label: "share of (c') in the engine itself: ((c')-(b'))/(c')", Value: 1 - rcs/rbc, Percent: true})
	}
	ratio(SectionCost, "(c)/(c'): the fuzzer's own inputs against the seeds, same engine (time per input)", cs, c)
	ratio(SectionCost, "(c) current / ref", c, "gofuzz/ref/1")

	ratio(SectionLibFuzzer, "libFuzzer / go test -fuzz (current)", "libfuzzer/current", "gofuzz/current/1")
	ratio(SectionLibFuzzer, "libFuzzer / go test -fuzz (ref)", "libfuzzer/ref", "gofuzz/ref/1")
	ratio(SectionLibFuzzer, "go test -fuzz current / ref", "gofuzz/current/1", "gofuzz/ref/1")
	ratio(SectionLibFuzzer, "libFuzzer current / ref", "libfuzzer/current", "libfuzzer/ref")
	return out
}

// sectionTitles head the table's sections.
var sectionTitles = map[string]string{
	SectionCeiling:   "1. The engine's ceiling: go test -fuzz, %d worker(s) each, same duration, minimization off",
	SectionCost:      "2. Where an execution's time goes: FuzzSockets' %d seed programs, one P, one schedule",
	SectionLibFuzzer: "3. libFuzzer (OSS-Fuzz build) against go test -fuzz: FuzzSockets, one worker each, same seeds",
}

// WriteTable prints the report as plain text.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "sockfuzz bench: %s, %d round(s) of %s per measurement, medians; took %s\n", r.Date, r.Rounds, r.Duration, r.Took)
	fmt.Fprintf(w, "machine: nproc %d, %s %s, load average %s before, %s after\n", r.NumCPU, r.GoVersion, r.Platform, r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(w, "current: %s\n", r.Current)
	if r.Ref != nil {
		fmt.Fprintf(w, "ref:     %s\n", r.Ref)
	}
	fmt.Fprintln(w, "every run: SOCKFUZZ_SCHEDULES=1 (one execution per input), faults off, controlled mode")
	fmt.Fprintln(w, "unit: what median/s counts (inputs for the engines; execs = inputs x 1 schedule); each: the time of one execution")
	fmt.Fprintln(w, "per CPU-s: the same per second of CPU time of the processes measured (steadier when the machine is shared)")
	for _, s := range r.Sections {
		fmt.Fprintln(w)
		switch s {
		case SectionCeiling:
			fmt.Fprintf(w, sectionTitles[s]+"\n", r.Jobs)
		case SectionCost:
			fmt.Fprintf(w, sectionTitles[s]+"\n", r.SeedPrograms)
		default:
			fmt.Fprintln(w, sectionTitles[s])
		}
		fmt.Fprintf(w, "  %-62s %-7s %-7s %2s %10s %10s %9s %10s %9s  %s\n", "measurement", "tree", "unit", "w", "median/s", "execs/s", "each", "per CPU-s", "CPU each", "rounds (wall, /s)")
		for _, row := range r.Rows {
			if !slices.Contains(row.Sections, s) {
				continue
			}
			label := row.Label
			if s == SectionCost && row.Key == "gofuzz/current/1" {
				label = "(c) FuzzSockets, go test -fuzz, 1 worker"
			} else if s == SectionCost && row.Key == "gofuzz/ref/1" {
				label = "(c) at the ref, go test -fuzz, 1 worker"
			}
			execs := thousands(row.ExecsPerSec)
			if row.Unit == UnitDecodes {
				execs = "-"
			}
			var rounds []string
			for _, x := range row.Rates {
				rounds = append(rounds, thousands(x))
			}
			fmt.Fprintf(w, "  %-62s %-7s %-7s %2d %10s %10s %9s %10s %9s  %s\n", label, row.Tree, row.Unit, row.Workers,
				thousands(row.Median), execs, nanos(row.EachNs), thousands(row.CPUMedian), nanos(row.CPUEachNs), strings.Join(rounds, " "))
			if row.Error != "" {
				fmt.Fprintf(w, "    FAILED: %s\n", firstLine(row.Error))
			}
		}
		for _, x := range r.Ratios {
			if x.Section != s {
				continue
			}
			fmt.Fprintf(w, "  %-84s %s  %s\n", x.Label, figure(x.Value, x.Percent, "wall"), figure(x.CPUValue, x.Percent, "CPU"))
		}
		if s == SectionCost {
			fmt.Fprintln(w, "  (d)-(c') run the seed programs; (c) runs the fuzzer's own inputs (mutants of them), another mix of programs.")
		}
		for _, n := range r.Notes[s] {
			fmt.Fprintf(w, "  note: %s\n", firstLine(n))
		}
	}
}

// figure formats a ratio ("2.31x wall") or a share ("35.2% wall"), "" for none.
func figure(v float64, percent bool, what string) string {
	switch {
	case v == 0:
		return ""
	case percent:
		return fmt.Sprintf("%6.1f%% %s", 100*v, what)
	}
	return fmt.Sprintf("%6.2fx %s", v, what)
}

// WriteJSON writes the report as indented JSON, atomically (a temporary file renamed).
func (r *Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench report: %w", err)
	}
	if err := repro.WriteFileAtomic(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench report: %w", err)
	}
	return nil
}

// thousands formats a rate with thousands separators, "-" for none.
func thousands(x float64) string {
	if x <= 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return "-"
	}
	if x < 100 {
		return fmt.Sprintf("%.1f", x)
	}
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// nanos formats a time in nanoseconds with a unit that keeps three digits.
func nanos(ns float64) string {
	switch {
	case ns <= 0:
		return "-"
	case ns < 1e3:
		return fmt.Sprintf("%.0fns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1fus", ns/1e3)
	default:
		return fmt.Sprintf("%.2fms", ns/1e6)
	}
}
