module github.com/sockfuzz/sockfuzz

go 1.26.8
