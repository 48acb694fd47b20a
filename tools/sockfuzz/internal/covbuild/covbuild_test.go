package covbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMain lets this test binary be the -toolexec wrapper of the builds below, as the sockfuzz
// executable is for the main job's.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "toolexec" && os.Getenv("COVBUILD_TEST_WRAPPER") == "1" {
		code, err := Toolexec(os.Args[2:])
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestFilter(t *testing.T) {
	tests := []struct {
		name string
		tool string
		args []string
		want []string
	}{
		{"unmarked compile keeps its instrumentation", "/go/pkg/tool/linux_amd64/compile",
			[]string{"-p", "x", "-d=libfuzzer", "a.go"},
			[]string{"-p", "x", "-d=libfuzzer", "a.go"}},
		{"marked compile loses it", "/go/pkg/tool/linux_amd64/compile",
			[]string{"-p", "x", Marker, "-d=libfuzzer", "a.go"},
			[]string{"-p", "x", "a.go"}},
		{"other -d settings stay", "/go/pkg/tool/linux_amd64/compile",
			[]string{"-d=checkptr,libfuzzer", Marker, "-d=libfuzzer=0,ssa/check/on", "a.go"},
			[]string{"-d=checkptr", "-d=ssa/check/on", "a.go"}},
		{"windows compile", `C:\go\pkg\tool\windows_amd64\compile.exe`,
			[]string{Marker, "-d=libfuzzer"},
			[]string{}},
		{"the linker is never touched", "/go/pkg/tool/linux_amd64/link",
			[]string{Marker, "-d=libfuzzer"},
			[]string{Marker, "-d=libfuzzer"}},
		{"the tool's version query passes through", "/go/pkg/tool/linux_amd64/compile",
			[]string{"-V=full"},
			[]string{"-V=full"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Filter(tt.tool, tt.args); !slices.Equal(got, tt.want) {
				t.Errorf("Filter(%q, %q) = %q, want %q", tt.tool, tt.args, got, tt.want)
			}
		})
	}
}

func TestArgsQuoteTheWrapper(t *testing.T) {
	for _, tt := range []struct{ path, want string }{
		{"/usr/bin/sockfuzz", "/usr/bin/sockfuzz toolexec"},
		{"/tmp/my dir/sockfuzz", "'/tmp/my dir/sockfuzz' toolexec"},
		{"/tmp/it's here/sockfuzz", `"/tmp/it's here/sockfuzz" toolexec`},
	} {
		got := Args(tt.path)
		if len(got) < 2 || got[0] != "-toolexec" || got[1] != tt.want {
			t.Errorf("Args(%q) = %q, want -toolexec %q first", tt.path, got, tt.want)
		}
		want := []string{"-gcflags=all=" + Marker, "-gcflags=" + Instrumented + "="}
		for _, p := range Uninstrumented {
			want = append(want, "-gcflags="+p+"="+Marker)
		}
		if !slices.Equal(got[2:], want) {
			t.Errorf("Args(%q) = %q, want %q after -toolexec", tt.path, got, want)
		}
	}
}

func TestToolexecWithoutTool(t *testing.T) {
	if code, err := Toolexec(nil); code == 0 || err == nil {
		t.Errorf("Toolexec(nil) = %d, %v; want a failure", code, err)
	}
}

// TestBuildLeavesMarkedPackageUninstrumented builds a two-package module's fuzz test with go
// test -c -fuzz, plainly and through the wrapper, and reads the compiled code: the marked
// package has comparison hooks in the plain build and none through the wrapper, the other has
// them in both.
func TestBuildLeavesMarkedPackageUninstrumented(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := filepath.Abs(filepath.Join("testdata", "mod"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	build := func(name string, extra ...string) string {
		bin := filepath.Join(dir, name)
		args := append([]string{"test", "-c", "-fuzz", ".", "-o", bin}, extra...)
		cmd := exec.Command("go", append(args, "./hot")...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "COVBUILD_TEST_WRAPPER=1", "GOFLAGS=", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return bin
	}
	hooks := func(bin, fn string) int {
		out, err := exec.Command("go", "tool", "objdump", "-s", fn, bin).CombinedOutput()
		if err != nil {
			t.Fatalf("go tool objdump -s %s %s: %v\n%s", fn, bin, err, out)
		}
		if !strings.Contains(string(out), "TEXT") {
			t.Fatalf("go tool objdump -s %s %s: no such function\n%s", fn, bin, out)
		}
		return strings.Count(string(out), "runtime.libfuzzer")
	}
	plain := build("plain.test")
	// Without the wrapper the marker fails the compile (so it cannot cache an instrumented
	// object under the marked key). hot is never built marked through the wrapper, whose
	// object the cache would otherwise hand out.
	cmd := exec.Command("go", "test", "-c", "-fuzz", ".", "-o", filepath.Join(dir, "bad.test"),
		"-gcflags=example.com/covmod/hot="+Marker, "./hot")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "sockfuzz-uninstrumented") {
		t.Errorf("a marked build without the wrapper: err %v, want a failure naming the marker\n%s", err, out)
	}
	wrapped := build("wrapped.test", args(self, "example.com/covmod/...", []string{"example.com/covmod/cold"})...)
	const hot, cold, std = `covmod/hot\.Branchy$`, `covmod/cold\.Branchy$`, `strconv\.ParseBool$`
	if n := hooks(plain, cold); n == 0 {
		t.Errorf("plain -fuzz build: cold.Branchy has no instrumentation; the test cannot tell")
	}
	if n := hooks(wrapped, cold); n != 0 {
		t.Errorf("wrapped -fuzz build: cold.Branchy has %d instrumentation calls, want none", n)
	}
	if n := hooks(wrapped, hot); n == 0 {
		t.Errorf("wrapped -fuzz build: hot.Branchy lost its instrumentation")
	}
	if n := hooks(plain, std); n == 0 {
		t.Errorf("plain -fuzz build: strconv.ParseBool has no instrumentation; the test cannot tell")
	}
	if n := hooks(wrapped, std); n != 0 {
		t.Errorf("wrapped -fuzz build: strconv.ParseBool (outside the instrumented pattern) has %d instrumentation calls, want none", n)
	}
}

// TestOSSFuzzBuildPreservesTheSame checks that the libFuzzer builds leave the same packages
// uninstrumented as go test -fuzz builds made here.
func TestOSSFuzzBuildPreservesTheSame(t *testing.T) {
	path := filepath.Join("..", "..", "..", "oss-fuzz", "build.sh")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Every go-118-fuzz-build call of build.sh preserves each of them: a -preserve value is a
	// comma-separated list.
	f := strings.Fields(string(b))
	calls := 0
	for i := 0; i+1 < len(f); i++ {
		if f[i] != "-preserve" {
			continue
		}
		calls++
		preserved := strings.Split(f[i+1], ",")
		for _, p := range Uninstrumented {
			if !slices.Contains(preserved, p) {
				t.Errorf("%s: a -preserve (go-118-fuzz-build's) without %s: it preserves %q", path, p, preserved)
			}
		}
	}
	if calls == 0 {
		t.Errorf("%s: no -preserve (go-118-fuzz-build's) at all", path)
	}
}
