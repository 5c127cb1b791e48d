// Drives the SafeGrid web app in Debian's Chromium with playwright-core, one
// scenario per run, and prints one JSON line: {ok, error, screenshots, data}.
// Usage: node driver.mjs CONFIG.json (written by the Go tests in api/webtest).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(join(cfg.playwright, 'package.json'));
const { chromium } = require(cfg.playwright);

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };
const started = Date.now();
const log = (...a) => console.error(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
const shots = [];

async function shot(page, name, opts = {}) {
  await page.evaluate(() => document.fonts?.ready);
  const file = `${name}.png`;
  await page.screenshot({ path: join(cfg.screenshots, file), fullPage: !!opts.fullPage, animations: 'disabled' });
  shots.push(file);
  log('screenshot', file);
}

/** atSize takes a screenshot at another viewport size and comes back. */
async function shotAt(page, size, name, opts) {
  const before = page.viewportSize();
  await page.setViewportSize(size);
  await page.waitForTimeout(150);
  await shot(page, name, opts);
  await page.setViewportSize(before);
}

async function login(page, username) {
  await page.goto(cfg.base + '/');
  await page.waitForSelector('#login');
  await page.fill('#login', username);
  await page.fill('#password', cfg.password);
  await page.click('form.login button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  await page.waitForSelector('main h1');
  log('logged in as', username, '→', new URL(page.url()).pathname);
}

async function answerFail(page, code, outcome, note) {
  await page.click(`#item-${code} button[data-answer=fail]`);
  await page.check(outcome === 'hazard' ? `#out-haz-${code}` : `#out-fix-${code}`);
  if (note) await page.fill(`#note-${code}`, note);
  await page.click(`#item-${code} button[data-action=save-fail]`);
  await page.waitForSelector(`#item-${code}[data-answer=fail]`);
}

async function markRestNA(page) {
  await page.click('details.bulk summary');
  await page.click('#mark-rest-na');
}

async function waitUploaded(page, n, timeout = 45000) {
  await page.waitForSelector(`.inspection[data-pending="0"][data-uploaded="${n}"]`, { timeout });
}

async function submitInspection(page) {
  const btn = page.locator('#submit-inspection');
  await btn.waitFor();
  await page.waitForFunction(() => { const b = document.querySelector('#submit-inspection'); return b && !b.disabled; }, null, { timeout: 30000 });
  await btn.click();
  await page.waitForSelector('#submitted', { timeout: 15000 });
}

const photoIds = (page) => page.$$eval('.photo[data-photo-id]', (els) => els.map((e) => ({ id: e.dataset.photoId, state: e.dataset.state })));

const scenarios = {
  // An inspector on a phone answers the checklist with photos and submits it.
  async inspector(ctx, page) {
    const { pass, hazard, fix } = cfg.items;
    await login(page, 'inspector');
    await page.waitForSelector(`a[data-inspection-id="${cfg.inspectionId}"]`);
    await shot(page, 'inspector-today-phone');
    await page.click(`a[data-inspection-id="${cfg.inspectionId}"]`);
    await page.click('#start-inspection');
    await page.waitForSelector('.item');
    const itemCount = await page.locator('.item').count();
    log('checklist has', itemCount, 'items');

    await page.click(`#item-${pass} button[data-answer=pass]`);
    await page.setInputFiles(`#cam-${pass}`, cfg.images[0]);
    await answerFail(page, hazard, 'hazard', '走道内停放电动车 2 辆');
    await page.setInputFiles(`#cam-${hazard}`, cfg.images[1]);
    await answerFail(page, fix, 'fixed_on_spot', '');
    await page.setInputFiles(`#cam-${fix}`, cfg.images[2]);
    await waitUploaded(page, 3);
    log('3 photos uploaded');

    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'inspector-checklist-phone');
    await page.setViewportSize(DESKTOP);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'inspector-checklist-desktop');
    await page.setViewportSize(PHONE);

    await markRestNA(page);
    await submitInspection(page);
    await shot(page, 'inspector-submitted-phone');
    const hazardLink = await page.locator(`#item-${hazard} a[href^="/hazards/"]`).getAttribute('href');
    return { itemCount, photos: await photoIds(page), hazardLink };
  },

  // The same with the network cut part-way: photos taken offline wait on the
  // device, and after the network returns the first upload's answer is lost on
  // the way back, so the phone must retry it with the same UUID.
  async offline(ctx, page) {
    const codes = cfg.items;
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector('.item');
    await page.click(`#item-${codes[0]} button[data-answer=pass]`);
    await page.waitForSelector('.inspection[data-pending="0"]');

    await ctx.setOffline(true);
    log('offline');
    await page.waitForSelector('#offline:not([hidden])');
    for (let i = 0; i < codes.length; i++) {
      if (i > 0) await page.click(`#item-${codes[i]} button[data-answer=pass]`);
      await page.setInputFiles(`#cam-${codes[i]}`, cfg.images[i]);
    }
    // Every photo taken offline is on the page, none of them uploaded.
    const offlineStates = await (await page.waitForFunction((n) => {
      const tiles = [...document.querySelectorAll('.photo[data-photo-id]')].map((e) => ({ id: e.dataset.photoId, state: e.dataset.state }));
      return tiles.length === n && tiles.every((p) => p.state === 'failed') ? tiles : null;
    }, codes.length, { timeout: 15000 })).jsonValue();
    await page.locator(`#item-${codes[1]}`).scrollIntoViewIfNeeded();
    await shot(page, 'inspector-offline-phone');

    let puts = 0;
    let lost = 0;
    let lostStatus = 0;
    await page.route((url) => url.pathname.startsWith('/api/v1/photos/'), async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      puts++;
      if (lost === 0) {
        lost++;
        const res = await route.fetch(); // the server stores it ...
        lostStatus = res.status();
        log('first upload reached the server with', lostStatus, '; dropping the answer');
        return route.abort('connectionreset'); // ... but the phone never hears back
      }
      return route.continue();
    });
    await ctx.setOffline(false);
    log('online again');
    await waitUploaded(page, codes.length, 60000);
    log('all photos uploaded after', puts, 'PUT requests');
    await shot(page, 'inspector-back-online-phone');
    await markRestNA(page);
    await submitInspection(page);
    return { offlineStates, photos: await photoIds(page), puts, lostStatus };
  },

  // The app opens without a connection: once the service worker holds the shell,
  // the inspector goes offline, takes a photo, reloads the page, and still sees the
  // checklist with the photo waiting; back online, it uploads.
  async offlineReload(ctx, page) {
    const [code] = cfg.items;
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector('.item');
    await page.click(`#item-${code} button[data-answer=pass]`);
    await page.waitForSelector(`.inspection[data-pending="0"] #item-${code}[data-answer=pass]`);
    const swScope = await page.evaluate(() => Promise.race([
      navigator.serviceWorker.ready.then((r) => r.scope),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no active service worker after 15 s')), 15000)),
    ]));
    await page.waitForFunction(() => !!navigator.serviceWorker.controller);
    const cachesOnline = await page.evaluate(() => caches.keys());
    log('service worker active for', swScope, 'caches', cachesOnline);

    await ctx.setOffline(true);
    log('offline');
    await page.waitForSelector('#offline:not([hidden])');
    await page.setInputFiles(`#cam-${code}`, cfg.images[0]);
    const offlinePhotos = await (await page.waitForFunction(() => {
      const tiles = [...document.querySelectorAll('.photo[data-photo-id]')].map((e) => ({ id: e.dataset.photoId, state: e.dataset.state }));
      return tiles.length === 1 && tiles[0].state === 'failed' ? tiles : null;
    }, null, { timeout: 15000 })).jsonValue();
    // The worker's own fetches are offline too, so the reload below cannot be
    // answered by the server through it.
    const [worker] = ctx.serviceWorkers();
    const workerNetwork = worker ? await worker.evaluate(() => fetch('/healthz', { cache: 'no-store' }).then(() => 'online', () => 'offline')) : 'no worker';

    const res = await page.reload();
    log('reloaded offline');
    await page.waitForSelector(`.inspection #item-${code}`);
    await page.waitForSelector('#offline:not([hidden])');
    const reloadedPhotos = await (await page.waitForFunction(() => {
      const tiles = [...document.querySelectorAll('.photo[data-photo-id]')].map((e) => ({ id: e.dataset.photoId, state: e.dataset.state }));
      return tiles.length && tiles.every((p) => p.state !== 'uploading') ? tiles : null;
    }, null, { timeout: 15000 })).jsonValue();
    const reloaded = {
      fromServiceWorker: !!res?.fromServiceWorker(),
      answer: await page.locator(`#item-${code}`).getAttribute('data-answer'),
      pending: await page.locator('.inspection').getAttribute('data-pending'),
      photos: reloadedPhotos,
      bannerShown: await page.locator('#offline').isVisible(),
    };
    await page.evaluate(() => window.scrollTo(0, 0)); // the banner and what waits on the phone
    await shot(page, 'inspector-offline-reload-phone');

    await ctx.setOffline(false);
    log('online again');
    await waitUploaded(page, 1, 60000);
    await page.waitForSelector('#offline', { state: 'hidden' });
    return { swScope, workerNetwork, offlinePhotos, reloaded, photos: await photoIds(page) };
  },

  // A safety officer confirms one AI flag and rejects another, then opens the
  // hazard the confirmation made, the hazard list and the KPI dashboard.
  async reviewer(ctx, page) {
    const { confirm, reject } = cfg.flags;
    await login(page, 'officer');
    if (await page.locator('#not-available').count()) throw new Error('the flag review endpoints (/api/v1/flags) are not on the server');
    await page.waitForSelector(`#flag-${confirm}`);
    await page.waitForFunction((id) => [...document.querySelectorAll(`#flag-${id} .flag-photo img`)].some((i) => i.complete && i.naturalWidth > 0), confirm, { timeout: 15000 });
    await page.waitForTimeout(300);
    const fallback = await page.locator(`#flag-${confirm} .flag-photo`).getAttribute('data-fallback');
    await shot(page, 'review-queue-desktop');
    await shotAt(page, PHONE, 'review-queue-phone');

    await page.fill(`#confirm-note-${confirm}`, '走道内两辆电动车');
    await page.click(`#flag-${confirm} button[data-action=confirm]`);
    await page.waitForSelector(`#flag-${confirm} .hazard-link`);
    await page.click(`#flag-${reject} .quick button >> nth=0`);
    await page.click(`#flag-${reject} button[data-action=reject]`);
    await page.waitForSelector(`#flag-${reject}[data-review=rejected]`);
    await shot(page, 'review-queue-decided-desktop');

    const href = await page.locator(`#flag-${confirm} .hazard-link`).getAttribute('href');
    await page.click(`#flag-${confirm} .hazard-link`);
    await page.waitForSelector('.hazard[data-hazard-id] #hazard-events li');
    await shot(page, 'hazard-page-desktop', { fullPage: true });
    await shotAt(page, PHONE, 'hazard-page-phone', { fullPage: true });

    await page.click('nav.nav a[href="/office/hazards"]');
    await page.waitForSelector('#hazard-table, .empty');
    await shot(page, 'hazard-list-desktop');

    await page.click('nav.nav a[href="/office/kpi"]');
    await page.waitForSelector('#kpi-unavailable, .kpi-grid');
    const kpiAvailable = (await page.locator('.kpi-grid').count()) > 0;
    const kpiVolume = kpiAvailable ? (await page.locator('[data-kpi="volume"] .kpi-value').innerText()).trim() : '';
    await shot(page, 'kpi-dashboard-desktop');
    await shotAt(page, PHONE, 'kpi-dashboard-phone');
    return { hazardHref: href, annotatedFallback: fallback, kpiAvailable, kpiVolume };
  },

  // A merchant sees the deadline of a hazard on their premises and uploads proof.
  async merchant(ctx, page) {
    const id = cfg.hazardId;
    await login(page, 'merchant');
    await page.waitForSelector(`a[data-hazard-id="${id}"] .countdown`);
    const listCountdown = (await page.locator(`a[data-hazard-id="${id}"] .countdown .big`).textContent()).trim();
    await shot(page, 'merchant-home-phone');
    await page.click(`a[data-hazard-id="${id}"]`);
    await page.waitForSelector('.merchant-hazard .deadline .countdown');
    const countdown = (await page.locator('.deadline .countdown .big').textContent()).trim();
    await shot(page, 'merchant-hazard-phone', { fullPage: true });
    await shotAt(page, DESKTOP, 'merchant-hazard-desktop', { fullPage: true });

    await page.setInputFiles('#proof-cam', cfg.images[0]);
    await page.waitForSelector('.merchant-hazard[data-uploaded="1"]', { timeout: 30000 });
    await page.fill('#proof-note', '电动车已移到楼下集中停放点');
    await page.click('#submit-proof');
    await page.waitForSelector('#proof-submitted');
    await shot(page, 'merchant-proof-submitted-phone');
    return { listCountdown, countdown, proofNeeded: (await page.locator('.merchant-hazard').getAttribute('data-state')) };
  },

  // A safety officer puts a possibly major hazard to a panel of three on a
  // desktop; each reviewer logs in and votes; the officer concludes.
  async determination(ctx, page) {
    const id = cfg.hazardId;
    const hazardURL = `${cfg.base}/hazards/${id}`;
    const [opener] = cfg.reviewers;
    await login(page, opener.username);
    await page.goto(hazardURL);
    await page.waitForSelector('#determination[data-status=none] details.det-open[open]');
    const offeredActions = await page.$$eval('.actions button[data-action]', (els) => els.map((e) => e.dataset.action));
    for (const r of cfg.reviewers) await page.check(`#det-reviewer-${r.id}`);
    await page.fill('#det-note', '地下室存放液化气钢瓶，提请集体判定');
    await page.click('#det-open');
    await page.waitForSelector('#determination[data-status=open] #det-ballots');
    log('determination opened');
    for (const r of cfg.reviewers) {
      if (r !== opener) {
        await ctx.clearCookies();
        await login(page, r.username);
        await page.goto(hazardURL);
      }
      await page.waitForSelector('.det-vote-form');
      await page.check(`#det-vote-${r.vote}`);
      await page.fill('#det-reason', r.reason);
      if (r === cfg.reviewers[1]) await shot(page, 'determination-vote-desktop', { fullPage: true });
      await page.click('#det-cast');
      await page.waitForSelector(`#det-ballots li[data-reviewer="${r.id}"][data-vote="${r.vote}"]`);
      log(r.username, 'voted', r.vote);
    }
    await ctx.clearCookies();
    await login(page, opener.username);
    await page.goto(hazardURL);
    await page.waitForSelector('.det-conclude-form');
    await page.fill('#det-measures', '立即清出地下室液化气钢瓶，停止使用直至整改完成');
    await page.fill('#det-deadline', cfg.deadline);
    await page.click('#det-conclude');
    await page.waitForSelector('#determination[data-status=concluded] #det-supervision');
    const conclusion = await page.locator('#det-conclusion').getAttribute('data-conclusion');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'determination-desktop', { fullPage: true });
    await shotAt(page, PHONE, 'determination-phone', { fullPage: true });
    return { offeredActions, conclusion };
  },
};

async function main() {
  const scenario = scenarios[cfg.scenario];
  if (!scenario) throw new Error(`unknown scenario ${cfg.scenario}`);
  const desktop = cfg.scenario === 'reviewer' || cfg.scenario === 'determination';
  const ctx = await chromium.launchPersistentContext(cfg.profileDir, {
    executablePath: cfg.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: desktop ? DESKTOP : PHONE,
    isMobile: !desktop,
    hasTouch: !desktop,
    deviceScaleFactor: 1,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    serviceWorkers: 'allow', // the app's offline start depends on its service worker
  });
  ctx.setDefaultTimeout(20000);
  const page = ctx.pages()[0] || await ctx.newPage();
  const pageErrors = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log(`console ${m.type()}:`, m.text()); });
  page.on('pageerror', (e) => { pageErrors.push(String(e)); log('page error:', e); });
  try {
    const data = await scenario(ctx, page);
    data.pageErrors = pageErrors;
    return { ok: true, screenshots: shots, data };
  } catch (err) {
    log('FAILED:', err?.stack || err);
    try { await shot(page, `failure-${cfg.scenario}`, { fullPage: true }); } catch { /* best effort */ }
    return { ok: false, error: String(err?.message || err), screenshots: shots };
  } finally {
    await ctx.close();
  }
}

main().then((res) => { process.stdout.write(`${JSON.stringify(res)}\n`); }, (err) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(err?.stack || err), screenshots: shots })}\n`);
});
