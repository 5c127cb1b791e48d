package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// ensurePostgres returns DATABASE_URL: the given one; else the server already
// listening on 127.0.0.1:5432; else a private cluster started with initdb/pg_ctl
// (installing Debian's postgresql package first when the binaries are missing and we
// are root).
func (st *stack) ensurePostgres(ctx context.Context) ([]string, error) {
	if url := os.Getenv("DATABASE_URL"); url != "" {
		logf("postgres: using DATABASE_URL")
		return nil, nil
	}
	host, port := "127.0.0.1", 5432
	if listening("127.0.0.1:5432") {
		logf("postgres: using the server already listening on 127.0.0.1:5432")
	} else {
		p, err := st.startCluster(ctx)
		if err != nil {
			return nil, err
		}
		port = p
	}
	server := fmt.Sprintf("postgres://postgres@%s:%d/postgres?sslmode=disable", host, port)
	if st.appDB == "" {
		return []string{"DATABASE_URL=" + server}, nil
	}
	if err := createDatabase(ctx, server, st.appDB); err != nil {
		return nil, err
	}
	return []string{fmt.Sprintf("DATABASE_URL=postgres://postgres@%s:%d/%s?sslmode=disable", host, port, st.appDB)}, nil
}

// createDatabase creates name on the server unless it exists.
func createDatabase(ctx context.Context, serverURL, name string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	logf("postgres: created database %s", name)
	return nil
}

// startCluster runs a private cluster under the work folder on a free port.
func (st *stack) startCluster(ctx context.Context) (int, error) {
	bindir, err := postgresBinDir(ctx)
	if err != nil {
		return 0, err
	}
	data := filepath.Join(st.workDir, "postgres")
	logPath := filepath.Join(st.workDir, "postgres.log")
	cred, err := postgresOwner()
	if err != nil {
		return 0, err
	}
	asOwner := func(name string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, filepath.Join(bindir, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
		return cmd
	}
	chown := func(path string) {
		if cred != nil {
			os.Chown(path, int(cred.Uid), int(cred.Gid))
		}
	}
	chown(st.workDir)
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		logf("postgres: initdb %s", data)
		if err := os.MkdirAll(data, 0o700); err != nil {
			return 0, err
		}
		chown(data)
		out, err := asOwner("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions").CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("initdb: %w\n%s", err, out)
		}
	}
	port, err := freePort(0)
	if err != nil {
		return 0, err
	}
	lf, err := logFile(logPath)
	if err != nil {
		return 0, err
	}
	lf.Close()
	chown(logPath)
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s", port, data)
	out, err := asOwner("pg_ctl", "-D", data, "-o", opts, "-l", logPath, "-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pg_ctl start: %w\n%s(see %s)", err, out, logPath)
	}
	st.pg = &pgCluster{bindir: bindir, data: data, logPath: logPath, opts: opts, cred: cred}
	st.onStop(func() {
		logf("postgres: stopping private cluster")
		stop := exec.Command(filepath.Join(bindir, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop")
		stop.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := stop.CombinedOutput(); err != nil {
			logf("postgres: pg_ctl stop: %v\n%s", err, out)
		}
	})
	logf("postgres: private cluster on 127.0.0.1:%d (data %s, log %s)", port, data, logPath)
	return port, nil
}

// postgresBinDir finds initdb and pg_ctl, installing Debian's postgresql package when
// they are missing and we are root.
func postgresBinDir(ctx context.Context) (string, error) {
	if dir := findPostgresBin(); dir != "" {
		return dir, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("initdb/pg_ctl not found: install PostgreSQL (Debian: apt-get install postgresql) or set DATABASE_URL")
	}
	logf("postgres: installing Debian's postgresql package (apt-get) ...")
	if err := aptInstall(ctx, "postgresql"); err != nil {
		return "", err
	}
	if dir := findPostgresBin(); dir != "" {
		return dir, nil
	}
	return "", errors.New("initdb not found even after installing postgresql")
}

func findPostgresBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs))) // newest major version first
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

// pgCluster is a private cluster devstack started: what pg_ctl needs to restart it.
type pgCluster struct {
	bindir, data, logPath, opts string
	cred                        *syscall.Credential
}

// restart runs pg_ctl restart with the given shutdown mode (immediate: a crash).
func (pg *pgCluster) restart(mode string) error {
	cmd := exec.Command(filepath.Join(pg.bindir, "pg_ctl"), "-D", pg.data, "-o", pg.opts, "-l", pg.logPath, "-m", mode, "-w", "-t", "60", "restart")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred, Setpgid: true}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl restart -m %s: %w\n%s", mode, err, out)
	}
	return nil
}

// postgresOwner is who runs initdb and postgres: they refuse to run as root, so
// as root it is the postgres user; nil means the current user.
func postgresOwner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root and there is no postgres user to run the cluster as")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
