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

// Every screen a scenario reaches is visited: photographed at both sizes, checked
// by axe-core (serious and critical violations) and read for words of the other
// language. The results go back to the Go test, which fails on any.
const screens = [];
const AXE = cfg.axe ? readFileSync(cfg.axe, 'utf8') : '';

/** Words allowed in the Chinese UI: the product's name, abbreviations Chinese
 * officials write in Latin letters, image formats and units. */
const ZH_ALLOWED = ['SafeGrid', 'AI', 'GB', 'JPEG', 'PNG', 'WebP', 'PDF', 'km', 'm', 'kg', 'KB', 'MB', 'OK'];

/** foreignText lists the visible texts of the page in the wrong language: ASCII
 * words in the Chinese UI, Chinese characters or punctuation in the English one.
 * Proper names and what people typed (marked translate="no") and text marked as
 * another language (the language switch) are not checked. */
function foreignText(allowed) {
  const lang = document.documentElement.lang;
  const out = [];
  const skip = (el) => !el || el.closest('[translate="no"], script, style, noscript, .visually-hidden') ||
    (el.closest('[lang]') && el.closest('[lang]') !== document.documentElement && el.closest('[lang]').lang !== lang);
  const bad = (s) => {
    if (lang === 'en') return /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/.test(s) ? [s.trim()] : [];
    // A single letter is a grade or a class in Chinese text too (A 级, B1).
    return (s.match(/[A-Za-z][A-Za-z'_-]*/g) || []).filter((w) => w.length > 1 && !allowed.includes(w));
  };
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('select') || skip(el) || !visible(el)) continue;
    for (const w of bad(n.textContent)) out.push({ word: w, text: n.textContent.trim().slice(0, 120) });
  }
  for (const el of document.querySelectorAll('select, input[placeholder], textarea[placeholder], [aria-label], img[alt]')) {
    if (!visible(el) && el.tagName !== 'IMG') continue;
    let s = '';
    if (el.tagName === 'SELECT') { const o = el.selectedOptions[0]; if (!o || skip(o)) continue; s = o.textContent; } else if (skip(el)) continue;
    else s = el.getAttribute('placeholder') || el.getAttribute('aria-label') || el.getAttribute('alt') || '';
    for (const w of bad(s)) out.push({ word: w, text: s.trim().slice(0, 120) });
  }
  return out;
}

/** offScreen lists the visible elements that stick out of the viewport's width
 * where no one can scroll to them: a panel opened off the left edge, a row wider
 * than the phone. Inside a container that scrolls or clips sideways (a wide
 * table's wrapper, the map) an element may be wider; such containers are checked
 * themselves. */
function offScreen() {
  const vw = document.documentElement.clientWidth;
  const out = [];
  const clips = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    // The skip link waits off-screen until it has the focus, by design.
    if (el.closest('.visually-hidden, .skip:not(:focus), script, style, svg, .leaflet-container')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    if ((r.left < -1 || r.right > vw + 1) && !clips(el)) {
      // Report the outermost offender only.
      if (out.some((o) => o.el.contains(el))) continue;
      const name = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : ''}`;
      out.push({ el, what: name, left: Math.round(r.left), right: Math.round(r.right), width: vw });
    }
  }
  return out.map(({ el, ...o }) => o);
}

/** visit records one screen: screenshots at 390×844 and 1440×900 (the page's
 * whole length with fullPage), axe-core's serious and critical violations and the
 * words in the wrong language. The page is left at the viewport it had. */
async function visit(page, name, opts = {}) {
  await page.waitForLoadState('domcontentloaded');
  await page.waitForFunction(() => !document.querySelector('#view[aria-busy]'), null, { timeout: 15000 }).catch(() => {});
  const before = page.viewportSize();
  const rec = { screen: name, lang: await page.evaluate(() => document.documentElement.lang), axe: [], foreign: [], offScreen: [] };
  for (const [size, suffix] of [[PHONE, 'phone'], [DESKTOP, 'desktop']]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(120);
    if (!opts.keepScroll) await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, `${name}-${suffix}`, { fullPage: !!opts.fullPage });
    for (const o of await page.evaluate(offScreen)) if (!rec.offScreen.some((x) => x.what === o.what)) rec.offScreen.push({ ...o, at: suffix });
    if (AXE && suffix === 'phone') {
      if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(AXE);
      const v = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')
          .map((x) => ({ id: x.id, impact: x.impact, help: x.help, nodes: x.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n')[1] || ''}`.slice(0, 200)) }));
      });
      for (const x of v) if (!rec.axe.some((y) => y.id === x.id)) rec.axe.push({ ...x, at: suffix });
    }
  }
  rec.foreign = await page.evaluate(foreignText, ZH_ALLOWED);
  await page.setViewportSize(before);
  screens.push(rec);
  log('visited', name, 'axe', rec.axe.map((x) => x.id).join(',') || 0, 'foreign', rec.foreign.map((x) => x.word).join(',') || 0, 'off-screen', rec.offScreen.map((x) => x.what).join(',') || 0);
  return rec;
}

/** setLang switches the app's language on the device and reloads. */
async function setLang(page, lang) {
  await page.evaluate((l) => localStorage.setItem('safegrid.lang', l), lang);
  await page.reload();
  await page.waitForSelector('main h1');
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
  await page.click('#confirm-rest-na');
  await page.waitForSelector('#bulk-done');
}

async function waitUploaded(page, n, timeout = 45000) {
  await page.waitForSelector(`.inspection[data-pending="0"][data-uploaded="${n}"]`, { timeout });
}

async function submitInspection(page) {
  const btn = page.locator('#submit-inspection');
  await btn.waitFor();
  await page.waitForFunction(() => { const b = document.querySelector('#submit-inspection'); return b && !b.disabled; }, null, { timeout: 120000 });
  await btn.click();
  await page.waitForSelector('#submitted', { timeout: 15000 });
}

const photoIds = (page) => page.$$eval('.photo[data-photo-id]', (els) => els.map((e) => ({ id: e.dataset.photoId, state: e.dataset.state })));

const scenarios = {
  // The officer makes a double-random plan for the community, runs it and reads
  // its draw with the seed.
  async plans(ctx, page) {
    await login(page, 'officer');
    await page.click('nav.nav a[href="/office/plans"]');
    await page.waitForSelector('#plan-form');
    await page.selectOption('#p-unit', String(cfg.unitId));
    await page.fill('#p-name', cfg.name);
    await page.selectOption('#p-kind', 'double_random');
    await page.selectOption('#p-months', '3');
    await page.fill('#p-count', '1');
    await page.click('#plan-form button[type=submit]');
    await page.waitForSelector('#plan-list tr[data-plan-id]');
    await visit(page, 'office-plans');
    const id = Number(await page.getAttribute('#plan-list tr[data-plan-id]', 'data-plan-id'));
    await page.click(`button[data-action=run-plan][data-plan-id="${id}"]`);
    await page.waitForFunction((pid) => document.querySelector(`tr[data-plan-id="${pid}"] .plan-ran`)?.textContent.trim(), id);
    const ran = (await page.locator(`tr[data-plan-id="${id}"] .plan-ran`).innerText()).trim();
    await page.click(`button[data-action=draws][data-plan-id="${id}"]`);
    await page.waitForSelector(`tr[data-plan-id="${id}"] li[data-draw-id]`);
    const draw = (await page.locator(`tr[data-plan-id="${id}"] li[data-draw-id]`).first().innerText()).trim();
    await visit(page, 'office-plans-run');
    return { id, ran, draw };
  },

  // An admin's settings: the district's policy (a bad value named in words, then
  // a change saved and applied, with the moves listed), an API key (its secret
  // shown once, then revoked) and an AI score-level proposal accepted (it joins
  // the history); the screen again in English. A safety officer has no link to
  // it and gets "not allowed" at its address.
  async adminSettings(ctx, page) {
    await login(page, 'admin');
    await page.click('nav.nav a[href="/office/settings"]');
    await page.waitForSelector('#policy-form');
    await page.waitForSelector('#key-form');
    await page.waitForSelector('#thr-list, #thr-none');
    await visit(page, 'settings', { fullPage: true });
    const reasonsOf = () => page.$$eval('.thr-reason', (els) => els.map((e) => ({ reason: e.dataset.reason, text: e.textContent.trim() })));
    const reasons = await reasonsOf();

    // The policy: a limit past a year is refused and named; then a change saved.
    await page.selectOption('#pol-district', String(cfg.districtId));
    await page.waitForSelector('#policy-form');
    const inForce = (await page.locator('.policy-field[data-field=sign_within]').innerText()).trim();
    await page.fill('#pol-sign_within', '12');
    await page.selectOption('#pol-sign_within-unit', 'h');
    await page.fill('#pol-rectify-grid-general', '400');
    await page.selectOption('#pol-rectify-grid-general-unit', 'd');
    await page.click('#policy-save');
    await page.waitForSelector('#policy-status[data-state=error]');
    const invalid = (await page.locator('#policy-status').innerText()).trim();
    const focused = await page.evaluate(() => document.activeElement?.id || '');
    await visit(page, 'settings-policy-invalid', { keepScroll: true });
    await page.fill('#pol-rectify-grid-general', '1');
    await page.click('#policy-save');
    await page.waitForSelector('#policy-status[data-state=saved]');
    const saved = {
      status: (await page.locator('#policy-status').innerText()).trim(),
      signWithin: await page.inputValue('#pol-sign_within'),
      unit: await page.inputValue('#pol-sign_within-unit'),
      own: (await page.locator('.policy-field[data-field=sign_within] .chip').innerText()).trim(),
    };
    // Applying asks first; cancelling applies nothing.
    await page.click('#policy-apply');
    const question = (await page.locator('.policy-apply .confirm-step').innerText()).trim();
    await page.click('.policy-apply .confirm-step button.link');
    await page.waitForSelector('#policy-apply');
    const afterCancel = await page.locator('#policy-moves, #policy-no-moves').count();
    await page.click('#policy-apply');
    await page.click('#policy-apply-confirm');
    await page.waitForSelector('#policy-moves, #policy-no-moves');
    const moves = await page.$$eval('#policy-moves > li', (els) => els.map((e) => ({
      hazardId: Number(e.dataset.hazardId),
      limits: [...e.querySelectorAll('li[data-limit]')].map((l) => ({ limit: l.dataset.limit, text: l.textContent.trim() })),
    })));
    await page.locator('#policy-moves-box').scrollIntoViewIfNeeded();
    await visit(page, 'settings-policy-applied', { keepScroll: true });

    // An API key: its secret is shown once, then never again.
    await page.fill('#key-name', cfg.keyName);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#key-secret');
    const secret = (await page.locator('#key-secret').innerText()).trim();
    const onceText = (await page.locator('.secret-box').innerText()).trim();
    await page.locator('.secret-box').scrollIntoViewIfNeeded();
    await visit(page, 'settings-key-created', { keepScroll: true });
    await page.reload();
    await page.waitForSelector('#key-list li[data-key-id]');
    const secretAgain = await page.evaluate((s) => document.documentElement.outerHTML.includes(s), secret);
    const keyId = Number(await page.getAttribute('#key-list li[data-key-id]', 'data-key-id'));
    await page.click(`button[data-action=revoke-key][data-key-id="${keyId}"]`);
    const revokeQuestion = (await page.locator(`li[data-key-id="${keyId}"] .confirm-step`).innerText()).trim();
    await page.click(`#key-revoke-confirm-${keyId}`);
    await page.waitForSelector(`li[data-key-id="${keyId}"][data-revoked=true]`);
    const revokedRow = (await page.locator(`li[data-key-id="${keyId}"]`).innerText()).trim();

    // A score-level proposal: its evidence, accepted after a question; the history.
    const card = `.thr-card[data-check="${cfg.check}"][data-location="${cfg.location}"]`;
    await page.waitForSelector(`${card}[data-proposed=true]`);
    const proposal = (await page.locator(`${card} .thr-proposal`).innerText()).trim();
    const noHistory = await page.locator('#thr-history-none').count();
    await page.click(`${card} button[data-action=accept-threshold]`);
    const acceptQuestion = (await page.locator(`${card} .confirm-step`).innerText()).trim();
    await page.click(`#thr-accept-confirm-${cfg.check}-${cfg.location}`);
    await page.waitForSelector('#thr-history li[data-change-id]');
    const history = (await page.locator('#thr-history li[data-change-id]').first().innerText()).trim();
    const current = (await page.locator(`${card} dd`).first().innerText()).trim();
    const acceptLeft = await page.locator(`${card} button[data-action=accept-threshold]`).count();
    const inUse = (await page.locator(`${card} .thr-actions`).innerText()).trim();
    await page.locator('#thr-history').scrollIntoViewIfNeeded();
    await visit(page, 'settings-thresholds', { keepScroll: true });

    // In English: the screen, and applying again moves nothing.
    await setLang(page, 'en');
    await page.waitForSelector('#policy-form');
    await page.waitForSelector('#thr-history li[data-change-id]');
    await page.click('#policy-apply');
    await page.click('#policy-apply-confirm');
    await page.waitForSelector('#policy-no-moves');
    const nothingMoved = (await page.locator('#policy-no-moves').innerText()).trim();
    await visit(page, 'settings-en', { fullPage: true });
    const english = {
      policy: (await page.locator('#policy-title').innerText()).trim(),
      reasons: await reasonsOf(),
      history: (await page.locator('#thr-history li[data-change-id]').first().innerText()).trim(),
    };
    await setLang(page, 'zh-CN');

    // A safety officer: no link, and "not allowed" at the address.
    await ctx.clearCookies();
    await login(page, 'officer');
    const officerLinks = await page.locator('nav.nav a[href="/office/settings"]').count();
    await page.goto(`${cfg.base}/office/settings`);
    await page.waitForSelector('#error-box, .settings');
    const officerStatus = await page.evaluate(() => document.querySelector('#error-box')?.dataset.status || '');
    const officerSections = await page.locator('.settings-section').count();
    await visit(page, 'settings-officer');
    return {
      inForce, invalid, focused, saved, question, afterCancel, moves,
      secret, onceText, secretAgain, keyId, revokeQuestion, revokedRow,
      reasons, proposal, noHistory, acceptQuestion, history, current, acceptLeft, inUse, nothingMoved, english,
      officerLinks, officerStatus, officerSections,
    };
  },

  // A hazard escalated to the officer's area waits for their signature (签收):
  // the hazard page says by when, and one tap signs.
  async signHazard(ctx, page) {
    await login(page, 'officer');
    await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
    await page.waitForSelector('#sign-panel');
    const panel = (await page.locator('#sign-panel').innerText()).trim();
    await visit(page, 'hazard-sign');
    await page.click('#sign-hazard');
    await page.waitForSelector('li.event[data-kind="signed"]');
    const after = await page.locator('#sign-panel').count();
    return { panel, after };
  },

  // A merchant runs their own premises' checklist (自查自纠): begins it from the
  // home screen, reports one problem with a photo, marks the rest not applicable
  // and submits; a failed item offers no outcome, severity or deadline.
  async selfCheck(ctx, page) {
    await login(page, 'merchant');
    await page.click(`button[data-action=self-check][data-site-id="${cfg.siteId}"]`);
    await page.waitForURL((u) => u.pathname.startsWith('/inspections/'));
    await page.waitForSelector('.item');
    const code = await page.$eval('.item', (e) => e.id.replace(/^item-/, ''));
    await page.click(`#item-${code} button[data-answer=fail]`);
    const offered = { outcome: await page.locator(`#out-haz-${code}, #out-fix-${code}`).count(), severity: await page.locator(`#sev-${code}`).count() };
    await page.fill(`#note-${code}`, cfg.note);
    await visit(page, 'self-check-fail', { keepScroll: true });
    await page.click(`#item-${code} button[data-action=save-fail]`);
    await page.waitForSelector(`#item-${code}[data-answer=fail]`);
    await page.setInputFiles(`#cam-${code}`, cfg.images[0]);
    await markRestNA(page);
    await waitUploaded(page, 1);
    await submitInspection(page);
    await visit(page, 'self-check-submitted');
    const head = { back: await page.getAttribute('header.page-head a.back', 'href'), dossier: await page.locator('header.page-head a[href*="dossier"]').count() };
    return { code, offered, head, inspectionId: Number(new URL(page.url()).pathname.split('/').pop()) };
  },

  // An inspector on a phone answers the checklist with photos and submits it.
  async inspector(ctx, page) {
    const { pass, hazard, fix } = cfg.items;
    await login(page, 'inspector');
    await page.waitForSelector(`a[data-inspection-id="${cfg.inspectionId}"]`);
    await visit(page, 'inspector-today');
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

    await visit(page, 'inspector-checklist');

    await markRestNA(page);
    await submitInspection(page);
    await visit(page, 'inspector-submitted');
    const hazardLink = await page.locator(`#item-${hazard} a[href^="/hazards/"]`).getAttribute('href');
    // After submitting, without a reload: the page says submitted and offers nothing to change.
    const afterSubmit = await page.evaluate(() => ({
      status: document.querySelector('#inspection-status')?.dataset.status || '',
      // Opening a photo in the viewer changes nothing: it stays.
      enabled: [...document.querySelectorAll('.item button:not(.zoom-open), .item input, .item textarea, .item select, #mark-rest-na, #submit-inspection')]
        .filter((e) => !e.disabled).map((e) => e.id || e.dataset.answer || e.tagName),
    }));
    return { itemCount, photos: await photoIds(page), hazardLink, afterSubmit };
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
    await visit(page, 'inspector-offline', { keepScroll: true, fullPage: false });

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
    await visit(page, 'inspector-back-online');
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
    await visit(page, 'inspector-offline-reload', { fullPage: false });

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
    await visit(page, 'review-queue');

    await page.fill(`#confirm-note-${confirm}`, '走道内两辆电动车');
    await page.click(`#flag-${confirm} button[data-action=confirm]`);
    await page.waitForSelector(`#flag-${confirm} .hazard-link`);
    await page.click(`#flag-${reject} .quick button >> nth=0`);
    await page.click(`#flag-${reject} button[data-action=reject]`);
    await page.waitForSelector(`#flag-${reject}[data-review=rejected]`);
    await visit(page, 'review-queue-decided');

    const href = await page.locator(`#flag-${confirm} .hazard-link`).getAttribute('href');
    await page.click(`#flag-${confirm} .hazard-link`);
    await page.waitForSelector('.hazard[data-hazard-id] #hazard-events li');
    await visit(page, 'hazard-page');

    await page.click('nav.nav a[href="/office/hazards"]');
    await page.waitForSelector('#hazard-table, .empty');
    await visit(page, 'hazard-list');

    await page.click('nav.nav a[href="/office/kpi"]');
    await page.waitForSelector('#kpi-unavailable, .kpi-grid');
    const kpiAvailable = (await page.locator('.kpi-grid').count()) > 0;
    const kpiVolume = kpiAvailable ? (await page.locator('[data-kpi="volume"] .kpi-value').innerText()).trim() : '';
    await visit(page, 'kpi-dashboard');
    return { hazardHref: href, annotatedFallback: fallback, kpiAvailable, kpiVolume };
  },

  // A merchant sees the deadline of a hazard on their premises and uploads proof.
  async merchant(ctx, page) {
    const id = cfg.hazardId;
    await login(page, 'merchant');
    await page.waitForSelector(`a[data-hazard-id="${id}"] .countdown`);
    const listCountdown = (await page.locator(`a[data-hazard-id="${id}"] .countdown .big`).textContent()).trim();
    await visit(page, 'merchant-home');
    await page.click(`a[data-hazard-id="${id}"]`);
    await page.waitForSelector('.merchant-hazard .deadline .countdown');
    const countdown = (await page.locator('.deadline .countdown .big').textContent()).trim();
    const text = async (sel) => ((await page.locator(sel).count()) ? (await page.locator(sel).first().innerText()).trim() : '');
    const finding = { note: await text('#finding-note'), instruction: await text('#office-instruction'), inspector: await text('#merchant-inspector') };
    await visit(page, 'merchant-hazard');

    await page.setInputFiles('#proof-cam', cfg.images[0]);
    await page.waitForSelector('.merchant-hazard[data-uploaded="1"]', { timeout: 30000 });
    await page.fill('#proof-note', '电动车已移到楼下集中停放点');
    await page.click('#submit-proof');
    await page.waitForSelector('#proof-submitted');
    await visit(page, 'merchant-proof-submitted');
    const evidence = {
      inspection: await page.locator('#evidence-inspection .photo').count(),
      proof: await page.locator('#evidence-proof .photo').count(),
      reinspection: await page.locator('#evidence-reinspection .photo').count(),
    };
    // In-app zoom of the inspector's photo.
    await page.click('#evidence-inspection .zoom-open');
    await page.waitForSelector('#viewer[open]');
    const zoomed = await (await page.waitForFunction(() => { const i = document.querySelector('#viewer img'); return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth : 0; }, null, { timeout: 15000 })).jsonValue();
    await visit(page, 'merchant-photo-zoom', { fullPage: false });
    await page.click('#viewer-close');
    await page.waitForSelector('#viewer', { state: 'detached' });
    const proofNeeded = await page.locator('.merchant-hazard').getAttribute('data-state');
    // The rectification notice, signed with a finger.
    await page.click('#print-notice');
    await page.waitForSelector('#sig-canvas');
    await page.fill('#sig-name', '张老板');
    // A finger's stroke, as the phone's pointer events.
    const box = await page.locator('#sig-canvas').boundingBox();
    const pen = (type, i) => page.locator('#sig-canvas').dispatchEvent(type, {
      pointerId: 7, pointerType: 'touch', isPrimary: true, bubbles: true, cancelable: true,
      clientX: box.x + 20 + i * (box.width - 40) / 12, clientY: box.y + box.height / 2 + (i % 2 ? -20 : 20),
    });
    await pen('pointerdown', 0);
    for (let i = 1; i <= 12; i++) await pen('pointermove', i);
    await pen('pointerup', 12);
    await page.click('#sig-submit');
    await page.waitForSelector('#signature-img');
    await visit(page, 'paper-notice', { fullPage: true });
    return { listCountdown, countdown, finding, evidence, zoomed, proofNeeded };
  },

  // The office's hazard list with "all states" chosen in the filter.
  async hazardListAll(ctx, page) {
    await login(page, 'officer');
    await page.goto(`${cfg.base}/office/hazards`);
    await page.waitForSelector('#f-state');
    await page.selectOption('#f-state', 'all');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL((u) => u.search.includes('state=all'));
    await page.waitForSelector('#hazard-table, .empty, #error-box');
    const error = (await page.locator('#error-box').count()) ? await page.locator('#error-box').innerText() : '';
    const rows = await page.$$eval('#hazard-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.hazardId)));
    // An error page has no filter to read.
    const stateChosen = error ? '' : await page.locator('#f-state').inputValue();
    await visit(page, 'hazard-list-all');
    return { error, rows, stateChosen };
  },

  // The office exports the hazard list as it is filtered: the open states (the
  // default), then all states; each button downloads a file with those filters.
  async exportHazards(ctx, page) {
    await login(page, 'officer');
    const out = {};
    for (const [name, path] of [['open', '/office/hazards'], ['all', '/office/hazards?state=all']]) {
      await page.goto(`${cfg.base}${path}`);
      await page.waitForSelector('#hazard-table, .empty');
      for (const format of ['csv', 'xlsx']) {
        const button = page.locator(`#export-${format}`);
        await button.waitFor({ timeout: 5000 });
        const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), button.click()]);
        const url = download.url();
        const file = readFileSync(await download.path());
        const contentType = await page.evaluate(async (u) => (await fetch(u, { credentials: 'same-origin' })).headers.get('content-type'), url);
        const got = { filename: download.suggestedFilename(), contentType, query: new URL(url).search, size: file.length };
        if (format === 'csv') {
          const csv = file.toString('utf8');
          got.bom = csv.startsWith('\ufeff');
          got.ids = csv.split('\n').slice(1).map((l) => Number(l.split(',')[0])).filter((n) => n > 0);
        } else {
          got.zip = file.subarray(0, 2).toString('latin1') === 'PK';
        }
        out[`${name}_${format}`] = got;
      }
      if (name === 'all') await visit(page, 'hazard-list-export');
    }
    return { files: out };
  },

  // The office's KPI screen for a unit and period: each export button downloads
  // that unit's and period's table (the period's last day included).
  async exportKPI(ctx, page) {
    await login(page, 'officer');
    await page.goto(`${cfg.base}/office/kpi?unit=${cfg.unit}&from=${cfg.from}&to=${cfg.to}`);
    await page.waitForSelector('.kpi-grid');
    await page.waitForSelector('#kpi-inspectors table, #kpi-inspectors p:not(.muted)');
    const inspectors = await page.$$eval('#kpi-inspectors tbody tr', (trs) => trs.map((tr) => ({ id: Number(tr.dataset.inspectorId), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()) })));
    const out = {};
    for (const format of ['csv', 'xlsx']) {
      const button = page.locator(`#kpi-export-${format}`);
      await button.waitFor({ timeout: 5000 });
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), button.click()]);
      const url = download.url();
      const file = readFileSync(await download.path());
      const contentType = await page.evaluate(async (u) => (await fetch(u, { credentials: 'same-origin' })).headers.get('content-type'), url);
      const got = { filename: download.suggestedFilename(), contentType, path: new URL(url).pathname, query: new URL(url).search, size: file.length };
      if (format === 'csv') got.csv = file.toString('utf8');
      else got.zip = file.subarray(0, 2).toString('latin1') === 'PK';
      out[format] = got;
    }
    await visit(page, 'kpi-export');
    await setLang(page, 'en');
    await page.waitForSelector('#kpi-export-csv');
    await visit(page, 'kpi-export-en');
    return { files: out, inspectors };
  },

  // The site's file (PDF) from where each user sees a site: the office on a
  // hazard's page and in the map's list of sites, the inspector on the hazard's
  // page and on the inspection.
  async siteDossier(ctx, page) {
    const out = { links: {} };
    const download = async (name, link) => {
      await page.locator(link).first().waitFor({ timeout: 15000 });
      const a = page.locator(link).first();
      out.links[name] = { text: (await a.innerText()).trim(), href: await a.getAttribute('href') };
      const [d] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), a.click()]);
      const file = readFileSync(await d.path());
      const contentType = await page.evaluate(async (u) => (await fetch(u, { credentials: 'same-origin' })).headers.get('content-type'), d.url());
      Object.assign(out.links[name], { filename: d.suggestedFilename(), contentType, magic: file.subarray(0, 5).toString('latin1'), size: file.length });
    };
    await login(page, 'officer');
    await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
    await download('office_hazard', '.dossier-link');
    await visit(page, 'hazard-dossier-link');
    await page.goto(`${cfg.base}/office/map`);
    await page.waitForSelector('#map[data-ready=true]', { timeout: 30000 });
    await page.click('details.card summary'); // the map's sites as a list
    await download('map', '.dossier-link');
    await visit(page, 'office-map-site-list', { keepScroll: true });
    await ctx.clearCookies();
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
    await download('inspector_hazard', '.dossier-link');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await download('inspection', '.page-head .dossier-link');
    await visit(page, 'inspection-dossier-link');
    await setLang(page, 'en');
    await page.waitForSelector('.page-head .dossier-link');
    out.textEn = (await page.locator('.page-head .dossier-link').innerText()).trim();
    await visit(page, 'inspection-dossier-link-en');
    return out;
  },

  // The English checklist: plural forms and English separators in the submit
  // bar's list of items that still need a photo, and in the sync status.
  async checklistEnglish(ctx, page) {
    await login(page, 'inspector');
    await setLang(page, 'en');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector('#missing-photos', { timeout: 15000 });
    const missingText = (await page.locator('#missing-photos').innerText()).trim();
    const missing = await page.$$eval('#missing-photos a[data-code]', (as) => as.map((a) => a.dataset.code));
    await visit(page, 'inspector-checklist-en');
    // Offline, one answer changed: it waits on the device, and the summary says so.
    await ctx.setOffline(true);
    await page.click(`#item-${cfg.changeItem} button[data-answer=pass]`);
    await page.waitForFunction(() => document.querySelector('.inspection')?.dataset.pending === '1', null, { timeout: 10000 });
    const syncText = (await page.locator('#sync-status').innerText()).trim();
    await visit(page, 'inspector-checklist-en-offline');
    await ctx.setOffline(false);
    return { missingText, missing, syncText };
  },

  // An inspector opens the page of a hazard they recorded, which the office has
  // since notified: names, not user numbers.
  async inspectorHazard(ctx, page) {
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
    await page.waitForSelector('.hazard[data-hazard-id] #hazard-events li');
    const inspector = (await page.locator('#hazard-inspector').innerText()).trim();
    const events = await page.$$eval('#hazard-events li .event-head', (els) => els.map((e) => e.innerText.trim()));
    await visit(page, 'inspector-hazard');
    return { inspector, events };
  },

  // The office opens a hazard whose proof photo the AI compared with the evidence:
  // the two photos side by side with the verdict, labelled as a suggestion.
  async proofCheck(ctx, page) {
    await login(page, 'officer');
    await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
    await page.waitForSelector('#proof-checks .proof-check');
    await page.waitForFunction(() => [...document.querySelectorAll('#proof-checks img')].every((i) => i.complete), null, { timeout: 15000 }).catch(() => {});
    const checks = await page.$$eval('#proof-checks .proof-check', (els) => els.map((e) => ({
      verdict: e.dataset.verdict,
      photos: [...e.querySelectorAll('img')].map((i) => i.closest('[data-photo-id]').dataset.photoId),
      loaded: [...e.querySelectorAll('img')].every((i) => i.naturalWidth > 0),
      suggestion: e.querySelector('.proof-check-verdict .chip').textContent.trim(),
      label: e.querySelector('.proof-check-verdict .chip[data-verdict]').textContent.trim(),
      reasons: [...e.querySelectorAll('[data-reason]')].map((r) => r.textContent.trim()),
    })));
    const state = await page.locator('.hazard[data-hazard-id]').getAttribute('data-state');
    await page.locator('#proof-checks').scrollIntoViewIfNeeded();
    await visit(page, 'proof-check', { keepScroll: true });
    return { checks, state };
  },

  // The officer confirms an AI flag on the photo the inspector took of the hazard
  // they recorded, then opens the hazard.
  async confirmOwn(ctx, page) {
    await login(page, 'officer');
    await page.goto(`${cfg.base}/office/flags`);
    await page.waitForSelector(`#flag-${cfg.flagId}`);
    // Before deciding, the card links the hazard the inspector recorded.
    const recorded = (await page.locator(`#flag-${cfg.flagId} .recorded-link`).count()) ? await page.locator(`#flag-${cfg.flagId} .recorded-link`).getAttribute('href') : '';
    await visit(page, 'review-queue-recorded');
    await page.click(`#flag-${cfg.flagId} button[data-action=confirm]`);
    await page.waitForSelector(`#flag-${cfg.flagId} .hazard-link`);
    const href = await page.locator(`#flag-${cfg.flagId} .hazard-link`).getAttribute('href');
    await page.click(`#flag-${cfg.flagId} .hazard-link`);
    await page.waitForSelector('.hazard[data-hazard-id] #hazard-events li');
    const kinds = await page.$$eval('#hazard-events li', (els) => els.map((e) => e.dataset.kind));
    await visit(page, 'hazard-after-own-flag');
    return { href, kinds, recorded };
  },

  // A checklist reloaded from the server: its photos show as thumbnails, and the
  // submit bar names the item that still needs a photo.
  async reloadedChecklist(ctx, page) {
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector(`#item-${cfg.withPhoto}`);
    const tile = await (await page.waitForFunction((code) => {
      const img = document.querySelector(`#item-${code} .photo[data-photo-id] img`);
      return img && img.complete && img.naturalWidth > 0 ? img.closest('.photo').dataset.photoId : null;
    }, cfg.withPhoto, { timeout: 15000 }).catch(() => null))?.jsonValue();
    await page.waitForSelector('#missing-photos', { timeout: 10000 }).catch(() => {});
    const missing = await page.$$eval('#missing-photos a[data-code]', (as) => as.map((a) => a.dataset.code));
    const missingText = (await page.locator('#missing-photos').count()) ? (await page.locator('#missing-photos').innerText()).trim() : '';
    await visit(page, 'inspector-checklist-reloaded');
    // The page's count of photos: the server's as well as the device's.
    const counts = async () => ({
      uploaded: await page.locator('.inspection').getAttribute('data-uploaded'),
      sync: (await page.locator('#sync-status').innerText()).trim(),
    });
    await page.waitForSelector('.inspection[data-pending="0"]', { timeout: 10000 }).catch(() => {});
    const zh = await counts();
    await setLang(page, 'en');
    await page.waitForSelector('.inspection[data-pending="0"]', { timeout: 10000 }).catch(() => {});
    const en = await counts();
    return { tile: tile || '', missing, missingText, zh, en };
  },

  // A photo is taken; the AI's chip must follow the upload within seconds.
  async aiChips(ctx, page) {
    const [code] = cfg.items;
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector(`#item-${code}`);
    await page.setInputFiles(`#cam-${code}`, cfg.images[0]);
    await page.waitForSelector(`#item-${code} .photo[data-state=uploaded]`, { timeout: 30000 });
    const uploadedAt = Date.now();
    await page.waitForSelector(`#item-${code} .flag-chip`, { timeout: 30000 });
    const chipAfterMs = Date.now() - uploadedAt;
    const chip = (await page.locator(`#item-${code} .flag-chip`).first().innerText()).trim();
    const chipHelp = await page.locator(`#item-${code} .flag-chip`).first().getAttribute('title');
    await visit(page, 'inspector-ai-chip', { keepScroll: true, fullPage: false });
    return { chipAfterMs, chip, chipHelp };
  },

  // A "needs review" flag with a high score, in the office's queue (Chinese, then
  // English) and on the inspector's photo: what the status and the score mean.
  async scoreMeaning(ctx, page) {
    const card = async () => {
      const sel = `#flag-${cfg.flagId}`;
      await page.waitForSelector(`${sel} .flag-body .chip`);
      return {
        chips: await page.$$eval(`${sel} .flag-body .chip`, (els) => els.map((e) => e.innerText.trim())),
        meaning: (await page.locator(`${sel} .score-meaning`).count()) ? (await page.locator(`${sel} .score-meaning`).innerText()).trim() : '',
      };
    };
    await login(page, 'officer');
    await page.goto(`${cfg.base}/office/flags`);
    const zh = await card();
    await visit(page, 'review-queue-needs-review');
    await setLang(page, 'en');
    await page.goto(`${cfg.base}/office/flags`);
    const en = await card();
    await visit(page, 'review-queue-needs-review-en');
    await page.evaluate(() => localStorage.setItem('safegrid.lang', 'zh-CN'));
    await ctx.clearCookies();
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector(`#item-${cfg.item}`);
    await page.setInputFiles(`#cam-${cfg.item}`, cfg.images[0]);
    const chip = page.locator(`#item-${cfg.item} .flag-chip`).first();
    await chip.waitFor({ timeout: 30000 });
    const inspector = { chip: (await chip.innerText()).trim(), help: (await chip.getAttribute('title')) || '' };
    return { zh, en, inspector };
  },

  // Error pages: a hazard that does not exist and a screen of another role offer
  // no retry that cannot help, and never show the server's English.
  async errors(ctx, page) {
    await login(page, 'inspector');
    const look = async (path, name) => {
      await page.goto(`${cfg.base}${path}`);
      await page.waitForSelector('#error-box');
      const r = {
        status: await page.locator('#error-box').getAttribute('data-status'),
        retry: await page.locator('#error-retry').count(),
        home: await page.locator('#error-home').count(),
        text: (await page.locator('#error-box').innerText()).trim(),
      };
      await visit(page, name);
      return r;
    };
    const notFound = await look('/hazards/987654', 'error-not-found');
    const forbidden = await look('/office/kpi', 'error-forbidden');
    // A 403 the server itself answers (the page above is the app's own role
    // check): through the app's client and its error wording, as every screen
    // shows a failed call.
    const server = await page.evaluate(async () => {
      const { api } = await import('/js/api.js');
      const { apiErrorText } = await import('/js/errors.js');
      try { await api.get('/api/v1/users'); return { status: 200 }; } catch (e) { return { status: e.status, message: e.message, shown: apiErrorText(e) }; }
    });
    return { notFound, forbidden, server };
  },

  // The bell, for each role: the unread count on landing, the list, a tap opens
  // the hazard. Then, with the officer's page open, a colleague invites the
  // officer to a determination through the API; the bell shows it without a reload.
  // Last, the tab is hidden, a second invitation arrives, and the tab comes back:
  // the bell asks at once (its timer cannot: the page's clock is paused).
  async bells(ctx, page) {
    const out = {};
    let revalidated = 0;
    const asked = new Map(); // request → when it was sent
    const answered = []; // the unread count's 200 answers: { sent, at }
    page.on('request', (r) => { if (r.url().includes('/notifications/unread')) asked.set(r, Date.now()); });
    page.on('response', (r) => {
      if (!r.url().includes('/notifications/unread')) return;
      if (r.status() === 304) revalidated++;
      if (r.status() === 200) answered.push({ sent: asked.get(r.request()) ?? 0, at: Date.now() });
    });
    const openFirst = async (role, name) => {
      await page.click('#bell');
      await page.waitForSelector('#bell-list li');
      const items = await page.$$eval('#bell-list li', (els) => els.map((e) => ({ kind: e.dataset.kind, text: e.innerText.trim() })));
      await visit(page, name, { keepScroll: true });
      await page.click('#bell-list li a >> nth=0');
      await page.waitForFunction(() => /\/hazards\/\d+$/.test(location.pathname));
      await page.waitForSelector('main h1');
      return { items, path: new URL(page.url()).pathname };
    };
    for (const role of ['inspector', 'merchant']) {
      await ctx.clearCookies();
      await login(page, role);
      await page.waitForSelector('#bell[data-unread]');
      const unread = Number(await page.getAttribute('#bell', 'data-unread'));
      out[role] = { unread, ...(await openFirst(role, `bell-${role}`)) };
      await page.waitForFunction(() => document.querySelector('#bell')?.dataset.unread === '0', null, { timeout: 15000 }).catch(() => {});
      out[role].unreadAfter = Number(await page.getAttribute('#bell', 'data-unread'));
    }
    await ctx.clearCookies();
    await login(page, 'officer');
    await page.waitForSelector('#bell[data-unread]');
    const before = Number(await page.getAttribute('#bell', 'data-unread'));
    // A colleague opens a determination with the officer on the panel.
    const call = async (method, path, body, token) => {
      const res = await fetch(cfg.base + path, { method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text);
    };
    const { token } = await call('POST', '/api/v1/auth/login', { login: cfg.live.username, password: cfg.password });
    const invitedAt = Date.now();
    await call('POST', `/api/v1/hazards/${cfg.live.hazardId}/determination`, { participants: cfg.live.participants, note: '请参加判定' }, token);
    await page.waitForFunction((n) => Number(document.querySelector('#bell')?.dataset.unread) > n, before, { timeout: 40000 });
    const seenAt = Date.now();
    const arrivedMs = seenAt - invitedAt;
    // The poll that brought it: how long after the invitation it was sent (the
    // wait for the timer's next tick) and how long it took.
    const by = answered.filter((a) => a.sent >= invitedAt && a.at <= seenAt).pop();
    const waitedMs = by ? by.sent - invitedAt : -1;
    const pollMs = by ? by.at - by.sent : -1;
    out.officer = { unread: before, arrivedMs, waitedMs, pollMs, ...(await openFirst('officer', 'bell-officer')) };
    // The next poll, with nothing new, is a 304 without a body.
    await page.waitForResponse((r) => r.url().includes('/notifications/unread') && r.status() === 304, { timeout: 25000 }).catch(() => {});
    out.revalidated = revalidated;

    // The tab goes to the background and comes back. The page is loaded again
    // under Playwright's clock, which is then paused: the bell's interval cannot
    // fire, so only the visibilitychange handler can bring the second invitation.
    // Headless Chromium keeps every tab visible, so hiding is simulated on the
    // document (hidden, visibilityState and the event).
    await page.clock.install();
    const firstPoll = page.waitForResponse((r) => r.url().includes('/notifications/unread'), { timeout: 15000 });
    await page.reload();
    await firstPoll;
    await page.clock.pauseAt(Date.now() + 1000);
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    await sleep(300); // the first answer drawn
    const unreadNow = () => page.evaluate(() => Number(document.querySelector('#bell')?.dataset.unread));
    const setHidden = (hidden) => page.evaluate((h) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    await setHidden(true);
    const hiddenBefore = await unreadNow();
    await call('POST', `/api/v1/hazards/${cfg.live.secondHazardId}/determination`, { participants: cfg.live.participants, note: '请参加第二次判定' }, token);
    const pageTime = () => page.evaluate(() => Date.now());
    const pausedAt = await pageTime();
    await sleep(1500);
    const hiddenAfter = await unreadNow(); // unchanged: nothing asked while hidden and paused
    const clockPaused = (await pageTime()) === pausedAt; // so the bell's interval cannot fire
    const shownAt = Date.now();
    await setHidden(false);
    let visibleMs = -1;
    while (Date.now() - shownAt < 8000) {
      if ((await unreadNow()) > hiddenBefore) { visibleMs = Date.now() - shownAt; break; }
      await sleep(20);
    }
    await page.clock.resume();
    out.tabBack = { hiddenBefore, hiddenAfter, clockPaused, visibleMs };
    return out;
  },

  // The map with a tile server that cannot be reached: sites still plotted.
  async map(ctx, page) {
    await login(page, 'officer');
    await page.click('nav.nav a[href="/office/map"]');
    await page.waitForSelector('#map[data-ready=true]', { timeout: 30000 });
    await page.waitForSelector('#map[data-tiles=unreachable], #map[data-tiles=none]', { timeout: 30000 });
    const m = await page.$eval('#map', (e) => ({ markers: Number(e.dataset.markers), outlines: Number(e.dataset.outlines), tiles: e.dataset.tiles }));
    m.drawn = await page.locator('#map path.site-marker').count();
    m.note = (await page.locator('#map-tiles').innerText()).trim();
    await visit(page, 'office-map');
    // Every site and grid outline in sight, on a phone and on a desktop: the map
    // fits them again when the screen changes size.
    const inSight = () => page.$eval('#map', (map) => {
      const box = map.getBoundingClientRect();
      const inside = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom; };
      return { markers: [...map.querySelectorAll('path.site-marker')].filter(inside).length, outlines: [...map.querySelectorAll('path.grid-outline')].filter(inside).length };
    });
    m.inSight = {};
    for (const [size, name] of [[PHONE, 'phone'], [DESKTOP, 'desktop']]) {
      await page.setViewportSize(size);
      await page.waitForTimeout(400);
      m.inSight[name] = await inSight();
    }
    await page.click('nav.nav a[href="/office/assign"]');
    await page.waitForSelector('#inspector-load');
    m.loadRows = await page.locator('#inspector-load tbody tr').count();
    await visit(page, 'office-assign');
    return m;
  },

  // The office moves an open inspection to another day and another inspector on
  // the assignment screen; the load table follows.
  async reschedule(ctx, page) {
    await login(page, 'officer');
    await page.goto(`${cfg.base}/office/assign`);
    const id = cfg.inspectionId;
    await page.waitForSelector(`#open-inspections tr[data-inspection-id="${id}"]`);
    await page.fill(`#due-${id}`, cfg.day);
    await page.selectOption(`#re-${id}`, String(cfg.inspectorId));
    await visit(page, 'office-assign-editing');
    await page.click(`#save-${id}`);
    await page.waitForURL((u) => u.search.includes('done=1'));
    await page.waitForSelector('#inspector-load');
    const load = Object.fromEntries(await page.$$eval('#inspector-load tbody tr', (trs) => trs.map((tr) => [tr.dataset.inspectorId, Number(tr.cells[1].innerText)])));
    const shownDay = await page.inputValue(`#due-${id}`);
    await visit(page, 'office-assign-saved');
    return { load, shownDay };
  },

  // An inspector marks by hand a hazard the model cannot see on a photo.
  async manualFlag(ctx, page) {
    const code = cfg.item;
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector(`#item-${code} [data-action=manual-flag]`);
    await page.click(`#item-${code} [data-action=manual-flag]`);
    await page.waitForSelector('#manual-flag[open]');
    await page.check('#manual-combustibles_stacked');
    await page.fill('#manual-note', '楼道内堆放纸箱');
    await visit(page, 'inspector-manual-flag', { keepScroll: true });
    await page.click('#manual-submit');
    await page.waitForSelector(`#item-${code} .flag-chip[data-code=combustibles_stacked]`);
    return { chip: (await page.locator(`#item-${code} .flag-chip`).first().innerText()).trim() };
  },

  // An inspector marks in one tap, on their photo, a hazard the model cannot see
  // (a charging cable); the chip shows and that hazard's button goes away.
  async quickFlag(ctx, page) {
    const code = cfg.item;
    const button = `#item-${code} [data-action=quick-flag][data-code=ebike_charging_indoor]`;
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector(button);
    const buttons = await page.locator(`#item-${code} [data-action=quick-flag]`).count();
    await visit(page, 'inspector-quick-flag');
    await page.click(button);
    await page.waitForSelector(`#item-${code} .flag-chip[data-code=ebike_charging_indoor]`);
    const out = {
      buttons,
      chip: (await page.locator(`#item-${code} .flag-chip`).first().innerText()).trim(),
      buttonsAfter: await page.locator(`#item-${code} [data-action=quick-flag]`).count(),
      stillOffered: await page.locator(button).count(),
    };
    await visit(page, 'inspector-quick-flag-marked');
    await setLang(page, 'en');
    await page.waitForSelector(`#item-${code} .flag-chip[data-code=ebike_charging_indoor]`, { timeout: 15000 });
    out.chipEn = (await page.locator(`#item-${code} .flag-chip`).first().innerText()).trim();
    await visit(page, 'inspector-quick-flag-en');
    return out;
  },

  // Closing at the re-inspection: refused without a photo, then with a photo and
  // a confirmation; the hazard page then shows before and after side by side.
  async reinspectClose(ctx, page) {
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
    await page.waitForSelector('button[data-action=reinspect_fixed]');
    await page.click('button[data-action=reinspect_fixed]');
    await page.waitForSelector('.actions .form-error:not(:empty)');
    const refused = (await page.locator('.actions .form-error').innerText()).trim();
    const stateAfterRefusal = await page.getAttribute('.hazard', 'data-state');
    await page.setInputFiles('#hazard-cam', cfg.images[0]);
    await page.waitForSelector('.actions .photo[data-state=uploaded]', { timeout: 30000 });
    await page.click('button[data-action=reinspect_fixed]');
    await page.waitForSelector('#confirm-close');
    await visit(page, 'hazard-close-confirm', { keepScroll: true });
    await page.click('#confirm-close');
    await page.waitForSelector('.hazard[data-state=closed_fixed]');
    const groups = {
      inspection: await page.locator('#evidence-inspection .photo').count(),
      reinspection: await page.locator('#evidence-reinspection .photo').count(),
    };
    await visit(page, 'hazard-before-after', { fullPage: true });
    // Zoom the inspection photo; its AI boxes can be hidden and shown.
    await page.click('#evidence-inspection .zoom-open');
    await page.waitForSelector('#viewer[data-boxes]', { timeout: 15000 });
    const boxes = Number(await page.getAttribute('#viewer', 'data-boxes'));
    await page.uncheck('#viewer-boxes');
    const hiddenBoxes = await page.locator('.viewer-boxes').isHidden();
    await page.check('#viewer-boxes');
    await visit(page, 'hazard-photo-zoom', { keepScroll: true });
    await page.click('#viewer-close');
    return { refused, stateAfterRefusal, groups, boxes, hiddenBoxes };
  },

  // The English UI: every screen of every role shows no Chinese outside proper
  // names and what people wrote; the lock-out message too, in both languages.
  async language(ctx, page) {
    const lockout = {};
    // First load of a fresh phone: every byte over the wire until the login screen
    // is ready (the service worker's own copying of the shell comes after).
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const weight = { bytes: 0, requests: 0, files: [] };
    const urls = new Map();
    cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, new URL(e.response.url).pathname));
    cdp.on('Network.loadingFinished', (e) => { weight.bytes += e.encodedDataLength; weight.requests++; weight.files.push(`${urls.get(e.requestId)} ${e.encodedDataLength}`); });
    await page.goto(cfg.base + '/login');
    await page.waitForSelector('#login');
    await page.waitForLoadState('networkidle');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    await cdp.detach();
    log('first load', weight.bytes, 'bytes in', weight.requests, 'requests');
    for (let i = 0; i < 6; i++) {
      await page.fill('#login', cfg.lockUser);
      await page.fill('#password', 'wrong-password-123');
      await page.click('form.login button[type=submit]');
      await page.waitForFunction(() => !document.querySelector('form.login button[type=submit]').disabled && document.querySelector('.form-error').textContent);
    }
    lockout.zh = (await page.locator('.form-error').innerText()).trim();
    await visit(page, 'login-locked');
    await setLang(page, 'en');
    await page.fill('#login', cfg.lockUser);
    await page.fill('#password', 'wrong-password-123');
    await page.click('form.login button[type=submit]');
    await page.waitForFunction(() => document.querySelector('.form-error').textContent);
    lockout.en = (await page.locator('.form-error').innerText()).trim();
    await visit(page, 'login-locked-en');
    for (const [user, paths] of Object.entries(cfg.screens)) {
      await ctx.clearCookies();
      await login(page, user);
      for (const [name, path] of paths) {
        await page.goto(cfg.base + path);
        await page.waitForSelector('main h1');
        await page.waitForTimeout(300);
        await visit(page, `${name}-en`);
      }
    }
    return { lockout, weight };
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
      if (r === cfg.reviewers[1]) await visit(page, 'determination-vote');
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
    await visit(page, 'determination');
    return { offeredActions, conclusion };
  },

  // An agency's user (the police station, the gas company) sees the hazard shared
  // with it, records what it did and comments; the entries join the hazard's history.
  async agency(ctx, page) {
    await login(page, cfg.username);
    const home = new URL(page.url()).pathname;
    await page.waitForSelector(`#agency-hazards a[data-hazard-id="${cfg.hazardId}"]`);
    const listed = await page.$$eval('#agency-hazards a[data-hazard-id]', (els) => els.map((e) => Number(e.dataset.hazardId)));
    await visit(page, 'agency-home');
    await page.click(`a[data-hazard-id="${cfg.hazardId}"]`);
    await page.waitForSelector('#agency-action-form');
    await page.selectOption('#agency-action', cfg.action);
    await page.fill('#agency-action-note', '已上门核查，责令当日整改');
    await page.click('#agency-action-form button[type=submit]');
    await page.waitForSelector('li.event[data-kind="agency_action"]');
    await page.fill('#agency-comment', '请社区网格员复查时告知我所');
    await page.click('#agency-comment-form button[type=submit]');
    await page.waitForSelector('li.event[data-kind="comment"]');
    await visit(page, 'agency-hazard', { fullPage: true });
    const kinds = await page.$$eval('li.event', (els) => els.map((e) => e.dataset.kind));
    const events = await page.$$eval('li.event .event-head', (els) => els.map((e) => e.innerText.trim()));
    const contact = (await page.locator('#agency-contact').count()) ? (await page.locator('#agency-contact').innerText()).trim() : '';
    return { home, listed, kinds, events, contact };
  },

  // The merchant with a major hazard to fix and a general one the office has not
  // yet sent: the home screen leads with what needs doing; the major hazard's page
  // shows the panel's measures and the listed supervision.
  async merchantMajor(ctx, page) {
    await login(page, 'merchant');
    await page.waitForSelector(`a[data-hazard-id="${cfg.majorId}"]`);
    const home = await page.evaluate(() => {
      const first = document.querySelector('main ul.tasks');
      const ids = (sel) => [...document.querySelectorAll(`${sel} a[data-hazard-id]`)].map((a) => Number(a.dataset.hazardId));
      return { firstList: first?.id || '', todo: ids('#merchant-todo-list'), waiting: ids('#merchant-waiting-list'),
        titles: [...document.querySelectorAll('a[data-hazard-id] .task-title')].map((e) => e.textContent.trim()) };
    });
    await visit(page, 'merchant-home-todo');
    await page.click(`a[data-hazard-id="${cfg.majorId}"]`);
    await page.waitForSelector('.merchant-hazard');
    const text = async (sel) => ((await page.locator(sel).count()) ? (await page.locator(sel).first().innerText()).trim() : '');
    const hazard = { title: await text('.merchant-hazard h1'), requirement: await text('#merchant-requirement'),
      measures: await text('#merchant-measures'), supervisor: await text('#merchant-supervisor'), deadline: await text('#merchant-supervision-deadline') };
    await visit(page, 'merchant-major', { fullPage: true });
    return { home, hazard };
  },

  // A shop owner's walk (merchantwalk_test.go): the login, the home screen with a
  // week's hazards, each hazard's page in its state, the proof's failure paths
  // (a HEIC photo, one too large, no signal), the proof sent, the bell and the
  // paperwork, in Chinese and in English.
  async merchantWalk(ctx, page) {
    const w = cfg.world;
    const out = {};
    page.on('dialog', (d) => d.accept());
    const text = async (sel) => ((await page.locator(sel).count()) ? (await page.locator(sel).first().innerText()).trim() : '');
    // Which list of the home screen each hazard is in, and its state chip's words.
    const home = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('a[data-hazard-id]')].map((a) => [a.dataset.hazardId,
      { list: a.closest('ul')?.id || '', state: a.querySelector('.chip[data-state]')?.textContent.trim() || '' }])));
    await page.goto(cfg.base + '/');
    await page.waitForSelector('#login');
    await visit(page, 'mw-login');
    await login(page, 'merchant');
    await page.waitForSelector('a[data-hazard-id]');
    out.home = await home();
    await visit(page, 'mw-home', { fullPage: true });
    const open = async (id, name) => {
      await page.goto(`${cfg.base}/merchant/hazards/${id}`);
      await page.waitForSelector('.merchant-hazard');
      await visit(page, name, { fullPage: true });
      return { state: await text('.merchant-hazard header .chip[data-state]'), sentBack: await text('#merchant-sent-back') };
    };
    out.pages = {};
    for (const [k, name] of [['Notified', 'mw-notified'], ['Overdue', 'mw-overdue'], ['Returned', 'mw-returned'], ['Rate', 'mw-rate'], ['Major', 'mw-major'], ['Waiting', 'mw-waiting']]) {
      out.pages[k] = await open(w[k], name);
    }
    // The stars asked for on the home screen, without scrolling on the phone.
    await page.goto(`${cfg.base}/merchant/hazards/${w.Rate}`);
    await page.waitForSelector('.rating .star');
    out.starsTop = await page.evaluate(() => Math.round(document.querySelector('.rating .star').getBoundingClientRect().bottom));

    // Proof on the notified hazard: an iPhone's HEIC photo, one too large, then
    // a photo taken without signal.
    const proofSaid = () => page.$$eval('.proof [role=alert], #proof-status', (els) => els.map((e) => e.textContent.trim()).filter(Boolean).join(' | '));
    await page.goto(`${cfg.base}/merchant/hazards/${w.Notified}`);
    await page.waitForSelector('#proof-cam');
    await page.locator('.proof').scrollIntoViewIfNeeded();
    await page.setInputFiles('#proof-cam', cfg.heic);
    await page.waitForTimeout(1500);
    out.afterHeic = await proofSaid();
    await visit(page, 'mw-proof-heic', { keepScroll: true });
    await page.setInputFiles('#proof-cam', cfg.huge);
    await page.waitForSelector('#proof-photos .photo[data-state="rejected"]', { timeout: 30000 });
    await page.waitForTimeout(300);
    out.afterHuge = await proofSaid();
    out.hugeRetry = await page.locator('#proof-photos .photo[data-state="rejected"] button', { hasText: /^(重试|Retry)$/ }).count();
    await page.locator('#proof-photos').scrollIntoViewIfNeeded();
    await visit(page, 'mw-proof-huge', { keepScroll: true });
    await page.click('#proof-photos .photo[data-state="rejected"] button.danger');
    await page.waitForSelector('#proof-photos .photo[data-state="rejected"]', { state: 'detached' });
    await ctx.setOffline(true);
    await page.evaluate(() => window.dispatchEvent(new Event('offline')));
    await page.setInputFiles('#proof-cam', cfg.photo);
    await page.waitForTimeout(1500);
    out.offline = await proofSaid();
    await page.locator('#proof-photos').scrollIntoViewIfNeeded();
    await visit(page, 'mw-proof-offline', { keepScroll: true });
    // The owner types the note, then the phone's camera app (or a call) takes
    // the page away; the note must still be there on coming back.
    await page.fill('#proof-note', cfg.note);
    await page.waitForTimeout(600);
    await ctx.setOffline(false);
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.waitForSelector('#proof-photos .photo[data-state="uploaded"]', { timeout: 30000 });
    await page.goto(`${cfg.base}/merchant`);
    await page.waitForSelector('a[data-hazard-id]');
    await page.goto(`${cfg.base}/merchant/hazards/${w.Notified}`);
    await page.waitForSelector('#proof-note');
    out.noteAfterLeaving = await page.inputValue('#proof-note');
    if (!out.noteAfterLeaving) await page.fill('#proof-note', cfg.note);
    await page.waitForFunction(() => { const b = document.querySelector('#submit-proof'); return b && !b.disabled; }, null, { timeout: 30000 });
    await page.locator('#submit-proof').scrollIntoViewIfNeeded();
    await visit(page, 'mw-proof-ready', { keepScroll: true });
    await page.click('#submit-proof');
    await page.waitForSelector('#proof-submitted', { timeout: 15000 });
    // What the owner sees first after sending: that it is done and what comes next.
    out.submitted = await page.evaluate(() => {
      const done = document.querySelector('#proof-submitted');
      const form = document.querySelector('.merchant-hazard .proof');
      return { text: done?.textContent.trim() || '', beforeForm: !form || !!(done && (done.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING)) };
    });
    await visit(page, 'mw-proof-submitted', { fullPage: true });
    await page.goto(`${cfg.base}/merchant`);
    await page.waitForSelector('a[data-hazard-id]');
    out.homeAfter = await home();
    await visit(page, 'mw-home-after', { fullPage: true });

    // A note typed and not sent is the owner's alone: it goes at logout (a shop's
    // phone passes between hands).
    await page.goto(`${cfg.base}/merchant/hazards/${w.Overdue}`);
    await page.waitForSelector('#proof-note');
    await page.fill('#proof-note', '已清空通道，请复查');
    await page.waitForTimeout(600);
    out.draftKept = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('proof-note')).length);
    await page.click('#logout');
    await page.waitForSelector('#login');
    out.draftsAfterLogout = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('proof-note')).length);
    await login(page, 'merchant');
    await page.waitForSelector('a[data-hazard-id]');

    // The bell.
    await page.waitForSelector('#bell[data-unread]');
    await page.click('#bell');
    await page.waitForSelector('#bell-panel:not([hidden])');
    out.bell = await text('#bell-panel');
    await visit(page, 'mw-bell', { keepScroll: true });
    await page.click('#bell');

    // The notice to sign, of the returned hazard.
    await page.goto(`${cfg.base}/hazards/${w.Returned}/print/notice`);
    await page.waitForSelector('#sig-canvas');
    await visit(page, 'mw-paper', { fullPage: true });

    // English.
    await page.goto(`${cfg.base}/merchant`);
    await page.waitForSelector('a[data-hazard-id]');
    await setLang(page, 'en');
    await page.waitForSelector('a[data-hazard-id]');
    out.homeEn = await home();
    await visit(page, 'mw-home-en', { fullPage: true });
    out.pagesEn = { Overdue: await open(w.Overdue, 'mw-overdue-en'), Returned: await open(w.Returned, 'mw-returned-en'), Major: await open(w.Major, 'mw-major-en') };
    await setLang(page, 'zh-CN');
    return out;
  },

  // Actions that deserve a second look: the inspector's "rest not applicable"
  // asks first and can be undone until the inspection is submitted; the
  // merchant's star is chosen, then confirmed.
  async secondLook(ctx, page) {
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector('.item');
    const na = () => page.locator('.item[data-answer=na]').count();
    const items = await page.locator('.item').count();
    await page.click('details.bulk summary');
    await page.click('#mark-rest-na');
    await page.waitForSelector('#confirm-rest-na');
    const naAsked = await na();
    await visit(page, 'bulk-na-confirm', { keepScroll: true });
    await page.click('#confirm-rest-na');
    await page.waitForFunction(() => ![...document.querySelectorAll('.item')].some((e) => !e.dataset.answer) && document.querySelector('.inspection[data-pending="0"]'), null, { timeout: 60000 });
    const naConfirmed = await na();
    await visit(page, 'bulk-na-done', { keepScroll: true });
    await page.click('#undo-rest-na');
    await page.waitForFunction(() => !document.querySelector('.item[data-answer=na]') && document.querySelector('.inspection[data-pending="0"]') && document.querySelector('#mark-rest-na'), null, { timeout: 60000 });
    const naUndone = await na();
    await visit(page, 'bulk-na-undone', { keepScroll: true });

    await ctx.clearCookies();
    await login(page, 'merchant');
    let ratingPosts = 0;
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().includes('/rating')) ratingPosts++; });
    await page.goto(`${cfg.base}/merchant/hazards/${cfg.closedId}`);
    await page.waitForSelector('.rating .star');
    await page.click('.rating .star[data-stars="4"]');
    await page.waitForTimeout(500);
    const postsAfterStar = ratingPosts;
    const confirmLabel = (await page.locator('#confirm-rating').innerText()).trim();
    await visit(page, 'rating-chosen', { keepScroll: true });
    await page.click('#confirm-rating');
    await page.waitForSelector('.stars-static');
    return { items, naAsked, naConfirmed, naUndone, postsAfterStar, ratingPosts, confirmLabel };
  },

  // The office at work on a desktop: the hazard list searched by site and by
  // number (the export takes the search), sorted by a column both ways, a filter
  // saved and found again after a reload; the review queue groups one photo's flags.
  async officeAtWork(ctx, page) {
    await login(page, 'officer');
    const rows = () => page.$$eval('#hazard-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.hazardId)));
    const search = async (q) => {
      await page.fill('#f-q', q);
      await page.click('form.filters button[type=submit]');
      await page.waitForURL((u) => (new URL(u).searchParams.get('q') || '') === q);
      await page.waitForSelector('#hazard-table, .empty');
      return rows();
    };
    await page.goto(`${cfg.base}/office/hazards?state=all`);
    await page.waitForSelector('#hazard-table');
    const all = await rows();
    const bySite = await search(cfg.siteQuery);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), page.locator('#export-csv').click()]);
    const csv = readFileSync(await download.path()).toString('utf8');
    const exported = csv.split('\n').slice(1).map((l) => Number(l.split(',')[0])).filter((n) => n > 0);
    await visit(page, 'hazard-search');
    const byNumber = await search(`#${cfg.numberId}`);
    await search('');
    const sorted = {};
    for (const dir of ['ascending', 'descending']) {
      await page.click('th a[data-sort=site]');
      await page.waitForSelector(`th[aria-sort=${dir}] a[data-sort=site]`);
      sorted[dir] = await rows();
    }
    await page.fill('#filter-name', '按场所倒序');
    await page.click('#save-filter');
    await page.goto(`${cfg.base}/office/hazards`);
    await page.waitForSelector('#saved-filters a');
    const saved = await page.$$eval('#saved-filters a', (as) => as.map((a) => ({ name: a.textContent.trim(), href: a.getAttribute('href') })));
    await page.click('#saved-filters a >> nth=0');
    await page.waitForSelector('th[aria-sort=descending] a[data-sort=site]');
    const reopened = await rows();
    await visit(page, 'hazard-saved-filter');

    await page.goto(`${cfg.base}/office/flags`);
    await page.waitForSelector('#flag-list, #queue-empty');
    const groups = await page.$$eval('section.photo-flags', (els) => els.map((e) => ({ photo: e.dataset.photoId, flags: e.querySelectorAll('article.flag').length })));
    await visit(page, 'flag-queue-grouped');
    return { all, bySite, exported, byNumber, sorted, saved, reopened, groups };
  },

  // The office's hazard list of every state in a district with hundreds of hazards.
  async hazardListLong(ctx, page) {
    await login(page, 'officer');
    await page.goto(`${cfg.base}/office/hazards?state=all`);
    await page.waitForSelector('#hazard-table', { timeout: 30000 });
    const rows = await page.$$eval('#hazard-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.hazardId)));
    const count = (await page.locator('#hazard-count').innerText()).trim();
    await visit(page, 'hazard-list-long');
    return { rows, count };
  },

  // The review queue with more pending flags than one page holds.
  async flagQueueLong(ctx, page) {
    await login(page, 'officer');
    await page.waitForSelector('#flag-list');
    const cards = () => page.locator('article.flag').count();
    const first = await cards();
    if (await page.locator('#flags-more:visible').count()) {
      await page.focus('#flags-more');
      await page.keyboard.press('Enter');
      await page.waitForFunction((n) => document.querySelectorAll('article.flag').length > n, first);
      await page.waitForFunction(() => document.activeElement && document.activeElement !== document.body && document.activeElement.id !== 'flags-more', null, { timeout: 5000 }).catch(() => {});
    }
    const focus = await page.evaluate(() => document.activeElement?.id || '');
    await page.locator('#flag-list > :last-child').scrollIntoViewIfNeeded();
    await visit(page, 'flag-queue-more', { keepScroll: true });
    return { first, after: await cards(), moreLeft: await page.locator('#flags-more:visible').count(), focus };
  },

  // The assignment screen and the map of a district with more sites than one page holds.
  async sitesLong(ctx, page) {
    await login(page, 'officer');
    await page.goto(`${cfg.base}/office/assign`);
    await page.waitForSelector('#a-site');
    const sites = await page.$$eval('#a-site option', (os) => os.map((o) => Number(o.value)).filter((v) => v > 0));
    await page.goto(`${cfg.base}/office/map`);
    await page.waitForSelector('#map[data-ready=true]', { timeout: 60000 });
    const markers = Number(await page.getAttribute('#map', 'data-markers'));
    return { sites, markers };
  },

  // The safety office's day, walked by a district clerk at a desktop (every visit
  // also photographs the phone): the review queue, a long hazard list filtered,
  // sorted and left for a hazard and back, a hazard's actions, determinations,
  // the map, assignment, plans and the KPIs; then the same screens in English.
  async officeWalk(ctx, page) {
    const out = { steps: [] };
    const note = (k, v) => { out[k] = v; log(k, JSON.stringify(v)); };
    const focus = () => page.evaluate(() => { const e = document.activeElement; return e ? `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''}` : ''; });
    await login(page, 'officer');
    const [first, second] = cfg.flags;
    await page.waitForSelector(`#flag-${first}`);
    await visit(page, 'walk-flags');
    // Confirm a flag by keyboard: the note, Tab to the button, Enter.
    await page.focus(`#confirm-note-${first}`);
    await page.keyboard.type('走道内两辆电动车');
    await page.keyboard.press('Tab');
    note('tabAfterConfirmNote', await focus());
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#flag-${first}:not([data-review=pending])`);
    note('focusAfterConfirm', await focus());
    await visit(page, 'walk-flags-confirmed', { keepScroll: true });
    await page.click(`#flag-${second} .quick button >> nth=1`);
    await page.click(`#flag-${second} button[data-action=reject]`);
    await page.waitForSelector(`#flag-${second}[data-review=rejected]`);
    note('focusAfterReject', await focus());
    await visit(page, 'walk-flags-rejected', { keepScroll: true });
    await page.click('nav.tabs a >> nth=3');
    await page.waitForSelector('#flag-list, #queue-empty');
    await visit(page, 'walk-flags-all', { fullPage: true });

    // The hazard list: default, then every state and overdue, sorted by deadline.
    await page.click('nav.nav a[href="/office/hazards"]');
    await page.waitForSelector('#hazard-table, .empty');
    note('listDefault', { rows: await page.locator('#hazard-table tbody tr').count(), count: await page.locator('#hazard-count').innerText() });
    await visit(page, 'walk-hazards');
    await page.selectOption('#f-state', 'all');
    await page.check('#f-overdue');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL((u) => u.search.includes('overdue=true'));
    await page.waitForSelector('#hazard-table, .empty');
    await page.click('th a[data-sort=deadline]');
    await page.waitForSelector('th[aria-sort=descending] a[data-sort=deadline]');
    const listURL = page.url();
    note('listFiltered', { url: listURL, rows: await page.locator('#hazard-table tbody tr').count(), count: await page.locator('#hazard-count').innerText() });
    await visit(page, 'walk-hazards-overdue');

    // A hazard due for re-inspection: escalate.
    await page.goto(`${cfg.base}/office/hazards?state=all&overdue=true&sort=-deadline`);
    await page.waitForSelector('#hazard-table');
    await page.click(`tr[data-hazard-id="${cfg.reinspectId}"] td a >> nth=0`);
    await page.waitForSelector('.hazard[data-hazard-id]');
    await visit(page, 'walk-hazard-reinspection', { fullPage: true });
    let posts = 0;
    const countPosts = (r) => { if (r.method() === 'POST' && r.url().includes('/actions/')) posts++; };
    page.on('request', countPosts);
    await page.click('.actions button[data-action=escalate]');
    await page.waitForTimeout(800);
    note('afterOneEscalateClick', { posts, state: await page.getAttribute('.hazard[data-hazard-id]', 'data-state'), asks: (await page.locator('#confirm-escalate').count()) ? (await page.locator('#confirm-escalate').innerText()).trim() : '' });
    await visit(page, 'walk-hazard-escalate-click', { keepScroll: true });
    // Escape takes the question back; asked again, the confirmation escalates.
    let escaped = '';
    if (await page.locator('#confirm-escalate').count()) {
      await page.focus('#confirm-escalate');
      await page.keyboard.press('Escape');
      escaped = (await page.locator('.actions button[data-action=escalate]').innerText()).trim();
      const stillAsking = await page.locator('#confirm-escalate').count();
      note('afterEscape', { posts, label: escaped, stillAsking });
      if (!stillAsking) await page.click('.actions button[data-action=escalate]');
    }
    if (await page.locator('#confirm-escalate').count()) {
      await page.click('#confirm-escalate');
      await page.waitForSelector('.hazard[data-state=escalated]');
    }
    page.off('request', countPosts);
    note('afterEscalate', { posts, state: await page.getAttribute('.hazard[data-hazard-id]', 'data-state') });
    await visit(page, 'walk-hazard-escalated', { fullPage: true });
    await page.click('header.page-head a.back');
    await page.waitForSelector('#hazard-table, .empty');
    note('backTo', new URL(page.url()).pathname + new URL(page.url()).search);

    // An open hazard: notify with an instruction.
    await page.goto(`${cfg.base}/hazards/${cfg.openId}`);
    await page.waitForSelector('.actions button[data-action=notify]');
    await page.fill('#action-note', '请于三日内更换灭火器并拍照上传');
    await visit(page, 'walk-hazard-open', { fullPage: true });
    await page.click('.actions button[data-action=notify]');
    await page.waitForSelector('.hazard[data-state=notified]');
    note('afterNotify', { focus: await focus(), events: await page.locator('#hazard-events li').count() });
    await visit(page, 'walk-hazard-notified', { fullPage: true });

    await page.click('nav.nav a[href="/office/determinations"]');
    await page.waitForSelector('main h1');
    await visit(page, 'walk-determinations', { fullPage: true });
    await page.click('nav.nav a[href="/office/map"]');
    await page.waitForSelector('#map[data-ready=true], .empty', { timeout: 30000 }).catch(() => {});
    await visit(page, 'walk-map');
    await page.click('nav.nav a[href="/office/assign"]');
    await page.waitForSelector('#assign-form');
    await visit(page, 'walk-assign', { fullPage: true });
    // On a phone: the open inspections' site names stay readable.
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(150);
    note('assignPhoneSite', await page.$eval('#open-inspections tbody tr td:first-child', (td) => {
      const range = document.createRange();
      const text = document.createTreeWalker(td, NodeFilter.SHOW_TEXT).nextNode();
      range.selectNodeContents(text || td);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      return { text: td.textContent.trim(), width: Math.round(Math.max(0, ...rects.map((r) => r.right)) - Math.min(...rects.map((r) => r.left))), lines: new Set(rects.map((r) => Math.round(r.top))).size };
    }));
    await page.setViewportSize(DESKTOP);
    await page.click('nav.nav a[href="/office/plans"]');
    await page.waitForSelector('main h1');
    await visit(page, 'walk-plans');
    await page.click('nav.nav a[href="/office/kpi"]');
    await page.waitForSelector('.kpi-grid');
    await page.waitForSelector('#kpi-trend svg');
    await page.waitForSelector('#kpi-inspectors table, #kpi-inspectors p:not(.muted)');
    note('kpiTiles', await page.$$eval('.kpi', (els) => els.map((e) => ({ kpi: e.dataset.kpi, help: e.querySelector('.kpi-help')?.textContent.trim() || '' }))));
    await visit(page, 'walk-kpi', { fullPage: true });

    await setLang(page, 'en');
    for (const [path, name, sel] of [['/office/flags?review=all', 'walk-en-flags', '#flag-list, #queue-empty'], ['/office/hazards', 'walk-en-hazards', '#hazard-table, .empty'],
      [`/hazards/${cfg.reinspectId}`, 'walk-en-hazard', '.hazard'], ['/office/determinations', 'walk-en-determinations', 'main h1'], ['/office/kpi', 'walk-en-kpi', '#kpi-trend svg']]) {
      await page.goto(cfg.base + path);
      await page.waitForSelector(sel);
      await page.waitForTimeout(300);
      await visit(page, name, { fullPage: true });
    }
    await setLang(page, 'zh-CN');
    return out;
  },

  // Evidence by keyboard: the inspector deletes a photo not yet sent and retakes
  // it; the uploaded photo opens in the app's viewer with Enter and closes with
  // Escape, the focus back on the photo. The hazard page shows the three labelled
  // groups to the inspector and to the office, and its photos zoom the same way.
  async evidenceZoom(ctx, page) {
    const code = cfg.item;
    const zoomByKeyboard = async (sel) => {
      await page.focus(sel);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#viewer[open]');
      const opened = await page.evaluate(() => document.activeElement?.closest('#viewer') !== null);
      await page.keyboard.press('Escape');
      await page.waitForSelector('#viewer', { state: 'detached' });
      const focusBack = await page.evaluate((s) => document.activeElement === document.querySelector(s), sel);
      return { opened, focusBack };
    };
    const groups = () => page.$$eval('.evidence-group', (els) => els.map((e) => ({ id: e.id, label: e.querySelector('h3')?.textContent.trim() || '', photos: e.querySelectorAll('.photo').length })));
    page.on('dialog', (d) => d.accept());
    await login(page, 'inspector');
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector(`#item-${code}`);
    await ctx.setOffline(true);
    await page.waitForSelector('#offline:not([hidden])');
    await page.setInputFiles(`#cam-${code}`, cfg.images[0]);
    await page.waitForSelector(`#item-${code} .photo [data-action=delete-photo]`); // queued, or failed once
    await visit(page, 'photo-unsent', { keepScroll: true });
    await page.click(`#item-${code} [data-action=delete-photo]`);
    await page.waitForFunction((c) => !document.querySelector(`#item-${c} .photo`), code);
    const afterDelete = await page.locator(`#item-${code} .photo`).count();
    await ctx.setOffline(false);
    await page.setInputFiles(`#cam-${code}`, cfg.images[1]);
    await page.waitForSelector(`#item-${code} .photo[data-state=uploaded] .zoom-open`, { timeout: 45000 });
    const tile = await zoomByKeyboard(`#item-${code} .photo[data-state=uploaded] .zoom-open`);

    await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
    await page.waitForSelector('#evidence');
    const inspector = { groups: await groups(), ...(await zoomByKeyboard('#evidence-inspection .zoom-open')) };
    await ctx.clearCookies();
    await login(page, 'officer');
    await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
    await page.waitForSelector('#evidence');
    const office = { groups: await groups(), ...(await zoomByKeyboard('#evidence-inspection .zoom-open')) };
    await visit(page, 'hazard-evidence-office');
    return { afterDelete, tile, inspector, office };
  },
};


/** walkScenarios are the inspector's screens walked as a grid inspector would
 * (uxinsp): each step is photographed; a step that fails is noted and the walk goes on. */
const walkScenarios = {
  async inspectorWalk(ctx, page) {
    const [a, b, c, d, e] = cfg.items;
    const out = { steps: {} };
    const step = async (name, fn) => {
      if (cfg.steps?.length && !cfg.steps.includes(name)) return;
      try { out.steps[name] = (await fn()) ?? 'ok'; } catch (err) { out.steps[name] = `FAILED: ${String(err?.message || err).slice(0, 300)}`; log('step', name, 'failed', err); await shot(page, `walk-fail-${name}`, { fullPage: true }).catch(() => {}); }
    };
    const photoPUTs = (url) => url.pathname.startsWith('/api/v1/photos/');
    const itemPUT = (url) => url.pathname.endsWith(`/items/${e}`);
    const focusInfo = () => page.evaluate(() => { const el = document.activeElement; return el ? `${el.tagName.toLowerCase()}#${el.id}.${el.className}[${el.dataset?.action || ''}]` : ''; });
    await login(page, 'inspector');
    await step('today', async () => { await page.waitForSelector(`a[data-inspection-id="${cfg.inspectionId}"]`); await visit(page, 'walk-today', { fullPage: true }); });
    await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
    await page.waitForSelector('.item');
    await step('top', () => visit(page, 'walk-checklist-top'));
    await step('answers', async () => {
      await page.click(`#item-${a} button[data-answer=pass]`);
      await page.setInputFiles(`#cam-${a}`, cfg.images[0]);
      await answerFail(page, b, 'hazard', '二楼走道停放电动车 2 辆，正在充电');
      await page.setInputFiles(`#cam-${b}`, cfg.images[1]);
      await answerFail(page, c, 'fixed_on_spot', '灭火器压力不足，已当场更换');
      await page.setInputFiles(`#cam-${c}`, cfg.images[2]);
      await waitUploaded(page, 4, 45000);
      await page.locator(`#item-${b}`).scrollIntoViewIfNeeded();
      await visit(page, 'walk-failed-items', { keepScroll: true });
    });
    // A note typed in the fail panel while a photo of that item uploads.
    await step('noteDuringUpload', async () => {
      await page.click(`#item-${d} button[data-answer=fail]`);
      await page.fill(`#note-${d}`, '消防通道被');
      await page.focus(`#note-${d}`);
      await page.setInputFiles(`#cam-${d}`, cfg.images[3]);
      await page.waitForSelector(`#item-${d} .photo[data-state=uploaded]`, { timeout: 30000 });
      await page.waitForTimeout(500);
      const focus = await focusInfo();
      await page.keyboard.type('货车占用');
      const note = await page.inputValue(`#note-${d}`);
      await page.locator(`#item-${d}`).scrollIntoViewIfNeeded();
      await visit(page, 'walk-note-during-upload', { keepScroll: true });
      return { focus, note };
    });
    await step('longTitle', async () => {
      await page.locator(`#item-${cfg.long}`).scrollIntoViewIfNeeded();
      await visit(page, 'walk-long-title', { keepScroll: true });
      return (await page.locator(`#item-${cfg.long} h3`).innerText()).trim();
    });
    await step('tooLarge', async () => {
      await page.setInputFiles(`#cam-${cfg.long}`, cfg.huge);
      await page.waitForSelector(`#item-${cfg.long} .photo[data-state=rejected]`, { timeout: 30000 });
      await page.locator(`#item-${cfg.long}`).scrollIntoViewIfNeeded();
      await visit(page, 'walk-photo-too-large', { keepScroll: true });
      return {
        tile: (await page.locator(`#item-${cfg.long} .photo[data-state=rejected] figcaption`).innerText()).trim(),
        buttons: await page.$$eval(`#item-${cfg.long} .photo[data-state=rejected] button`, (bs) => bs.map((x) => x.textContent.trim())),
        submitBar: (await page.locator('.submit-bar').innerText()).trim(),
        summary: (await page.locator('#inspection-summary').innerText()).trim(),
      };
    });
    await step('proxy413', async () => {
      await page.route(photoPUTs, (route) => route.request().method() === 'PUT'
        ? route.fulfill({ status: 413, contentType: 'text/html', body: '<html><body><h1>413 Request Entity Too Large</h1></body></html>' }) : route.continue());
      await page.setInputFiles(`#cam-${e}`, cfg.images[0]);
      await page.waitForSelector(`#item-${e} .photo[data-state=rejected]`, { timeout: 30000 });
      await page.locator(`#item-${e}`).scrollIntoViewIfNeeded();
      await visit(page, 'walk-photo-proxy-413', { keepScroll: true });
      return (await page.locator(`#item-${e} .photo[data-state=rejected] figcaption`).innerText()).trim();
    });
    await page.unroute(photoPUTs).catch(() => {});
    await step('unsupported', async () => {
      await page.setInputFiles(`#cam-${e}`, { name: '现场.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') });
      await page.waitForTimeout(300);
      return (await page.locator(`#item-${e} .form-error`).innerText()).trim();
    });
    await step('answerRejected', async () => {
      await page.route(itemPUT, (route) => route.request().method() === 'PUT'
        ? route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: 'conflict', message: 'item locked' }) }) : route.continue());
      await page.click(`#item-${e} button[data-answer=pass]`);
      await page.waitForSelector(`#item-${e} .item-status.bad-text`, { timeout: 15000 });
      await page.locator(`#item-${e}`).scrollIntoViewIfNeeded();
      await visit(page, 'walk-answer-rejected', { keepScroll: true });
      const before = (await page.locator(`#item-${e} .item-status`).innerText()).trim();
      await page.click(`#item-${e} .item-status button`);
      await page.waitForTimeout(800);
      const after = { answer: await page.getAttribute(`#item-${e}`, 'data-answer'), status: await page.locator(`#item-${e} .item-status`).count() ? (await page.locator(`#item-${e} .item-status`).innerText()).trim() : '' };
      return { before, after };
    });
    await page.unroute(itemPUT).catch(() => {});
    await step('offline', async () => {
      await ctx.setOffline(true);
      await page.waitForSelector('#offline:not([hidden])');
      await page.click(`#item-${e} button[data-answer=na]`);
      await page.waitForTimeout(500);
      await visit(page, 'walk-offline-top');
      const sync = (await page.locator('#sync-status').innerText()).trim();
      await ctx.setOffline(false);
      await page.waitForSelector('.inspection[data-pending]:not([data-pending="0"])', { timeout: 3000 }).catch(() => {});
      return sync;
    });
    await step('submitBar', async () => {
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await visit(page, 'walk-submit-bar', { keepScroll: true });
      const text = (await page.locator('.submit-bar').innerText()).trim();
      // The inspector taps to find the item still to answer.
      let jumped = null;
      if (await page.locator('#next-unanswered').count()) {
        await page.click('#next-unanswered');
        await page.waitForTimeout(400);
        jumped = await page.evaluate(() => {
          const item = document.activeElement?.closest('.item');
          const r = item?.getBoundingClientRect();
          return item ? { code: item.dataset.code, answer: item.dataset.answer, inView: r.top >= 0 && r.top < innerHeight, first: [...document.querySelectorAll('.item')].find((x) => !x.dataset.answer)?.dataset.code } : null;
        });
        await visit(page, 'walk-next-unanswered', { keepScroll: true });
      }
      return { text, jumped, summary: (await page.locator('#inspection-summary').innerText()).trim() };
    });
    await step('manualDialog', async () => {
      const btn = page.locator(`#item-${a} button[data-action=manual-flag]`).first();
      await btn.scrollIntoViewIfNeeded();
      await btn.click();
      await page.waitForSelector('#manual-flag[open]');
      await visit(page, 'walk-manual-flag-dialog', { keepScroll: true });
      await page.check('#manual-combustibles_stacked');
      await page.click('#manual-submit');
      await page.waitForSelector('#manual-flag', { state: 'detached' });
      await page.waitForSelector(`#item-${a} .flag-chip[data-code=combustibles_stacked]`);
      await page.waitForTimeout(300);
      return { focusAfter: await focusInfo() };
    });
    await step('quickFlag', async () => {
      const q = page.locator(`#item-${b} button[data-action=quick-flag]`).first();
      await q.scrollIntoViewIfNeeded();
      await q.focus();
      const code = await q.getAttribute('data-code');
      await q.press('Enter');
      await page.waitForSelector(`#item-${b} .flag-chip[data-code=${code}]`);
      await page.waitForTimeout(300);
      return { focusAfter: await focusInfo() };
    });
    await step('submit', async () => {
      await markRestNA(page);
      // Every answer on the server: what waits on the phone is the refused photos only.
      await page.waitForFunction(() => document.querySelector('.inspection')?.dataset.pending === String(document.querySelectorAll('.photo[data-state=rejected]').length), null, { timeout: 20000 });
      await page.waitForTimeout(300);
      await page.evaluate(() => window.scrollTo(0, 0));
      await visit(page, 'walk-refused-only', { keepScroll: true });
      // Everything answered; only the refused photos are left on the phone.
      const refused = { bar: (await page.locator('.submit-bar').innerText()).trim(), sync: (await page.locator('#sync-status').innerText()).trim(),
        badge: (await page.locator('#outbox-badge').innerText()).trim(),
        links: await page.$$eval('#refused-photos a[data-code]', (as) => as.map((x) => x.dataset.code)) };
      // Today's list counts them apart too: refused, not waiting to upload.
      await page.goto(`${cfg.base}/inspector`);
      await page.waitForSelector(`a.task[data-inspection-id="${cfg.inspectionId}"]`);
      refused.card = (await page.locator(`a.task[data-inspection-id="${cfg.inspectionId}"]`).innerText()).trim();
      await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
      await page.waitForSelector('.photo[data-state=rejected] button.danger');
      page.on('dialog', (dl) => dl.accept());
      while (await page.locator('.photo[data-state=rejected] button.danger').count()) {
        await page.locator('.photo[data-state=rejected] button.danger').first().click();
        await page.waitForTimeout(300);
      }
      await submitInspection(page);
      await visit(page, 'walk-submitted');
      return { refused };
    });
    await step('hazard', async () => {
      await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
      await page.waitForSelector('.hazard[data-hazard-id] #hazard-events li');
      await visit(page, 'walk-hazard', { fullPage: true });
      await page.setInputFiles('#hazard-cam', { name: '复查.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') });
      await page.waitForTimeout(500);
      const unsupported = (await page.locator('section.actions').innerText()).trim();
      await page.setInputFiles('#hazard-cam', cfg.images[3]);
      await page.waitForSelector('section.actions .photo[data-state=uploaded]', { timeout: 30000 });
      await page.click('button[data-action=reinspect_fixed]');
      await page.locator('section.actions').scrollIntoViewIfNeeded();
      await visit(page, 'walk-hazard-confirm', { keepScroll: true });
      const links = await page.$$eval('.paperwork-links a', (as) => as.map((x) => x.textContent.trim()));
      return { unsupported: unsupported.slice(0, 300), links };
    });
    await step('english', async () => {
      await setLang(page, 'en');
      await page.goto(`${cfg.base}/inspections/${cfg.inspectionId}`);
      await page.waitForSelector('.item');
      await visit(page, 'walk-checklist-en');
      await page.goto(`${cfg.base}/hazards/${cfg.hazardId}`);
      await page.waitForSelector('.hazard[data-hazard-id]');
      await visit(page, 'walk-hazard-en', { fullPage: true });
      await page.goto(`${cfg.base}/inspector`);
      await page.waitForSelector('main h1');
      await visit(page, 'walk-today-en');
    });
    return out;
  },
};
Object.assign(scenarios, walkScenarios);

async function main() {
  const scenario = scenarios[cfg.scenario];
  if (!scenario) throw new Error(`unknown scenario ${cfg.scenario}`);
  const desktop = ['plans', 'officeAtWork', 'reviewer', 'determination', 'hazardListAll', 'exportHazards', 'exportKPI', 'confirmOwn', 'map', 'language', 'proofCheck', 'officeWalk', 'hazardListLong', 'flagQueueLong', 'sitesLong'].includes(cfg.scenario);
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
    return { ok: true, screenshots: shots, screens, data };
  } catch (err) {
    log('FAILED:', err?.stack || err);
    try { await shot(page, `failure-${cfg.scenario}`, { fullPage: true }); } catch { /* best effort */ }
    return { ok: false, error: String(err?.message || err), screenshots: shots, screens };
  } finally {
    await ctx.close();
  }
}

main().then((res) => { process.stdout.write(`${JSON.stringify(res)}\n`); }, (err) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(err?.stack || err), screenshots: shots })}\n`);
});
