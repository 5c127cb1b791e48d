// The service worker: keeps the app shell (index.html, the modules, the CSS, the
// icon and both catalogs) on the phone so the app opens without a connection, in
// basements and stairwells. The server substitutes the version (a hash of every
// embedded file) and the file list, so a new binary brings a new worker, a new
// cache, and the old caches are deleted when it takes over.
//
// It never touches the API or the probes: those go to the network as they would
// without a worker, so the outbox sees real failures and retries on its own.

const VERSION = '__SHELL_VERSION__';
const SHELL = __SHELL_FILES__;
const PREFIX = 'safegrid-shell-';
const CACHE = PREFIX + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'no-cache' revalidates with the server, so an HTTP-cached file from
    // the previous binary never lands in the new version's cache.
    await cache.addAll(SHELL.map((p) => new Request(p, { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

function reserved(path) {
  return path === '/api' || path.startsWith('/api/') || path === '/healthz' || path === '/readyz';
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || reserved(url.pathname)) return;
  if (req.mode === 'navigate') {
    // Network first, so an online phone always gets the current page; the cached
    // one only when there is no answer at all.
    event.respondWith(fetch(req).catch(async () => {
      const cached = await caches.open(CACHE).then((c) => c.match('/index.html'));
      return cached || Response.error();
    }));
    return;
  }
  if (url.search === '' && SHELL.includes(url.pathname)) {
    // Cache first: the files are versioned by the cache name.
    event.respondWith(caches.open(CACHE).then((c) => c.match(url.pathname)).then((hit) => hit || fetch(req)));
  }
});
