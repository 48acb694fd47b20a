package fuzz

import (
	"testing"

	"github.com/sockfuzz/sockfuzz/repro"
)

// The fuzz targets. Each decodes its input with the byte codec into a program of its profile,
// runs it in Controlled mode (or Free with SOCKFUZZ_MODE=free) with SOCKFUZZ_FAULTS switched
// on, under the schedule in the input's tail and SOCKFUZZ_SCHEDULES-1 more derived from its
// bytes, and fails with the first report's title. Their bodies use only f.Add, f.Fuzz and t.Fatal, for libFuzzer builds.

func FuzzSockets(f *testing.F) {
	h := HarnessFor(Sockets)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

func FuzzAcceptQueue(f *testing.F) {
	h := HarnessFor(AcceptQueue)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

func FuzzAsyncWakeup(f *testing.F) {
	h := HarnessFor(AsyncWakeup)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

func FuzzSoclose(f *testing.F) {
	h := HarnessFor(Soclose)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

func FuzzReproText(f *testing.F) {
	for _, s := range TextSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := repro.CheckText(data); err != nil {
			t.Fatal(err)
		}
	})
}

// The netstack targets run gVisor's netstack under the same programs and oracles; controlled
// netstack needs the hooked build of gVisor (stack/netstack/gvpatch), so in the plain build
// they skip, saying why (go test ./... runs them hooked through stack/netstack/launch).

func FuzzNetstackSockets(f *testing.F) {
	h := HarnessFor(NetstackSockets)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if why := h.Unavailable(); why != "" {
			t.Skip(why)
		}
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

func FuzzNetstackAccept(f *testing.F) {
	h := HarnessFor(NetstackAccept)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if why := h.Unavailable(); why != "" {
			t.Skip(why)
		}
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

func FuzzNetstackClose(f *testing.F) {
	h := HarnessFor(NetstackClose)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if why := h.Unavailable(); why != "" {
			t.Skip(why)
		}
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

func FuzzNetstackWakeup(f *testing.F) {
	h := HarnessFor(NetstackWakeup)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if why := h.Unavailable(); why != "" {
			t.Skip(why)
		}
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

// FuzzNetstackLinux is the differential target: single-process programs of the conformance
// scenarios' calls run on netstack and on the host's Linux sockets over 127.0.0.1, and a
// difference no known deviation explains fails (stack/conformance, differential.go). It needs
// Linux and the hooked build; elsewhere it skips, saying why.
func FuzzNetstackLinux(f *testing.F) {
	d := DifferHarness()
	for _, s := range d.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if why := d.Unavailable(); why != "" {
			t.Skip(why)
		}
		if msg := d.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

// The edit-form targets: FuzzSockets's and FuzzNetstackSockets's profiles, their inputs a seed
// and edits to it (repro.DecodeEdits), so that byte mutations are program mutations.

func FuzzEditSockets(f *testing.F) {
	h := HarnessFor(EditSockets)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}

func FuzzNetstackEdits(f *testing.F) {
	h := HarnessFor(NetstackEdits)
	for _, s := range h.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if why := h.Unavailable(); why != "" {
			t.Skip(why)
		}
		if msg := h.Run(data); msg != "" {
			t.Fatal(msg)
		}
	})
}
