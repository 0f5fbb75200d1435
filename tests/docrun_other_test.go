//go:build !unix

package tests

import "time"

func runDocCommand(dir string, env, args []string, timeout time.Duration) (int, string, string, error) {
	return 0, "", "", errNoDocRun
}
