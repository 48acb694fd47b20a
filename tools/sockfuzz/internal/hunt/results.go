// Package hunt is `sockfuzz hunt`: for each fault of the catalog, independent trials of three
// strategies (coverage-guided go test -fuzz, a -race stress baseline, random schedules) race to
// expose the fault's expected oracle within a time cap. Each trial's result is appended to a
// results file as it ends; the report (a Markdown table and an SVG of exposure curves) is built
// from that file alone, so a hunt can be stopped, resumed and re-reported.
package hunt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The strategies.
const (
	// Sockfuzz is go test -fuzz on a target, controlled scheduler, one worker.
	Sockfuzz = "sockfuzz"
	// Stress is mutated seeds run in free mode under -race, no schedule control.
	Stress = "stress"
	// Random is mutated seeds run under random schedules, no coverage feedback.
	Random = "random"
)

// Strategies lists the strategies in report order.
var Strategies = []string{Sockfuzz, Stress, Random}

// Result is one trial's outcome, one JSON line of the results file.
type Result struct {
	Fault    string  `json:"fault"`
	Strategy string  `json:"strategy"`
	Trial    int     `json:"trial"`
	Cap      float64 `json:"cap_s"`
	// Target is the fuzz target.
	Target string `json:"target,omitempty"`
	// Stack is the stack target the trial ran on, when it is not the default (bsd).
	Stack string `json:"stack,omitempty"`
	// Found says whether a report with the fault's expected oracle appeared within the cap.
	Found bool `json:"found"`
	// Seconds is the time to exposure from the trial's start, or the time run when not found.
	Seconds float64 `json:"seconds"`
	// Execs is the number of executions to exposure (or run), as far as the strategy counts.
	Execs int64 `json:"execs"`
	// Title and Oracle are the exposing report's.
	Title  string `json:"title,omitempty"`
	Oracle string `json:"oracle,omitempty"`
	// Other holds the titles of reports of other oracles seen first (the trial went on).
	Other []string `json:"other,omitempty"`
	// Error is set when the trial could not run; such a trial is run again on resume.
	Error string `json:"error,omitempty"`
	// Start is when the trial started (RFC 3339), for the record only.
	Start string `json:"start,omitempty"`
}

// Key identifies a trial across reruns.
type Key struct {
	Fault, Strategy string
	Trial           int
	Cap             float64
}

// Key returns the result's trial key.
func (r Result) Key() Key { return Key{r.Fault, r.Strategy, r.Trial, r.Cap} }

// CapSeconds converts a cap to the results file's unit.
func CapSeconds(d time.Duration) float64 { return d.Seconds() }

// ReadResults reads a results file. A missing file is no results. A line that is not a result
// is an error naming the file and line.
func ReadResults(path string) ([]Result, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var out []Result
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var r Result
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("%s:%d: want one JSON trial result: %w", path, line, err)
		}
		if r.Fault == "" || r.Strategy == "" || r.Cap <= 0 {
			return nil, fmt.Errorf("%s:%d: want fault, strategy and a positive cap_s", path, line)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// AppendResult appends one result as a JSON line and syncs the file, so that a hunt killed
// right after loses nothing it reported.
func AppendResult(path string, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("append result: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("append result: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("append result to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("append result to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append result to %s: %w", path, err)
	}
	return nil
}

// Done returns the keys of the trials recorded without error: a rerun skips them.
func Done(results []Result) map[Key]bool {
	done := map[Key]bool{}
	for _, r := range results {
		if r.Error == "" {
			done[r.Key()] = true
		}
	}
	return done
}

// Latest keeps, per trial key, the last result recorded without error, in first-seen order.
func Latest(results []Result) []Result {
	idx := map[Key]int{}
	var out []Result
	for _, r := range results {
		if r.Error != "" {
			continue
		}
		if i, ok := idx[r.Key()]; ok {
			out[i] = r
			continue
		}
		idx[r.Key()] = len(out)
		out = append(out, r)
	}
	return out
}

// writeAtomic writes a file the user keeps: a temp file in the same directory, synced, renamed.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// relName is target's path relative to base's directory, for a link from one to the other.
func relName(base, target string) string {
	if rel, err := filepath.Rel(filepath.Dir(base), target); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(target)
}
