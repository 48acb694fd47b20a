// Package fuzz will hold the native fuzz targets (in fuzz_test.go) and their helpers.
package fuzz
