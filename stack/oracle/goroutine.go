package oracle

import "regexp"

var reTopFunc = regexp.MustCompile(`with (\S+) on top of the stack`)

// GoroutineLeak turns the error of goleak.Find (or VerifyNone's message) into a report, nil
// for a nil error. The title names the top function of the first leaked goroutine, without
// goroutine numbers.
func GoroutineLeak(err error) *Report {
	if err == nil {
		return nil
	}
	msg := err.Error()
	title := "goroutine leak"
	if m := reTopFunc.FindStringSubmatch(msg); m != nil {
		title += ": " + Stable(m[1])
	}
	return &Report{Oracle: GoroutineLeaks, Title: title, Detail: msg, Thread: -1}
}
