package main

import (
	"encoding/json"
	"net"
	"net/http"
	"time"
)

// ProcState is one process in the control API's /state answer.
type ProcState struct {
	Name     string `json:"name"`
	Port     int    `json:"port"`
	PID      int    `json:"pid"` // 0 when down
	Ready    bool   `json:"ready"`
	Restarts int    `json:"restarts"`
}

// serveControl starts the fault-injection API on a loopback port, for make chaos:
//
//	GET  /state                  every process, its pid, readiness and restarts
//	POST /kill?name=replica-2    kill -9 a replica (restarted after 1 s), a MinIO node (stays down) or nginx
//	POST /start?name=minio-3     start a MinIO node that is down
//	POST /postgres/restart       pg_ctl restart -m immediate on the private cluster
func (c *cluster) serveControl() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.control = ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		var out struct{ Replicas, MinIO []ProcState }
		for _, p := range c.replicas {
			out.Replicas = append(out.Replicas, ProcState{p.name, p.port, p.pid(), p.ready, p.restarts})
		}
		for _, p := range c.minio {
			out.MinIO = append(out.MinIO, ProcState{p.name, p.port, p.pid(), p.ready, p.restarts})
		}
		c.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /kill", func(w http.ResponseWriter, r *http.Request) {
		p := c.byName(r.URL.Query().Get("name"))
		if p == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such process"})
			return
		}
		pid, err := c.kill(p)
		if err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		logf("cluster: control: kill -9 %s (pid %d)", p.name, pid)
		writeJSON(w, http.StatusOK, map[string]int{"pid": pid})
	})
	mux.HandleFunc("POST /start", func(w http.ResponseWriter, r *http.Request) {
		p := c.byName(r.URL.Query().Get("name"))
		if p == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such process"})
			return
		}
		c.mu.Lock()
		p.restarts++
		err := c.launchLocked(p)
		c.mu.Unlock()
		if err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		logf("cluster: control: started %s", p.name)
		writeJSON(w, http.StatusOK, map[string]string{"started": p.name})
	})
	mux.HandleFunc("POST /postgres/restart", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		logf("cluster: control: pg_ctl restart -m immediate")
		if err := c.st.pg.restart("immediate"); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"took": time.Since(start).String()})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	c.st.onStop(func() { srv.Close() })
	return nil
}

func (c *cluster) byName(name string) *proc {
	for _, p := range append(append([]*proc{c.nginx}, c.replicas...), c.minio...) {
		if p.name == name {
			return p
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		logf("control: %v", err)
	}
}
