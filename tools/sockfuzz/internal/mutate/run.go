package mutate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Config is a mutation run: every mutant through the regression suite, then every survivor
// through the fuzzer for a fixed budget. Results go to a file, one line per stage, so that a
// run stopped anywhere resumes where it was.
type Config struct {
	Mutants []Mutant
	// Results is the results file (JSON lines), read at the start and appended to.
	Results string
	// SuitePkgs are the regression suite's packages (go test patterns), run in ModRoot.
	SuitePkgs []string
	// SuiteSkip is go test's -skip: tests the suite leaves out.
	SuiteSkip string
	// ModRoot is where the go commands run; a mutant's relative File is relative to it.
	ModRoot string
	// SuiteTimeout bounds one suite run; past it the mutant counts as hung (killed).
	SuiteTimeout time.Duration
	// BuildEnv and BuildTags are the go commands' extra environment and -tags (the hooked
	// build's for netstack).
	BuildEnv  []string
	BuildTags string
	// WorkDir holds the mutated files and their overlays.
	WorkDir string
	// Budget is each survivor's fuzzing time; Fuzz runs it (nil or a zero budget: no fuzzing).
	Budget time.Duration
	Fuzz   func(ctx context.Context, m Mutant, overlay string, budget time.Duration) (found bool, seconds float64, title string, err error)
	Out    io.Writer

	// goTest is the tests' seam in place of go test.
	goTest func(ctx context.Context, overlay string) ([]byte, error)
}

// Run takes every mutant not yet done through its stages.
func Run(ctx context.Context, cfg Config) error {
	done, _, err := ReadResults(cfg.Results)
	if err != nil {
		return err
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.goTest == nil {
		cfg.goTest = cfg.runGoTest
	}
	for i, m := range cfg.Mutants {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, ok := done[m.ID]
		fuzzing := cfg.Fuzz != nil && cfg.Budget > 0
		needSuite := !ok || r.Suite == ""
		needFuzz := fuzzing && (needSuite || r.Suite == Survived && !(r.Fuzzed && r.Error == ""))
		if !needSuite && !needFuzz {
			continue
		}
		ov, err := cfg.overlay(m)
		if err != nil {
			return err
		}
		if needSuite {
			r = cfg.suite(ctx, m, ov)
			if r.Error != "" { // interrupted: nothing to keep
				return ctx.Err()
			}
			if err := appendResult(cfg.Results, r); err != nil {
				return err
			}
			fmt.Fprintf(cfg.Out, "%d/%d %-40s %-9s %5.1fs %s\n", i+1, len(cfg.Mutants), m.ID, r.Suite, r.SuiteSeconds, r.Test)
		}
		if r.Suite != Survived || !fuzzing {
			continue
		}
		found, secs, title, err := cfg.Fuzz(ctx, m, ov, cfg.Budget)
		r.Fuzzed, r.Found, r.FuzzSeconds, r.Title, r.Error = true, found, secs, title, ""
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.Fuzzed, r.Error = false, "fuzz: "+err.Error()
		}
		if err := appendResult(cfg.Results, r); err != nil {
			return err
		}
		fmt.Fprintf(cfg.Out, "%d/%d %-40s fuzzed: found %v in %.1fs %s\n", i+1, len(cfg.Mutants), m.ID, found, secs, title)
	}
	return nil
}

// overlay writes m's file and an overlay file (go build -overlay) that puts it in place of
// the original; it returns the overlay's path.
func (cfg *Config) overlay(m Mutant) (string, error) {
	name := strings.NewReplacer("/", "_", ":", "_").Replace(m.ID)
	dir := filepath.Join(cfg.WorkDir, "mutants")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src, err := filepath.Abs(filepath.Join(dir, name+".go"))
	if err != nil {
		return "", err
	}
	orig := m.File
	if !filepath.IsAbs(orig) {
		orig = filepath.Join(cfg.ModRoot, orig)
	}
	orig, err = filepath.Abs(orig)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(src, m.Src, 0o644); err != nil {
		return "", err
	}
	data, err := json.Marshal(map[string]map[string]string{"Replace": {orig: src}})
	if err != nil {
		return "", err
	}
	ov := filepath.Join(dir, name+".json")
	if err := os.WriteFile(ov, data, 0o644); err != nil {
		return "", err
	}
	return filepath.Abs(ov)
}

var (
	buildFailed = regexp.MustCompile(`\[(build|setup) failed\]`)
	failedTest  = regexp.MustCompile(`--- FAIL: (\S+)`)
)

// suite runs the regression suite on m and classifies the outcome.
func (cfg *Config) suite(ctx context.Context, m Mutant, overlay string) Result {
	r := Result{ID: m.ID, Op: m.Op, File: m.File, Line: m.Line, Desc: m.Desc}
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, cfg.SuiteTimeout+30*time.Second)
	defer cancel()
	out, err := cfg.goTest(tctx, overlay)
	r.SuiteSeconds = time.Since(start).Seconds()
	r.Suite, r.Test = classify(out, err, tctx.Err() != nil && ctx.Err() == nil)
	if ctx.Err() != nil {
		r.Suite, r.Error = "", "interrupted"
	}
	return r
}

// classify reads a go test run's output and error: its outcome and the first failing test.
func classify(out []byte, err error, timedOut bool) (string, string) {
	switch {
	case err == nil:
		return Survived, ""
	case buildFailed.Match(out):
		return Stillborn, ""
	case timedOut || strings.Contains(string(out), "panic: test timed out"):
		return Hung, ""
	}
	if m := failedTest.FindSubmatch(out); m != nil {
		return Killed, string(m[1])
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return Killed, "(exit " + fmt.Sprint(ee.ExitCode()) + ")"
	}
	return Killed, "(" + err.Error() + ")"
}

// runGoTest runs go test on the suite with the overlay.
func (cfg *Config) runGoTest(ctx context.Context, overlay string) ([]byte, error) {
	args := []string{"test", "-count=1", "-timeout", cfg.SuiteTimeout.String(), "-overlay", overlay}
	if cfg.BuildTags != "" {
		args = append(args, "-tags", cfg.BuildTags)
	}
	if cfg.SuiteSkip != "" {
		args = append(args, "-skip", cfg.SuiteSkip)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, cfg.SuitePkgs...)...)
	cmd.Dir = cfg.ModRoot
	cmd.Env = append(os.Environ(), cfg.BuildEnv...)
	cmd.WaitDelay = 10 * time.Second
	return cmd.CombinedOutput()
}
