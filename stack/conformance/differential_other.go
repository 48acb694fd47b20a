//go:build !linux

package conformance

import "errors"

// DifferentialAvailable says why LinuxDifferential cannot run here ("" when it can).
func DifferentialAvailable() string {
	return "the differential target compares netstack with Linux's sockets: Linux only"
}

// LinuxDifferential needs the host's Linux sockets: elsewhere it reports that as an error.
func LinuxDifferential(steps []Step, netstack Sockets) *DiffReport {
	return &DiffReport{Steps: steps, Hang: -1, Errors: []error{errors.New(DifferentialAvailable())}}
}
