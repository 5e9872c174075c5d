package main

import (
	"slices"
	"testing"
)

// The Windows service is installed with an absolute data folder: the
// service manager starts it in C:\Windows\System32, where ./data would land.
func TestServiceArgsGetADataFolder(t *testing.T) {
	for _, tc := range []struct {
		in, want []string
	}{
		{nil, []string{"--data", `C:\ProgramData\CiviQ\data`}},
		{[]string{"--addr", ":8080"}, []string{"--data", `C:\ProgramData\CiviQ\data`, "--addr", ":8080"}},
		{[]string{"--data", `D:\q`}, []string{"--data", `D:\q`}},
		{[]string{"--addr", ":80", "-data=D:\\q"}, []string{"--addr", ":80", "-data=D:\\q"}},
		{[]string{"--data=D:\\q"}, []string{"--data=D:\\q"}},
	} {
		if got := withData(tc.in, `C:\ProgramData\CiviQ\data`); !slices.Equal(got, tc.want) {
			t.Errorf("withData(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
