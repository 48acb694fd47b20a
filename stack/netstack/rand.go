package netstack

import (
	"math/rand/v2"
	"sync"
)

// seed is the constant every execution seeds its randomness with, so that the ISNs, ports and
// cookies depend only on the program and its schedule.
var seed = [32]byte{'s', 'o', 'c', 'k', 'f', 'u', 'z', 'z'}

// rng is netstack's SecureRNG (an io.Reader) and RandSource (a math/rand Source): one ChaCha8
// stream behind a standard mutex, since netstack reads it from several goroutines. The
// critical sections have no scheduling point, so the mutex is safe in Controlled mode too.
type rng struct {
	mu sync.Mutex
	c  *rand.ChaCha8
}

func newRNG() *rng { return &rng{c: rand.NewChaCha8(seed)} }

// Read implements io.Reader; it never fails.
func (r *rng) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c.Read(p)
}

// Int63 implements math/rand.Source.
func (r *rng) Int63() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return int64(r.c.Uint64() >> 1)
}

// Seed implements math/rand.Source: the stream is the execution's, reseeding it is ignored.
func (r *rng) Seed(int64) {}
