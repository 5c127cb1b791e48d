// The outbox: photos and checklist answers kept on the device (IndexedDB) until
// the server has them. Nothing is lost when the connection drops: every photo is
// stored before its first upload attempt, and retried with the same client UUID,
// which the server treats as the same upload (same UUID + same bytes = same
// answer), so a retry after a lost response never makes a duplicate.
//
// Photo states: queued → uploading → uploaded, or failed (will retry) / rejected
// (the server refused it; not retried, shown with the reason).

import { request } from './api.js';

const DB_NAME = 'safegrid';
const DB_VERSION = 1;

function promisify(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDB() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('photos')) {
        const s = db.createObjectStore('photos', { keyPath: 'id' });
        s.createIndex('target', 'target');
      }
      if (!db.objectStoreNames.contains('answers')) {
        const s = db.createObjectStore('answers', { keyPath: 'key' });
        s.createIndex('inspection', 'inspectionId');
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** itemTarget and hazardTarget name what a photo is evidence for. */
export const itemTarget = (inspectionId, code) => `i:${inspectionId}:${code}`;
export const hazardTarget = (hazardId) => `h:${hazardId}`;

const BACKOFF_MS = [2000, 4000, 8000, 15000, 30000];

class Outbox extends EventTarget {
  constructor() {
    super();
    this.dbp = null;
    this.running = false;
    this.again = false;
    this.timer = null;
    this.paused = false; // a 401: wait for a new login
    this.urls = new Map();
  }

  db() {
    if (!this.dbp) this.dbp = openDB();
    return this.dbp;
  }

  async tx(stores, mode, fn) {
    const db = await this.db();
    const tx = db.transaction(stores, mode);
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    const out = await fn(tx);
    await done;
    return out;
  }

  start() {
    addEventListener('online', () => this.kick(true));
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.kick(true); });
    navigator.storage?.persist?.().catch(() => {});
    this.kick(true);
  }

  notify(detail) { this.dispatchEvent(new CustomEvent('change', { detail })); }

  /** addPhoto stores a photo for a target and queues its upload. */
  async addPhoto(file, target, extra) {
    const rec = {
      id: extra.id,
      target,
      inspectionId: extra.inspectionId || 0,
      itemCode: extra.itemCode || '',
      hazardId: extra.hazardId || 0,
      blob: file,
      type: file.type,
      size: file.size,
      state: 'queued',
      attempts: 0,
      error: '',
      nextTry: 0,
      createdAt: Date.now(),
    };
    await this.tx(['photos'], 'readwrite', (tx) => promisify(tx.objectStore('photos').put(rec)));
    this.notify({ kind: 'photo', id: rec.id, target });
    this.kick();
    return rec;
  }

  /** setAnswer queues an item answer; a newer answer for the item replaces a waiting one. */
  async setAnswer(inspectionId, code, body) {
    const rec = { key: `${inspectionId}:${code}`, inspectionId, code, body, state: 'queued', attempts: 0, error: '', nextTry: 0, createdAt: Date.now() };
    await this.tx(['answers'], 'readwrite', (tx) => promisify(tx.objectStore('answers').put(rec)));
    this.notify({ kind: 'answer', inspectionId, code });
    this.kick();
  }

  async photos(target) {
    return this.tx(['photos'], 'readonly', (tx) => promisify(tx.objectStore('photos').index('target').getAll(target)));
  }

  async allPhotos() {
    return this.tx(['photos'], 'readonly', (tx) => promisify(tx.objectStore('photos').getAll()));
  }

  async answers(inspectionId) {
    return this.tx(['answers'], 'readonly', (tx) => promisify(tx.objectStore('answers').index('inspection').getAll(inspectionId)));
  }

  async allAnswers() {
    return this.tx(['answers'], 'readonly', (tx) => promisify(tx.objectStore('answers').getAll()));
  }

  /** pending counts what is not on the server yet (rejected ones included: they need a person). */
  async pending(filter = () => true) {
    const [ph, an] = await Promise.all([this.allPhotos(), this.allAnswers()]);
    const photos = ph.filter((p) => p.state !== 'uploaded' && filter(p));
    const answers = an.filter(filter);
    return { photos, answers, total: photos.length + answers.length };
  }

  async discardPhoto(id) {
    // The target goes with the notice, so the screen showing the photo draws it gone.
    const rec = await this.tx(['photos'], 'readonly', (tx) => promisify(tx.objectStore('photos').get(id)));
    await this.tx(['photos'], 'readwrite', (tx) => promisify(tx.objectStore('photos').delete(id)));
    this.notify({ kind: 'photo', id, target: rec?.target });
  }

  async discardAnswer(key) {
    // The item goes with the notice, so the checklist draws it as the server has it.
    const rec = await this.tx(['answers'], 'readonly', (tx) => promisify(tx.objectStore('answers').get(key)));
    await this.tx(['answers'], 'readwrite', (tx) => promisify(tx.objectStore('answers').delete(key)));
    this.notify({ kind: 'answer', inspectionId: rec?.inspectionId, code: rec?.code });
  }

  /** retryNow clears waiting times (and a rejected photo's refusal) and tries again. */
  async retryNow(id) {
    if (id) {
      await this.tx(['photos'], 'readwrite', async (tx) => {
        const s = tx.objectStore('photos');
        const p = await promisify(s.get(id));
        if (p && p.state !== 'uploaded') { p.state = 'queued'; p.nextTry = 0; p.error = ''; s.put(p); }
      });
    }
    this.paused = false;
    this.kick(true);
  }

  /** objectURL returns a blob: URL for a photo still on the device, kept while the page lives. */
  objectURL(p) {
    if (!p.blob) return '';
    if (!this.urls.has(p.id)) this.urls.set(p.id, URL.createObjectURL(p.blob));
    return this.urls.get(p.id);
  }

  /** kick starts a drain now (or soon); resetWaits makes failed items due at once. */
  async kick(resetWaits = false) {
    if (resetWaits) {
      try {
        await this.tx(['photos', 'answers'], 'readwrite', async (tx) => {
          for (const name of ['photos', 'answers']) {
            const s = tx.objectStore(name);
            const all = await promisify(s.getAll());
            for (const r of all) if (r.state === 'failed' && r.nextTry) { r.nextTry = 0; s.put(r); }
          }
        });
      } catch { /* the drain below reports real trouble */ }
    }
    this.drain();
  }

  async drain() {
    if (this.running) { this.again = true; return; }
    this.running = true;
    clearTimeout(this.timer);
    try {
      do {
        this.again = false;
        await this.drainOnce();
      } while (this.again);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  async schedule() {
    clearTimeout(this.timer);
    const { photos, answers } = await this.pending((r) => r.state === 'failed' || r.state === 'queued');
    const waits = [...photos, ...answers].map((r) => r.nextTry || 0);
    if (!waits.length || this.paused) return;
    const delay = Math.max(500, Math.min(...waits) - Date.now());
    this.timer = setTimeout(() => this.drain(), delay);
  }

  async drainOnce() {
    if (this.paused) return;
    const [ph, an] = await Promise.all([this.allPhotos(), this.allAnswers()]);
    const now = Date.now();
    const due = [
      ...an.filter((a) => (a.state === 'queued' || a.state === 'failed') && (a.nextTry || 0) <= now).map((r) => ({ kind: 'answer', r })),
      ...ph.filter((p) => (p.state === 'queued' || p.state === 'failed') && (p.nextTry || 0) <= now).map((r) => ({ kind: 'photo', r })),
    ].sort((a, b) => a.r.createdAt - b.r.createdAt);
    for (const op of due) {
      if (navigator.onLine === false) {
        // Offline: say so on every waiting item instead of burning attempts.
        await this.markOffline(op);
        continue;
      }
      const ok = op.kind === 'photo' ? await this.sendPhoto(op.r) : await this.sendAnswer(op.r);
      if (ok === 'stop') return;
    }
  }

  async markOffline(op) {
    const store = op.kind === 'photo' ? 'photos' : 'answers';
    const key = op.kind === 'photo' ? op.r.id : op.r.key;
    await this.update(store, key, (r) => { r.state = 'failed'; r.error = 'offline'; r.nextTry = Date.now() + 15000; });
  }

  async update(store, key, fn) {
    let out;
    await this.tx([store], 'readwrite', async (tx) => {
      const s = tx.objectStore(store);
      const r = await promisify(s.get(key));
      if (!r) return;
      fn(r);
      s.put(r);
      out = r;
    });
    if (out) this.notify(store === 'photos' ? { kind: 'photo', id: out.id, target: out.target, state: out.state } : { kind: 'answer', inspectionId: out.inspectionId, code: out.code, state: out.state });
    return out;
  }

  failure(r, err) {
    if (err.status === 401) {
      this.paused = true;
      r.state = 'failed';
      r.error = 'login';
      return;
    }
    if (err.retryable) {
      r.attempts = (r.attempts || 0) + 1;
      r.state = 'failed';
      r.error = err.network ? 'network' : (err.code || `http_${err.status}`);
      r.errorField = err.field || '';
      r.nextTry = Date.now() + BACKOFF_MS[Math.min(r.attempts - 1, BACKOFF_MS.length - 1)] * (0.8 + Math.random() * 0.4);
      return;
    }
    r.state = 'rejected';
    // A proxy in front of the server answers 413 or 415 with its own page, no code.
    r.error = err.code || { 413: 'too_large', 415: 'unsupported' }[err.status] || `http_${err.status}`;
    r.errorField = err.field || '';
  }

  async sendPhoto(p) {
    await this.update('photos', p.id, (r) => { r.state = 'uploading'; });
    const q = p.hazardId ? `hazard_id=${p.hazardId}` : `inspection_id=${p.inspectionId}&item_code=${encodeURIComponent(p.itemCode)}`;
    try {
      const saved = await request('PUT', `/api/v1/photos/${p.id}?${q}`, { body: p.blob });
      await this.update('photos', p.id, (r) => {
        r.state = 'uploaded';
        r.error = '';
        r.uploadedAt = Date.now();
        r.sha256 = saved?.sha256 || '';
        r.blob = null; // the server has it; free the phone's storage
      });
      return 'ok';
    } catch (err) {
      await this.update('photos', p.id, (r) => this.failure(r, err));
      if (err.retryable || err.status === 401) return 'stop';
      return 'ok';
    }
  }

  async sendAnswer(a) {
    await this.update('answers', a.key, (r) => { r.state = 'uploading'; });
    try {
      const item = await request('PUT', `/api/v1/inspections/${a.inspectionId}/items/${encodeURIComponent(a.code)}`, { json: a.body });
      // Only remove it when no newer answer replaced it meanwhile.
      await this.tx(['answers'], 'readwrite', async (tx) => {
        const s = tx.objectStore('answers');
        const cur = await promisify(s.get(a.key));
        if (cur && cur.createdAt === a.createdAt) s.delete(a.key);
      });
      this.notify({ kind: 'answer', inspectionId: a.inspectionId, code: a.code, state: 'saved', item });
      return 'ok';
    } catch (err) {
      await this.update('answers', a.key, (r) => this.failure(r, err));
      if (err.retryable || err.status === 401) return 'stop';
      return 'ok';
    }
  }
}

export const outbox = new Outbox();
