package bench

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/fuzzexit"
)

// The measurements made by child processes.

// goFuzz runs a go test -fuzz binary for the configured duration in a fresh fuzz cache, with
// minimization off, and returns its steady rate in inputs per second: from its first progress
// line after the seed corpus to its last, timed by this process as the lines arrive (go test
// rounds its elapsed field to the second). pkgDir, when set, is the fuzz package's directory,
// whose testdata/fuzz/<target> inputs go test adds to the seed corpus: they are copied into
// the run's scratch directory, where a crash input would be written, never into the tree.
func (b *bench) goFuzz(ctx context.Context, bin, pkgDir, target string, workers int, id string) (rate, error) {
	dir, err := b.scratch(id)
	if err != nil {
		return rate{}, err
	}
	defer os.RemoveAll(dir)
	if pkgDir != "" {
		if err := copyDir(filepath.Join(pkgDir, "testdata", "fuzz", target), filepath.Join(dir, "testdata", "fuzz", target)); err != nil {
			return rate{}, err
		}
	}
	args := []string{
		"-test.run", "^$",
		"-test.fuzz", "^" + target + "$",
		"-test.fuzztime", b.cfg.Duration.String(),
		"-test.fuzzminimizetime", "0s",
		"-test.parallel", strconv.Itoa(workers),
		"-test.fuzzcachedir", filepath.Join(dir, "cache"),
	}
	var samples []sample
	out := fuzzexit.New(target)
	tail, cpu, err := b.runTimed(ctx, dir, bin, args, func(at time.Duration, line string) {
		out.Line(line)
		if l, ok := parseGoFuzzLine(line); ok {
			samples = append(samples, sample{At: at, Count: l.Execs})
		}
	})
	// golang/go#75804 ends a run that went to its fuzz time with a stray "context deadline
	// exceeded" and exit status 1: the rates seen until then stand, as the runner counts it.
	if err != nil && out.End(fuzzexit.ExitOf(err), fuzzexit.NotStopped).Kind != fuzzexit.Deadline {
		return rate{}, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), target, err, tail)
	}
	wall, err := steadyRate(samples)
	if err != nil {
		return rate{}, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), target, err, tail)
	}
	return rate{Wall: wall, CPU: perCPU(samples[len(samples)-1].Count, cpu)}, nil
}

// libFuzzer runs a libFuzzer binary for the configured duration on a fresh copy of its seed
// corpus and returns its steady rate in inputs per second: from the INITED line (the seed
// corpus run) to the Done line, timed by this process, with the count of the final statistics
// (stat::number_of_executed_units).
func (b *bench) libFuzzer(ctx context.Context, lf *libFuzzerBuild, id string) (rate, error) {
	dir, err := b.scratch(id)
	if err != nil {
		return rate{}, err
	}
	defer os.RemoveAll(dir)
	corpus := filepath.Join(dir, "corpus")
	if err := unzip(lf.seedZip, corpus); err != nil {
		return rate{}, err
	}
	args := append(slices.Clip(lf.flags),
		"-max_total_time="+strconv.Itoa(int(b.cfg.Duration/time.Second)),
		"-print_final_stats=1",
		"-timeout=30",
		"-artifact_prefix="+dir+string(filepath.Separator),
		corpus,
	)
	st := newLibFuzzerStats()
	var inited, done time.Duration = -1, -1
	tail, cpu, err := b.runTimed(ctx, dir, lf.bin, args, func(at time.Duration, line string) {
		switch st.line(line) {
		case libFuzzerInited:
			inited = at
		case libFuzzerDone:
			done = at
		}
	})
	if err != nil {
		return rate{}, fmt.Errorf("libFuzzer FuzzSockets: %w\n%s", err, tail)
	}
	if inited < 0 || st.total() < 0 {
		return rate{}, fmt.Errorf("libFuzzer FuzzSockets: no INITED line or no final statistics\n%s", tail)
	}
	if done < 0 {
		return rate{}, fmt.Errorf("libFuzzer FuzzSockets: no Done line\n%s", tail)
	}
	wall, err := steadyRate([]sample{{inited, st.Inited}, {done, st.total()}})
	if err != nil {
		return rate{}, fmt.Errorf("libFuzzer FuzzSockets: %w\n%s", err, tail)
	}
	return rate{Wall: wall, CPU: perCPU(st.total(), cpu)}, nil
}

// covLoop runs BenchmarkHarnessSeeds in the -fuzz build of package covloop on one P and
// returns its executions per second (of CPU time: its cpu-ns/op metric).
func (b *bench) covLoop(ctx context.Context, d time.Duration) (rate, error) {
	args := []string{"-test.run", "^$", "-test.bench", "^BenchmarkHarnessSeeds$", "-test.benchtime", d.String(), "-test.cpu", "1", "-test.count", "1"}
	var res *benchLine
	tail, _, err := b.runTimed(ctx, b.cfg.WorkDir, b.bins["covloop"], args, func(_ time.Duration, line string) {
		if l, ok := parseBenchLine(line); ok && l.Name == "BenchmarkHarnessSeeds" {
			res = &l
		}
	})
	if err != nil {
		return rate{}, fmt.Errorf("covloop: %w\n%s", err, tail)
	}
	if res == nil {
		return rate{}, fmt.Errorf("covloop: no BenchmarkHarnessSeeds result\n%s", tail)
	}
	r := rate{Wall: 1e9 / res.NsPerOp}
	if c := res.Metrics[CPUMetric]; c > 0 {
		r.CPU = 1e9 / c
	}
	return r, nil
}

// CPUMetric is the unit of the CPU time per op that BenchmarkHarnessSeeds reports.
const CPUMetric = "cpu-ns/op"

// perCPU is a count per second of CPU time, 0 when the time is unknown.
func perCPU(n int64, cpu time.Duration) float64 {
	if cpu <= 0 || n <= 0 {
		return 0
	}
	return float64(n) / cpu.Seconds()
}

// scratch makes a run's scratch directory.
func (b *bench) scratch(id string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(b.cfg.WorkDir, "runs", id))
	if err != nil {
		return "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("scratch directory: %w", err)
	}
	return dir, nil
}

// runTimed runs a binary in dir with cleanEnv's environment, handing each line of its output
// (stdout and stderr) to line with the time since the start, and returns the output's last
// lines and the CPU time of the process and of the processes it waited for (go test -fuzz's
// workers). The process gets the configured duration and two minutes more before it is
// interrupted.
func (b *bench) runTimed(ctx context.Context, dir, bin string, args []string, line func(time.Duration, string)) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Duration+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	setDeathSignal(cmd)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", bin, err)
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", 0, fmt.Errorf("%s: %w", bin, err)
	}
	var tail []string
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		l := sc.Text()
		line(time.Since(start), l)
		if len(tail) == 30 {
			tail = tail[1:]
		}
		tail = append(tail, l)
	}
	_, _ = io.Copy(io.Discard, pipe) // after a line too long for the scanner
	err = cmd.Wait()
	var cpu time.Duration
	if ps := cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
	}
	return strings.Join(tail, "\n"), cpu, err
}

// copyDir copies the regular files of src, if it exists, into dst.
func copyDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("seed inputs: %w", err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("seed inputs: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return fmt.Errorf("seed inputs: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return fmt.Errorf("seed inputs: %w", err)
		}
	}
	return nil
}

// unzip extracts a seed corpus zip (flat: one file per input) into dir.
func unzip(path, dir string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("seed corpus: %w", err)
	}
	defer zr.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("seed corpus: %w", err)
	}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := filepath.Base(f.Name)
		if !fs.ValidPath(name) || name == "." {
			return fmt.Errorf("seed corpus %s: bad entry %q", path, f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("seed corpus %s: %w", path, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("seed corpus %s: %w", path, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("seed corpus: %w", err)
		}
	}
	return nil
}
