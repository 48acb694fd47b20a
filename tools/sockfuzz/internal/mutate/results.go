package mutate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The outcomes of a mutant's regression suite.
const (
	// Stillborn: the mutant does not build; it is no mutant.
	Stillborn = "stillborn"
	// Killed: a test failed.
	Killed = "killed"
	// Hung: the suite ran past its time limit (a deadlock the tests ran into); counted as
	// killed.
	Hung = "hung"
	// Survived: every test passed.
	Survived = "survived"
)

// Result is one mutant's outcome, one JSON line of the results file. A mutant is run again
// on resume while its stage left Error set.
type Result struct {
	ID   string `json:"id"`
	Op   string `json:"op"`
	File string `json:"file"`
	Line int    `json:"line"`
	Desc string `json:"desc"`
	// Suite is the regression suite's outcome; SuiteSeconds its wall time; Test the first
	// failing test.
	Suite        string  `json:"suite"`
	SuiteSeconds float64 `json:"suite_s"`
	Test         string  `json:"test,omitempty"`
	// Fuzzed tells that a survivor was fuzzed: Found, within FuzzSeconds (the budget when not
	// found), with the first stored crasher's Title.
	Fuzzed      bool    `json:"fuzzed,omitempty"`
	Found       bool    `json:"found,omitempty"`
	FuzzSeconds float64 `json:"fuzz_s,omitempty"`
	Title       string  `json:"title,omitempty"`
	// Error is set when a stage could not run (the tool's failure, not the mutant's).
	Error string `json:"error,omitempty"`
}

// ReadResults reads a results file: the last line of each mutant wins (a later stage rewrites
// it). A missing file is no results; a line that is not a result is an error naming the file
// and line.
func ReadResults(path string) (map[string]Result, []string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Result{}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	out := map[string]Result{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Result
		if err := json.Unmarshal(line, &r); err != nil || r.ID == "" {
			return nil, nil, fmt.Errorf("%s:%d: not a mutant's result (want a JSON object with an id): %s", path, n, line)
		}
		if _, ok := out[r.ID]; !ok {
			order = append(order, r.ID)
		}
		out[r.ID] = r
	}
	return out, order, sc.Err()
}

// appendResult appends one result line to the file, synced, so that a run stopped at any
// point loses at most the mutant it was running.
func appendResult(path string, r Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
