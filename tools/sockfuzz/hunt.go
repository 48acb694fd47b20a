package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/covbuild"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/stack"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/hunt"
)

// huntCmd is `sockfuzz hunt`: per fault, independent trials of each strategy until the fault's
// expected oracle appears or the cap; results appended to a results file as each trial ends (a
// rerun skips the recorded ones), then the report and its SVG rebuilt from that file. Exit
// status 0 on success, 1 when the hunt failed or was interrupted, 2 for a bad argument.
func huntCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hunt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	faults := fs.String("faults", "", "faults to hunt, comma-separated (default: the whole catalog)")
	strategies := fs.String("strategies", strings.Join(hunt.Strategies, ","), "strategies to run: sockfuzz, stress, random")
	trials := fs.Int("trials", 1, "trials per fault and strategy")
	trialsBy := fs.String("trials-by", "", "per-strategy trials overriding -trials, e.g. sockfuzz=5,stress=2,random=2")
	capD := fs.Duration("cap", 90*time.Second, "time cap of one trial")
	jobs := fs.Int("jobs", 2, "trials run at a time")
	fuzzTarget := fs.String("fuzz-target", fuzz.Sockets.Name, "fuzz target (its profile for stress and random)")
	tname := targetFlag(fs)
	results := fs.String("results", "docs/hunt-results.jsonl", "results file, one JSON line per trial")
	report := fs.String("report", "docs/hunt.md", "report file; the SVG goes beside it with the .svg extension")
	reportOnly := fs.Bool("report-only", false, "only rebuild the report from the results file")
	workDir := fs.String("workdir", "", "directory for the built binaries and trial scratch dirs (default: a temp dir, removed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sockfuzz hunt: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	svg := strings.TrimSuffix(*report, filepath.Ext(*report)) + ".svg"
	if !*reportOnly {
		cfg, err := huntConfig(*faults, *strategies, *trials, *trialsBy, *capD, *jobs, *fuzzTarget, *tname)
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz hunt: %v\n", err)
			return 2
		}
		cfg.Results, cfg.Log = *results, stdout
		cfg.WorkDir = *workDir
		if cfg.BuildArgs, err = covbuild.SelfArgs(); err != nil {
			fmt.Fprintf(stderr, "sockfuzz hunt: %v\n", err)
			return 1
		}
		env, tags, gcflags, err := testBuild()
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz hunt: %v\n", err)
			return 1
		}
		cfg.BuildEnv, cfg.BuildTags, cfg.BuildArgs = env, tags, append(cfg.BuildArgs, gcflags...)
		if cfg.WorkDir == "" {
			d, err := os.MkdirTemp("", "sockfuzz-hunt-*")
			if err != nil {
				fmt.Fprintf(stderr, "sockfuzz hunt: %v\n", err)
				return 1
			}
			defer os.RemoveAll(d)
			cfg.WorkDir = d
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		start := time.Now()
		n, err := hunt.Run(ctx, cfg)
		fmt.Fprintf(stdout, "hunt: %d trials run in %s\n", n, time.Since(start).Round(time.Second))
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz hunt: %v\n", err)
			if _, rerr := hunt.WriteReport(*results, *report, svg); rerr != nil {
				fmt.Fprintf(stderr, "sockfuzz hunt: %v\n", rerr)
			}
			return 1
		}
	}
	s, err := hunt.WriteReport(*results, *report, svg)
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz hunt: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "hunt: %d trials in %s; report %s, curves %s\n", len(s.Results), *results, *report, svg)
	for _, st := range s.Strategies {
		fmt.Fprintf(stdout, "  %-8s median over faults of the median time to exposure: %.2fs\n", st, s.StrategyMedian[st])
	}
	return 0
}

// huntConfig checks the hunt's flags.
func huntConfig(faults, strategies string, trials int, trialsBy string, capD time.Duration, jobs int, fuzzTarget, target string) (hunt.Config, error) {
	cfg := hunt.Config{Cap: capD, Jobs: jobs, FuzzTarget: fuzzTarget, Trials: map[string]int{}}
	if capD < time.Second {
		return cfg, fmt.Errorf("-cap %s: want at least 1s", capD)
	}
	if jobs < 1 || jobs > 64 {
		return cfg, fmt.Errorf("-jobs %d: want 1 to 64", jobs)
	}
	if trials < 1 {
		return cfg, fmt.Errorf("-trials %d: want at least 1", trials)
	}
	ft, err := hunt.TargetByName(fuzzTarget)
	if err != nil {
		return cfg, fmt.Errorf("-fuzz-target: %w", err)
	}
	tgt, err := lookupTarget(target)
	if err != nil {
		return cfg, err
	}
	if _, err := fuzz.StackTarget(tgt.Name()); err != nil {
		return cfg, fmt.Errorf("-target: %w", err)
	}
	if ft.StackName() != tgt.Name() {
		if fuzzTarget != fuzz.Sockets.Name { // given, not the default
			return cfg, fmt.Errorf("-fuzz-target %s runs on target %s, not on %s", fuzzTarget, ft.StackName(), tgt.Name())
		}
		cfg.FuzzTarget = fuzz.TargetsOn(tgt.Name())[0].Name
	}
	cfg.Target = tgt.Name()
	if faults == "" {
		cfg.Faults = stack.FaultNames(tgt)
	} else {
		for _, f := range strings.Split(faults, ",") {
			f = strings.TrimSpace(f)
			if _, _, ok := stack.FaultByName(tgt, f); !ok {
				return cfg, fmt.Errorf("-faults: unknown fault %q of target %s (sockfuzz faults -target %s lists them)", f, tgt.Name(), tgt.Name())
			}
			cfg.Faults = append(cfg.Faults, f)
		}
	}
	for _, s := range strings.Split(strategies, ",") {
		s = strings.TrimSpace(s)
		if !isStrategy(s) {
			return cfg, fmt.Errorf("-strategies: unknown strategy %q: want sockfuzz, stress or random", s)
		}
		cfg.Strategies = append(cfg.Strategies, s)
		cfg.Trials[s] = trials
	}
	if trialsBy != "" {
		for _, kv := range strings.Split(trialsBy, ",") {
			k, v, ok := strings.Cut(kv, "=")
			n, err := strconv.Atoi(v)
			if !ok || !isStrategy(k) || err != nil || n < 0 {
				return cfg, fmt.Errorf("-trials-by: %q: want strategy=N with N >= 0", kv)
			}
			cfg.Trials[k] = n
		}
	}
	return cfg, nil
}

func isStrategy(s string) bool {
	for _, x := range hunt.Strategies {
		if s == x {
			return true
		}
	}
	return false
}
