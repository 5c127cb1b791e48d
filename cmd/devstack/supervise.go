package main

import (
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// proc is one supervised process of the cluster. A process with autoRestart is
// started again a second after it dies (as systemd's Restart=always would); the
// others stay down until started through the control API.
type proc struct {
	name        string
	port        int
	args        []string
	env         []string
	log         string
	autoRestart bool

	// Guarded by the cluster's mu.
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the current run ends
	running  bool
	restarts int
	ready    bool
}

// launch starts p and supervises it: when it dies it is restarted if it has
// autoRestart and the cluster is not stopping.
func (c *cluster) launch(p *proc) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.launchLocked(p)
}

func (c *cluster) launchLocked(p *proc) error {
	if p.running {
		return fmt.Errorf("%s is already running", p.name)
	}
	lf, err := logFile(p.log)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := startService(cmd); err != nil {
		lf.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.running = cmd, exited, true
	go func() {
		err := cmd.Wait()
		lf.Close()
		c.mu.Lock()
		p.running = false
		close(exited)
		restart := p.autoRestart && !c.stopping
		c.mu.Unlock()
		if !restart {
			return
		}
		logf("cluster: %s exited (%v); restarting it in 1s", p.name, err)
		time.Sleep(time.Second)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.stopping || p.running {
			return
		}
		p.restarts++
		if err := c.launchLocked(p); err != nil {
			logf("cluster: restart %s: %v", p.name, err)
		}
	}()
	return nil
}

// kill sends SIGKILL to p's process group, as a crash would, and returns the pid.
func (c *cluster) kill(p *proc) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !p.running {
		return 0, fmt.Errorf("%s is not running", p.name)
	}
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		return 0, fmt.Errorf("kill -9 %s (pid %d): %w", p.name, pid, err)
	}
	return pid, nil
}

// stop asks p to stop with SIGTERM and kills its group after grace. The caller
// has set the cluster to stopping (or cleared autoRestart) first.
func (c *cluster) stop(p *proc, grace time.Duration) {
	c.mu.Lock()
	cmd, exited := p.cmd, p.exited
	c.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	terminate(cmd, exited, grace)
}

// pid is the process id of p's current run, 0 when it is down.
func (p *proc) pid() int {
	if !p.running || p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}
