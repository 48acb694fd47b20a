// Package launch runs go commands on the hooked build of gVisor (package gvpatch), so that the
// plain commands of the README reach netstack's controlled mode with no setup step: the
// launcher test (TestHooked) runs the hooked tests in a subprocess, and the tool re-executes
// itself as a hooked binary.
package launch

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sockfuzz/sockfuzz/stack/netstack/gvpatch"
)

// ModRoot returns the directory of the main module's go.mod, from the go command.
func ModRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("launch: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("launch: not inside a module (go env GOMOD is %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// Ensure generates (or finds) the hooked build for the module at modroot.
func Ensure(modroot string) (gvpatch.Build, error) {
	b, err := gvpatch.Ensure(modroot)
	if err != nil {
		return b, fmt.Errorf("launch: the hooked build of gVisor: %w", err)
	}
	return b, nil
}

// Go returns a go command (`go verb args...`) run in modroot on the hooked build: its
// environment selects the generated workspace, and -tags is added after the verb.
func Go(b gvpatch.Build, modroot, verb string, args ...string) *exec.Cmd {
	full := append([]string{verb, "-tags", b.Tags}, args...)
	cmd := exec.Command("go", full...)
	cmd.Dir = modroot
	cmd.Env = append(os.Environ(), b.Env...)
	return cmd
}

// ReadInputs reads every file of the module-local packages that the hooked go command of pkgs
// depends on (their directories, with testdata). go test caches a test's result keyed by the
// files it opened: a launcher that reads them is run again when one changes.
func ReadInputs(b gvpatch.Build, modroot string, pkgs ...string) (int, error) {
	args := append([]string{"-deps", "-test", "-f", "{{.Dir}}"}, pkgs...)
	cmd := Go(b, modroot, "list", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("launch: go list %s: %w: %s", strings.Join(pkgs, " "), err, stderr.String())
	}
	seen := map[string]bool{}
	n := 0
	for _, dir := range strings.Fields(string(out)) {
		if seen[dir] || !strings.HasPrefix(dir, modroot+string(filepath.Separator)) && dir != modroot {
			continue
		}
		seen[dir] = true
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != dir && filepath.Base(path) != "testdata" && !strings.Contains(path, string(filepath.Separator)+"testdata"+string(filepath.Separator)) {
					return filepath.SkipDir // another package's directory
				}
				return nil
			}
			if _, err := os.ReadFile(path); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("launch: reading the inputs of %s: %w", dir, err)
		}
	}
	return n, nil
}
