// Package corpus will embed the seed programs and the stored crashers.
package corpus
