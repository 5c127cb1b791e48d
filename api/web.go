package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"mime"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// webFiles is the web app: plain ES modules, hand-written CSS and the message
// catalogs, served as they are (no build step).
//
//go:embed web
var webFiles embed.FS

// webAsset is one embedded file, ready to serve.
type webAsset struct {
	body        []byte
	gzipped     []byte // body compressed, when that saves bytes
	contentType string
	etag        string
}

// WebConfig is what the web app is told at start: the map's tile server (a
// city's own; empty draws the map without tiles, sites by their coordinates).
type WebConfig struct {
	// MapTileURL is a tile URL template such as https://tiles.example.gov/{z}/{x}/{y}.png.
	MapTileURL string
	// MapAttribution is shown under the map, as the tile server's licence asks.
	MapAttribution string
}

// contentSecurityPolicy is webContentSecurityPolicy with the tile server's
// origin allowed for images.
func (w WebConfig) contentSecurityPolicy() string {
	u, err := url.Parse(w.MapTileURL)
	if w.MapTileURL == "" || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return webContentSecurityPolicy
	}
	return strings.Replace(webContentSecurityPolicy, "img-src 'self' blob: data:;", "img-src 'self' blob: data: "+u.Scheme+"://"+u.Host+";", 1)
}

// gzipAsset compresses body once at start, for clients that accept gzip.
func gzipAsset(body []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(body) //nolint:errcheck // writes to memory
	zw.Close()     //nolint:errcheck
	if b.Len() >= len(body) {
		return nil
	}
	return b.Bytes()
}

// webContentSecurityPolicy keeps the app to its own origin: no inline script, no
// third-party anything. Photos shown before upload are blob: URLs.
const webContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// loadWebAssets reads every embedded file once, with its content type and a
// content-hash ETag.
func loadWebAssets() (map[string]webAsset, error) {
	assets := map[string]webAsset{}
	root, err := fs.Sub(webFiles, "web")
	if err != nil {
		return nil, err
	}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js", ".mjs":
			ct = "text/javascript; charset=utf-8"
		case ".json":
			ct = "application/json; charset=utf-8"
		case ".webmanifest":
			ct = "application/manifest+json"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		assets["/"+p] = webAsset{body: body, gzipped: gzipAsset(body), contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := prepareServiceWorker(assets); err != nil {
		return nil, err
	}
	return assets, nil
}

// serviceWorkerPath is the service worker script; at the root so its scope is
// the whole app without a Service-Worker-Allowed header.
const serviceWorkerPath = "/sw.js"

// prepareServiceWorker fills in the service worker's shell version and file list.
// The version is a hash of every embedded file, so a binary with any changed file
// serves a byte-different sw.js, which makes the browser install the new worker
// with a new cache (and drop the old one).
func prepareServiceWorker(assets map[string]webAsset) error {
	sw, ok := assets[serviceWorkerPath]
	if !ok {
		return fmt.Errorf("%s is not embedded", serviceWorkerPath)
	}
	var shell []string
	h := sha256.New()
	for _, p := range slices.Sorted(maps.Keys(assets)) {
		fmt.Fprintf(h, "%s %s\n", p, assets[p].etag)
		// Vendored libraries (the map's) are fetched by the screen that needs them.
		if p != serviceWorkerPath && !strings.HasPrefix(p, "/vendor/") {
			shell = append(shell, p)
		}
	}
	version := hex.EncodeToString(h.Sum(nil)[:8])
	files, err := json.Marshal(shell)
	if err != nil {
		return err
	}
	body := bytes.Replace(sw.body, []byte("'__SHELL_VERSION__'"), []byte("'"+version+"'"), 1)
	body = bytes.Replace(body, []byte("__SHELL_FILES__"), files, 1)
	if bytes.Contains(body, []byte("__SHELL_")) {
		return fmt.Errorf("%s: a placeholder was not filled in", serviceWorkerPath)
	}
	sum := sha256.Sum256(body)
	assets[serviceWorkerPath] = webAsset{body: body, gzipped: gzipAsset(body), contentType: sw.contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	return nil
}

// isReservedPath reports whether p belongs to the API or the probes, which the web
// app never answers for.
func isReservedPath(p string) bool {
	return p == "/api" || strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz"
}

// MountWeb serves the embedded web app at /: the files as they are, and
// index.html for any other path without a file extension (the app routes in the
// browser). Call it after the API is mounted; it never answers for /api,
// /healthz or /readyz, which fall through to their own routes (or the JSON 404).
//
// Caching: every file is revalidated on each use (Cache-Control: no-cache with a
// content-hash ETag, so an unchanged file costs a 304). The files have no hashed
// names, so a longer max-age would let a phone keep old modules after an update.
// The same holds for /sw.js, the service worker that keeps the shell for offline
// use: a stale copy of it would pin the phone to an old cache.
//
// Files are sent gzip-compressed to clients that accept it. /config.json tells the
// app its WebConfig.
func (s *Server) MountWeb(cfgs ...WebConfig) {
	var cfg WebConfig
	if len(cfgs) > 0 {
		cfg = cfgs[0]
	}
	assets, err := loadWebAssets()
	if err != nil {
		// The files are compiled in; failing to read them is a build defect.
		panic("api: read embedded web app: " + err.Error())
	}
	csp := cfg.contentSecurityPolicy()
	appConfig, _ := json.Marshal(map[string]string{"map_tile_url": cfg.MapTileURL, "map_attribution": cfg.MapAttribution})
	s.app.Get("/config.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(appConfig)
	})
	index := assets["/index.html"]
	s.app.Get("/*", func(c *fiber.Ctx) error {
		p := c.Path()
		if isReservedPath(p) {
			return c.Next()
		}
		if p == "/" || p == "" {
			p = "/index.html"
		}
		a, ok := assets[p]
		if !ok {
			if path.Ext(p) != "" {
				return c.Next() // a missing file is a 404, not the app
			}
			a = index // an app route such as /inspections/12
		}
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set(fiber.HeaderETag, a.etag)
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("Referrer-Policy", "same-origin")
		if a.contentType == "text/html; charset=utf-8" {
			c.Set("Content-Security-Policy", csp)
			c.Set("X-Frame-Options", "DENY")
		}
		c.Set(fiber.HeaderContentType, a.contentType)
		c.Vary(fiber.HeaderAcceptEncoding)
		if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && etagMatches(match, a.etag) {
			return c.SendStatus(fiber.StatusNotModified)
		}
		if a.gzipped != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
			c.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(a.gzipped)
		}
		return c.Send(a.body)
	})
}

// etagMatches reports whether an If-None-Match header names etag (or is *).
func etagMatches(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "W/"))
		if v == etag || v == "*" {
			return true
		}
	}
	return false
}
