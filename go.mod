module github.com/sockfuzz/sockfuzz

go 1.26.8

require (
	github.com/AdaLogics/go-fuzz-headers v0.0.0-20240806141605-e8a1dd7889d6
	go.uber.org/goleak v1.3.0
)
