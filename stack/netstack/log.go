package netstack

import (
	"sync"
	"time"

	glog "gvisor.dev/gvisor/pkg/log"
)

// discard is a gVisor log emitter that drops every message. gVisor logs from its protocol
// paths (a failed listen segment, a martian packet), rate-limited on the wall clock: written
// out, those messages would fill a fuzzing run's output, and taking the logger's locks would
// make scheduling points depend on wall time.
type discard struct{}

// Emit implements log.Emitter.
func (discard) Emit(int, glog.Level, time.Time, string, ...any) {}

var quietLog sync.Once

// silenceGVisorLog installs the discarding emitter, once per process.
func silenceGVisorLog() { quietLog.Do(func() { glog.SetTarget(discard{}) }) }
