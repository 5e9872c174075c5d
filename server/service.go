package main

import (
	"slices"
	"strings"
)

// withData returns args with --data dir unless they already set it.
func withData(args []string, dir string) []string {
	if slices.ContainsFunc(args, func(a string) bool {
		return a == "--data" || a == "-data" || strings.HasPrefix(a, "--data=") || strings.HasPrefix(a, "-data=")
	}) {
		return args
	}
	return append([]string{"--data", dir}, args...)
}
