package hunt

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestResultsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	want := []Result{
		{Fault: "abort-twice", Strategy: Sockfuzz, Trial: 0, Cap: 90, Found: true, Seconds: 1.5, Execs: 42,
			Title: "t|1", Oracle: "use-after-soclose", Other: []string{"x"}},
		{Fault: "abort-twice", Strategy: Stress, Trial: 1, Cap: 90, Seconds: 90, Execs: 7},
	}
	for _, r := range want {
		if err := AppendResult(path, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if none, err := ReadResults(filepath.Join(t.TempDir(), "missing.jsonl")); err != nil || none != nil {
		t.Errorf("missing file = %v, %v; want no results, no error", none, err)
	}
}

func TestReadResultsBadLines(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"not json", "{\"fault\":\"a\",\"strategy\":\"random\",\"cap_s\":1}\nnope\n", "r.jsonl:2: want one JSON trial result"},
		{"unknown field", `{"fault":"a","strategy":"random","cap_s":1,"colour":1}`, "r.jsonl:1:"},
		{"no cap", `{"fault":"a","strategy":"random"}`, "r.jsonl:1: want fault, strategy and a positive cap_s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.jsonl")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadResults(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadResults error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestPlanSkipsDoneTrials(t *testing.T) {
	cfg := Config{Faults: []string{"abort-twice", "so-state-rmw"}, Strategies: []string{Sockfuzz, Stress},
		Trials: map[string]int{Sockfuzz: 2, Stress: 1}, Cap: 90 * time.Second}
	done := Done([]Result{
		{Fault: "abort-twice", Strategy: Sockfuzz, Trial: 0, Cap: 90},
		{Fault: "so-state-rmw", Strategy: Stress, Trial: 0, Cap: 90, Error: "boom"}, // errors rerun
		{Fault: "so-state-rmw", Strategy: Sockfuzz, Trial: 1, Cap: 30},              // another cap
	})
	got, err := Plan(cfg, done)
	if err != nil {
		t.Fatal(err)
	}
	want := []Key{
		{"abort-twice", Stress, 0, 90},
		{"so-state-rmw", Sockfuzz, 0, 90},
		{"so-state-rmw", Stress, 0, 90},
		{"abort-twice", Sockfuzz, 1, 90},
		{"so-state-rmw", Sockfuzz, 1, 90},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Plan:\n got %v\nwant %v", got, want)
	}
	if _, err := Plan(Config{Faults: []string{"nosuch"}, Strategies: []string{Random}, Trials: map[string]int{Random: 1}}, nil); err == nil {
		t.Error("Plan accepted an unknown fault")
	}
}

// TestRunResumes runs strategy (c) for real on a fault the random schedules find at once,
// then reruns: the recorded trials are skipped and the file is unchanged.
func TestRunResumes(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Faults: []string{"abort-lost-sofree"}, Strategies: []string{Random},
		Trials: map[string]int{Random: 2}, Cap: 30 * time.Second, Jobs: 2, FuzzTarget: "FuzzSockets",
		Results: filepath.Join(dir, "r.jsonl"), WorkDir: dir, Log: io.Discard}
	n, err := Run(context.Background(), cfg)
	if err != nil || n != 2 {
		t.Fatalf("Run = %d, %v; want 2 trials", n, err)
	}
	results, err := ReadResults(cfg.Results)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Found || r.Oracle != "socket-leak" || r.Title == "" || r.Execs < 1 {
			t.Errorf("trial %d = %+v, want a socket-leak report found", r.Trial, r)
		}
	}
	before, _ := os.ReadFile(cfg.Results)
	n, err = Run(context.Background(), cfg)
	if err != nil || n != 0 {
		t.Errorf("rerun = %d, %v; want 0 trials", n, err)
	}
	after, _ := os.ReadFile(cfg.Results)
	if !bytes.Equal(before, after) {
		t.Error("rerun changed the results file")
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 2, 3}, 2.5},
	}
	for _, tc := range tests {
		if got := median(tc.xs); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestSummarizeFixture(t *testing.T) {
	results, err := ReadResults("testdata/results.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(results)
	type rowWant struct {
		found, trials int
		median        float64
		medianMiss    bool
		max           float64
		anyMiss       bool
		execs         int64
	}
	want := map[[2]string]rowWant{
		{"abort-twice", Sockfuzz}:  {2, 3, 4, false, 4, true, 2000},
		{"abort-twice", Stress}:    {1, 2, 75, true, 60, true, 4000}, // (60 + cap 90) / 2
		{"so-state-rmw", Sockfuzz}: {1, 1, 1, false, 1, false, 10},
		{"so-state-rmw", Stress}:   {0, 1, 90, true, 0, true, 0},         // the error trial is left out
		{"so-state-rmw", Random}:   {1, 1, 0.25, false, 0.25, false, 10}, // the later result of trial 0
	}
	if len(s.Rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(s.Rows), len(want), s.Rows)
	}
	for _, r := range s.Rows {
		w, ok := want[[2]string{r.Fault, r.Strategy}]
		got := rowWant{r.Found, r.Trials, r.Median, r.MedianMiss, r.Max, r.AnyMiss, r.MedianExecs}
		if !ok || got != w {
			t.Errorf("row %s/%s = %+v, want %+v", r.Fault, r.Strategy, got, w)
		}
	}
	// Median over faults of the per-fault medians, misses as the cap.
	wantStrat := map[string]float64{Sockfuzz: 2.5, Stress: 82.5, Random: 0.25}
	if !reflect.DeepEqual(s.StrategyMedian, wantStrat) {
		t.Errorf("strategy medians = %v, want %v", s.StrategyMedian, wantStrat)
	}
	md := string(s.Markdown("hunt.svg"))
	for _, frag := range []string{
		"| abort-twice | sockfuzz | 2/3 | 4.00s | >90s | 2000 | use after soclose: soabort |",
		"| abort-twice | stress | 1/2 | >75s | >90s | 4000 | use after soclose: soabort |",
		"| so-state-rmw | stress | 0/1 | >90s | >90s | - |  |",
		"| sockfuzz | 2 | 2 | 2.50s |",
		"Ratio (b)/(a), stress over sockfuzz on that median: **33.0x**",
		"Found by sockfuzz and never by stress: so-state-rmw.",
		"![exposure curves](hunt.svg)",
		"- abort-twice / stress: go -race: DATA RACE in x",
		"separate process",
	} {
		if !strings.Contains(md, frag) {
			t.Errorf("report lacks %q:\n%s", frag, md)
		}
	}
}

func TestSVGWellFormed(t *testing.T) {
	results, err := ReadResults("testdata/results.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	svg := Summarize(results).SVG()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	polylines, root := 0, ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG not well-formed: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			if se.Name.Local == "polyline" {
				polylines++
			}
		}
	}
	// The aggregate panel has a curve per strategy (3); abort-twice's panel 2, so-state-rmw's 3.
	if root != "svg" || polylines != 3+2+3 {
		t.Errorf("root %q with %d curves, want svg with 8", root, polylines)
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	report, svg := filepath.Join(dir, "hunt.md"), filepath.Join(dir, "hunt.svg")
	if _, err := WriteReport("testdata/results.jsonl", report, svg); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(md, []byte("(hunt.svg)")) {
		t.Error("report does not link the SVG beside it")
	}
	if _, err := os.Stat(svg); err != nil {
		t.Error(err)
	}
}
