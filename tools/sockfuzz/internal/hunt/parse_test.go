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
