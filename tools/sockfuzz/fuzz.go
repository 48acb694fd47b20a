package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sockfuzz/sockfuzz/fuzz"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/covbuild"

	"github.com/sockfuzz/sockfuzz/repro"
	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/runner"
)

// fuzzCmd is `sockfuzz fuzz`, the continuous runner (package runner). Exit status 0 when
// nothing new was stored, 1 when something was (or a FuzzReproText failure was kept), 2 for a
// bad argument or a run that could not go on. An interrupt ends the round in progress,
// processes its crash inputs and prints the summary.
func fuzzCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("targets", "", "fuzz targets to cycle over, comma-separated (default all: "+strings.Join(runner.AllTargets(), ",")+")")
	duration := fs.Duration("duration", 2*time.Minute, "total run time")
	round := fs.Duration("round", 0, "one round's fuzzing time (default: duration / targets, within 10s to 1m)")
	jobs := fs.Int("jobs", runtime.NumCPU(), "fuzzing workers per round")
	faults := fs.String("faults", "", "faults switched on, comma-separated (SOCKFUZZ_FAULTS), of the target's catalog; default off")
	tname := targetFlag(fs)
	workdir := fs.String("workdir", ".sockfuzz", "work directory: the binary, the growing corpus, crash inputs")
	store := fs.String("store", repro.DefaultStoreDir, "crash store directory")
	libfuzzer := fs.String("libfuzzer", "", "a directory of libFuzzer crash inputs, DIR/FuzzX/crash-*, processed at the start")
	status := fs.Duration("status", 3*time.Second, "status line period")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sockfuzz fuzz: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() != 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	cfg := runner.Config{Duration: *duration, Round: *round, Jobs: *jobs, WorkDir: *workdir, StoreDir: *store,
		Status: *status, Out: stdout, LibFuzzer: *libfuzzer}
	switch {
	case *duration < 5*time.Second:
		return fail("-duration %s: want at least 5s", *duration)
	case *round < 0 || (*round > 0 && *round < time.Second):
		return fail("-round %s: want at least 1s", *round)
	case *jobs < 1 || *jobs > 1024:
		return fail("-jobs %d: want 1 to 1024", *jobs)
	case *workdir == "":
		return fail("-workdir: want a directory")
	case *store == "":
		return fail("-store: want a directory")
	}
	if s := strings.TrimSpace(*targets); s != "" {
		for _, t := range strings.Split(s, ",") {
			t = strings.TrimSpace(t)
			if !slices.Contains(runner.AllTargets(), t) {
				return fail("-targets: unknown target %q: want some of %s", t, strings.Join(runner.AllTargets(), ","))
			}
			cfg.Targets = append(cfg.Targets, t)
		}
	}
	tgt, err := lookupTarget(*tname)
	if err != nil {
		return fail("%v", err)
	}
	if _, err := fuzz.StackTarget(tgt.Name()); err != nil {
		return fail("-target: %v", err)
	}
	cfg.Target = tgt.Name()
	if s := strings.TrimSpace(*faults); s != "" {
		cfg.Faults = strings.Split(s, ",")
		if _, err := repro.FaultSet(cfg.Target, cfg.Faults); err != nil {
			return fail("-faults %q: %v", *faults, err)
		}
	}
	if cfg.BuildArgs, err = covbuild.SelfArgs(); err != nil {
		return fail("%v", err)
	}
	env, tags, gcflags, err := testBuild()
	if err != nil {
		return fail("%v", err)
	}
	cfg.BuildEnv, cfg.BuildTags, cfg.BuildArgs = env, tags, append(cfg.BuildArgs, gcflags...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := runner.Run(ctx, cfg)
	if res != nil {
		res.Summary(stdout)
	}
	if err != nil {
		return fail("%v", err)
	}
	if res.Found() {
		return 1
	}
	return 0
}
