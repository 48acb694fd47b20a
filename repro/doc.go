// Package repro will hold the program language: the AST, its text and byte forms, the executor,
// the minimizer and the crash store.
package repro
