// The JSON API client: same-origin fetch with the session cookie, errors turned
// into ApiError with the server's user-safe message.

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.field = field;
  }
  /** network is true when the request never got an answer (offline, reset). */
  get network() { return this.status === 0; }
  /** retryable: offline, timeouts, overload and server errors; a retry may succeed. */
  get retryable() { return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500; }
}

const listeners = new Set();
/** onUnauthorized registers fn to run when any call answers 401. */
export function onUnauthorized(fn) { listeners.add(fn); }

export async function request(method, path, { body, json, signal, raw, headers: extra } = {}) {
  const headers = { Accept: 'application/json', ...extra };
  let payload = body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (body instanceof Blob) {
    headers['Content-Type'] = body.type || 'application/octet-stream';
  }
  let res;
  try {
    // With its own validators (If-None-Match) a request skips the HTTP cache.
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal, cache: extra ? 'no-store' : 'default' });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'network');
  }
  if (raw) return res;
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    if (res.status === 401 && !path.endsWith('/auth/login')) listeners.forEach((fn) => fn());
    const e = new ApiError(res.status, data?.error, data?.message, data?.field);
    e.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw e;
  }
  return data;
}

export const api = {
  get: (p, o) => request('GET', p, o),
  post: (p, json, o) => request('POST', p, { ...o, json: json ?? {} }),
  put: (p, json, o) => request('PUT', p, { ...o, json }),
  del: (p, o) => request('DELETE', p, o),
  /** qs builds a query string from an object, skipping empty values. */
  qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null || v === '' || v === false) continue;
      u.set(k, String(v));
    }
    const s = u.toString();
    return s ? `?${s}` : '';
  },
};

// The last answers an inspector needs to open the app without a connection (who is
// logged in, today's list, the checklist): kept on the device, used only when a
// request gets no answer at all, and dropped at logout.
const SAVED = 'safegrid.saved:';

/** remember keeps data as the last known answer for path. */
export function remember(path, data) {
  try { localStorage.setItem(SAVED + path, JSON.stringify(data)); } catch { /* full or disabled: online only */ }
}

/** recall returns the last known answer for path, or undefined. */
export function recall(path) {
  try {
    const s = localStorage.getItem(SAVED + path);
    return s === null ? undefined : JSON.parse(s);
  } catch { return undefined; }
}

/** DRAFT prefixes what a user typed and has not sent (a proof's note): theirs
 * alone, so it goes at logout with the remembered answers. */
export const DRAFT = 'safegrid.draft:';

/** forgetAll drops every remembered answer and unsent draft (at logout or when
 * the session ends). */
export function forgetAll() {
  try {
    for (const k of Object.keys(localStorage)) if (k.startsWith(SAVED) || k.startsWith(DRAFT)) localStorage.removeItem(k);
  } catch { /* nothing kept */ }
}

/** getSaved is api.get that remembers the answer and, when the request gets no
 * answer at all (offline), returns the last remembered one instead. */
export async function getSaved(path) {
  try {
    const data = await request('GET', path);
    remember(path, data);
    return data;
  } catch (err) {
    const saved = err instanceof ApiError && err.network ? recall(path) : undefined;
    if (saved === undefined) throw err;
    return saved;
  }
}

/** items unwraps a list answer ({items: [...]}) or a bare array. */
export function items(data) {
  if (Array.isArray(data)) return data;
  return data?.items ?? [];
}

/** pages reads a list page after page, following its next cursor, until the
 * list ends or at least max items are read; more says the list goes on past them. */
export async function pages(path, params, max) {
  const list = [];
  let cursor = '';
  for (;;) {
    const data = await api.get(`${path}${api.qs({ ...params, cursor })}`);
    list.push(...items(data));
    if (!data?.next || list.length >= max) return { list, more: !!data?.next };
    cursor = data.next;
  }
}

const siteCache = new Map();
/** site returns a site by id, fetched once per page load. */
export function site(id) {
  if (!siteCache.has(id)) {
    const p = getSaved(`/api/v1/sites/${id}`).catch((err) => { siteCache.delete(id); throw err; });
    siteCache.set(id, p);
  }
  return siteCache.get(id);
}

let openapi = null;
/** hasRoute reports whether the server's OpenAPI document lists an API path
 * (e.g. "/api/v1/kpi"), to tell "not built yet" from "not found". */
export async function hasRoute(path) {
  if (!openapi) openapi = api.get('/api/v1/openapi.json').catch(() => ({ paths: {} }));
  const doc = await openapi;
  return Object.prototype.hasOwnProperty.call(doc.paths || {}, path);
}
