// Package layers holds no code: its test checks, from the source, that every
// package of the module imports only what docs/ARCHITECTURE.md says it may.
package layers
