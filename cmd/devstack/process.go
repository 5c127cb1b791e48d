package main

import (
	"os"
	"os/exec"
	"syscall"
	"time"
)

// startService starts a long-running service in its own process group, so that a
// Ctrl-C in the terminal does not reach it before devstack stops it in order.
func startService(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd.Start()
}

// stopService asks the process to stop with SIGTERM and kills its group if it has
// not exited within grace.
func stopService(cmd *exec.Cmd, grace time.Duration) {
	if cmd.Process == nil {
		return
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	terminate(cmd, done, grace)
}

// terminate sends the started process SIGTERM and, when exited is not closed
// within grace, kills its process group and waits for exited.
func terminate(cmd *exec.Cmd, exited <-chan struct{}, grace time.Duration) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

// logFile opens (appending) a log file for a service's output.
func logFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
}
