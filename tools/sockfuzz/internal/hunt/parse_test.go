package hunt

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// feedFile feeds a fixture's lines, one second apart, and returns how many were read.
func feedFile(t *testing.T, path string, feed func(line) bool) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, text := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		n++
		if !feed(line{time.Duration(i) * time.Second, text}) {
			break
		}
	}
	return n
}

func TestFuzzOutput(t *testing.T) {
	tests := []struct {
		file   string
		failAt time.Duration
		execs  int64
	}{
		{"testdata/gofuzz-fail.txt", 4 * time.Second, 9100},
		{"testdata/gofuzz-seedfail.txt", 3 * time.Second, 0},
	}
	for _, tc := range tests {
		var o fuzzOutput
		feedFile(t, tc.file, func(l line) bool { o.feed(l); return true })
		got := []any{o.failed, o.failAt, o.execs}
		want := []any{true, tc.failAt, tc.execs}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parsed %v, want %v", tc.file, got, want)
		}
	}
}

func TestStressOutput(t *testing.T) {
	tests := []struct {
		name   string
		goRace bool
		oracle string
		read   int
		want   Result
	}{
		{"race is the exposure", true, "data-race", 10, Result{Found: true, Seconds: 4, Execs: 1000,
			Title: "go -race: DATA RACE stack/sched.(*Word).rmw vs stack.(*Stack).sowakeup", Oracle: "data-race",
			Other: []string{"lost wakeup: blocked in accept"}}},
		{"race is noise", false, "lost-wakeup", 13, Result{Found: true, Seconds: 12, Execs: 1733,
			Title: "lost wakeup: blocked in so_rcv sleep with condition true", Oracle: "lost-wakeup",
			Other: []string{"lost wakeup: blocked in accept", "go -race: DATA RACE stack/sched.(*Word).rmw vs stack.(*Stack).sowakeup"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var res Result
			o := stressOutput{goRace: tc.goRace, oracle: tc.oracle, res: &res}
			if n := feedFile(t, "testdata/stress-race.txt", o.feed); n != tc.read {
				t.Errorf("read %d lines, want %d", n, tc.read)
			}
			if !reflect.DeepEqual(res, tc.want) {
				t.Errorf("parsed %+v\nwant %+v", res, tc.want)
			}
		})
	}
}

// TestStressPanic: an unrecovered panic on a stack goroutine, which kills the worker, is the
// exposure when the target classifies it under the fault's oracle, and noise otherwise.
func TestStressPanic(t *testing.T) {
	classify := func(line string) (string, string, bool) {
		if strings.HasPrefix(line, "unexpected tcp state in processor") {
			return "tcp-state", "netstack: unexpected tcp state in processor", true
		}
		return "", "", false
	}
	tests := []struct {
		oracle string
		want   Result
	}{
		{"tcp-state", Result{Found: true, Seconds: 2, Execs: 500, Title: "netstack: unexpected tcp state in processor",
			Oracle: "tcp-state", Other: []string{"lost wakeup: blocked in recv sleep with condition true"}}},
		{"lost-wakeup", Result{Execs: 500, Other: []string{"lost wakeup: blocked in recv sleep with condition true",
			"netstack: unexpected tcp state in processor"}}},
	}
	for _, tc := range tests {
		var res Result
		o := stressOutput{oracle: tc.oracle, res: &res, classify: classify}
		feedFile(t, "testdata/stress-panic.txt", o.feed)
		if !reflect.DeepEqual(res, tc.want) {
			t.Errorf("%s: parsed %+v\nwant %+v", tc.oracle, res, tc.want)
		}
	}
}
