package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/covbuild"

	"github.com/sockfuzz/sockfuzz/tools/sockfuzz/internal/bench"
)

// benchCmd is `sockfuzz bench`: the engine's speed measured side by side in one run (package
// internal/bench), printed as a table and written as JSON with -json. Exit status 0 when every
// measurement was made, 1 when one failed or the run was interrupted, 2 for a bad argument.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 15*time.Second, "duration of each measurement, whole seconds (the in-process loops take a third of it)")
	rounds := fs.Int("rounds", 3, "rounds: each measurement is made this many times, alternating with the others; the table gives medians")
	jobs := fs.Int("jobs", 2, "workers of the ceiling rows (go test -fuzz -parallel)")
	ref := fs.String("ref", "", "also measure the FuzzSockets rows at this git revision (a temporary worktree), e.g. 8148c5e")
	libFuzzer := fs.String("libfuzzer", bench.LibFuzzerAuto, "libFuzzer rows: auto (when clang is on PATH), on (tools/oss-fuzz/local.sh installs clang if missing, as root) or off")
	workDir := fs.String("workdir", "", "directory for the binaries, the ref worktree and the runs (default: a temp dir, removed)")
	only := fs.String("only", "", "sections to run, comma-separated: ceiling, cost, libfuzzer (default: all)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sockfuzz bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg := bench.Config{Duration: *duration, Rounds: *rounds, Jobs: *jobs, Ref: *ref, LibFuzzer: *libFuzzer,
		Only: bench.ParseOnly(*only), Log: stdout}
	if err := cfg.Check(); err != nil {
		fmt.Fprintf(stderr, "sockfuzz bench: %v\n", err)
		return 2
	}
	root, err := bench.ModuleRoot()
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz bench: %v\n", err)
		return 2
	}
	cfg.Root = root
	if cfg.BuildArgs, err = covbuild.SelfArgs(); err != nil {
		fmt.Fprintf(stderr, "sockfuzz bench: %v\n", err)
		return 2
	}
	if cfg.CurrentEnv, cfg.CurrentTags, cfg.CurrentArgs, err = testBuild(); err != nil {
		fmt.Fprintf(stderr, "sockfuzz bench: %v\n", err)
		return 2
	}
	if cfg.Ref != "" {
		if _, err := bench.ResolveRev(root, cfg.Ref); err != nil {
			fmt.Fprintf(stderr, "sockfuzz bench: %v\n", err)
			return 2
		}
	}
	if *workDir == "" {
		d, err := os.MkdirTemp("", "sockfuzz-bench-*")
		if err != nil {
			fmt.Fprintf(stderr, "sockfuzz bench: %v\n", err)
			return 1
		}
		defer os.RemoveAll(d)
		cfg.WorkDir = d
	} else {
		if err := bench.CheckWorkDir(root, *workDir); err != nil {
			fmt.Fprintf(stderr, "sockfuzz bench: %v\n", err)
			return 2
		}
		if err := os.MkdirAll(*workDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "sockfuzz bench: -workdir: %v\n", err)
			return 2
		}
		cfg.WorkDir = *workDir
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := bench.Run(ctx, cfg)
	if rep != nil {
		fmt.Fprintln(stdout)
		rep.WriteTable(stdout)
		if *jsonOut != "" {
			if jerr := rep.WriteJSON(*jsonOut); jerr != nil {
				fmt.Fprintf(stderr, "sockfuzz bench: %v\n", jerr)
				return 1
			}
			fmt.Fprintf(stdout, "\nbench: report written to %s\n", *jsonOut)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockfuzz bench: %v\n", err)
		return 1
	}
	return 0
}
