// Package webtest tests the embedded web app in a real browser: each test starts
// the real server in-process (real Postgres database and MinIO bucket of its own),
// seeds users, sites and inspections through the storage services, and runs a
// Playwright driver (driver/driver.mjs, on Debian's Chromium) through one user's
// task, then checks what the server stored. Screenshots of the main screens go to
// $SAFEGRID_SCREENSHOTS, or ./screenshots at the repository root.
package webtest
