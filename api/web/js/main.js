// The app shell: session, routing (history API; the server answers every app path
// with index.html), navigation per role, language switch and the offline banner.

import { apiErrorText } from './errors.js';
import { h, replace } from './dom.js';
import { api, onUnauthorized, ApiError, remember, recall, forgetAll } from './api.js';
import { initI18n, t, setLang, currentLang } from './i18n.js';
import { outbox } from './outbox.js';
import * as inspector from './inspector.js';
import * as office from './office.js';
import * as merchant from './merchant.js';
import * as agency from './agency.js';
import { hazardPage } from './hazard.js';
import { mapView } from './map.js';
import { assignView } from './assign.js';
import { plansView } from './plans.js';
import { settingsView } from './settings.js';
import { paperView } from './paperwork.js';
import { bellButton, startBell, stopBell, notificationsView } from './notifications.js';

export const session = { user: null };

const routes = [
  ['/login', loginView],
  ['/inspector', inspector.todayView],
  ['/inspections/:id', inspector.inspectionView],
  ['/office/flags', office.flagsView],
  ['/office/hazards', office.hazardsView],
  ['/office/determinations', office.determinationsView],
  ['/office/kpi', office.kpiView],
  ['/office/map', mapView],
  ['/office/assign', assignView],
  ['/office/plans', plansView],
  ['/office/settings', settingsView],
  ['/hazards/:id', hazardPage],
  ['/hazards/:id/print/:doc', paperView],
  ['/merchant', merchant.homeView],
  ['/merchant/hazards/:id', merchant.hazardView],
  ['/agency', agency.homeView],
  ['/agency/hazards/:id', agency.hazardView],
  ['/notifications', notificationsView],
];

/** ROLE_PREFIXES: the screens of one kind of user; others get "not allowed" at once
 * (every prefix a path starts with must allow the role). */
const ROLE_PREFIXES = [['/office/settings', ['admin']], ['/office/', ['safety_officer', 'admin']], ['/inspector', ['inspector']], ['/inspections/', ['inspector', 'safety_officer', 'admin', 'merchant']], ['/merchant', ['merchant']], ['/agency', ['agency']]];

function homeFor(user) {
  switch (user?.role) {
    case 'inspector': return '/inspector';
    case 'merchant': return '/merchant';
    case 'agency': return '/agency';
    case 'safety_officer':
    case 'admin': return '/office/flags';
    default: return '/login';
  }
}

function match(path) {
  for (const [pattern, view] of routes) {
    const names = [];
    const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; }) + '/?$');
    const m = path.match(re);
    if (m) return { view, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

let cleanups = [];
let renderSeq = 0;

export function navigate(path, { replace: rep = false } = {}) {
  if (rep) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

function navFor(user) {
  const link = (href, key) => h('a', { href, class: location.pathname.startsWith(href) ? 'active' : '', 'aria-current': location.pathname.startsWith(href) ? 'page' : undefined }, t(key));
  switch (user?.role) {
    case 'inspector': return [link('/inspector', 'nav.today')];
    case 'merchant': return [link('/merchant', 'nav.my_hazards')];
    case 'agency': return [link('/agency', 'nav.shared_hazards')];
    case 'safety_officer':
    case 'admin':
      return [link('/office/flags', 'nav.review'), link('/office/hazards', 'nav.hazards'), link('/office/determinations', 'nav.determinations'), link('/office/map', 'nav.map'), link('/office/assign', 'nav.assign'), link('/office/plans', 'nav.plans'), link('/office/kpi', 'nav.kpi'),
        user.role === 'admin' ? link('/office/settings', 'nav.settings') : null];
  }
  return [];
}

const shell = {
  header: null,
  banner: null,
  main: null,
};

async function outboxBadge(el) {
  if (!session.user || session.user.role === 'safety_officer' || session.user.role === 'admin') { replace(el); return; }
  const { photos, answers } = await outbox.pending();
  // What the server refused never uploads by waiting: it is counted apart.
  const refused = [...photos, ...answers].filter((r) => r.state === 'rejected').length;
  const n = photos.length + answers.length - refused;
  el.dataset.pending = String(n);
  replace(el, n ? h('span', { class: 'badge warn' }, t('outbox.badge', { n })) : refused ? null : h('span', { class: 'badge ok' }, t('outbox.all_synced')),
    refused ? h('span', { class: 'badge bad' }, t('outbox.refused', { n: refused })) : null);
}

function renderHeader() {
  const user = session.user;
  const badge = h('span', { class: 'outbox-badge', id: 'outbox-badge', 'aria-live': 'polite' });
  replace(shell.header,
    h('div', { class: 'bar' },
      h('a', { href: user ? homeFor(user) : '/login', class: 'brand' }, t('app.name')),
      h('nav', { class: 'nav', 'aria-label': t('nav.label') }, navFor(user)),
      h('div', { class: 'tools' },
        user ? bellButton(user, navigate) : null,
        badge,
        h('button', {
          type: 'button', class: 'link', lang: currentLang() === 'en' ? 'zh-CN' : 'en',
          onclick: async () => { await setLang(currentLang() === 'en' ? 'zh-CN' : 'en'); const sk = document.querySelector('.skip'); if (sk) sk.textContent = t('skip.link'); render(); },
        }, t('lang.switch')),
        user ? h('button', { type: 'button', class: 'link', id: 'logout', onclick: logout }, t('nav.logout')) : null,
      ),
    ),
  );
  outboxBadge(badge);
}

function renderBanner() {
  const offline = navigator.onLine === false;
  shell.banner.hidden = !offline;
  replace(shell.banner, offline ? t('offline.banner') : '');
}

async function logout() {
  const { total } = await outbox.pending();
  if (total && !confirm(t('nav.logout_pending', { n: total }))) return;
  try { await api.post('/api/v1/auth/logout'); } catch { /* the session ends anyway */ }
  session.user = null;
  stopBell();
  forgetAll();
  navigate('/login');
}

// ME is who is logged in; offline, the last answer stands in so the app opens (the
// server still decides: the first request that gets a 401 sends the user to login).
const ME = '/api/v1/me';

async function loadUser() {
  try {
    session.user = await api.get(ME);
    remember(ME, session.user);
  } catch (err) {
    session.user = null;
    if (err instanceof ApiError && err.network) {
      session.user = recall(ME) || null;
      if (!session.user) throw err;
      return;
    }
    if (err instanceof ApiError && err.status === 401) forgetAll();
  }
}

/** ctx is what a view gets: params, query, the user, and cleanup registration. */
function makeCtx(params) {
  return {
    params,
    query: new URLSearchParams(location.search),
    user: session.user,
    cleanup: (fn) => cleanups.push(fn),
    on(target, type, fn) { target.addEventListener(type, fn); cleanups.push(() => target.removeEventListener(type, fn)); },
    every(ms, fn) { const id = setInterval(fn, ms); cleanups.push(() => clearInterval(id)); },
    navigate,
  };
}

export async function render() {
  const seq = ++renderSeq;
  cleanups.forEach((fn) => { try { fn(); } catch { /* ignore */ } });
  cleanups = [];
  let path = location.pathname;
  if (!session.user && path !== '/login') {
    navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true });
    return;
  }
  if (path === '/' || path === '') { navigate(homeFor(session.user), { replace: true }); return; }
  renderHeader();
  renderBanner();
  const m = match(path);
  const main = shell.main;
  main.setAttribute('aria-busy', 'true');
  const wrongRole = m && ROLE_PREFIXES.some(([prefix, roles]) => path.startsWith(prefix) && !roles.includes(session.user?.role));
  if (wrongRole) {
    replace(main, errorBox(new ApiError(403, 'forbidden')));
    main.removeAttribute('aria-busy');
    return;
  }
  if (!m) {
    replace(main, h('section', { class: 'empty' }, h('h1', null, t('error.not_found_page')), h('a', { href: homeFor(session.user) }, t('nav.home'))));
    main.removeAttribute('aria-busy');
    return;
  }
  replace(main, h('p', { class: 'loading' }, t('common.loading')));
  try {
    const ctx = makeCtx(m.params);
    const node = await m.view(ctx);
    if (seq !== renderSeq) return;
    replace(main, node);
    document.title = `${main.querySelector('h1')?.textContent || ''} · ${t('app.name')}`;
    main.querySelector('h1')?.setAttribute('tabindex', '-1');
  } catch (err) {
    if (seq !== renderSeq) return;
    console.error(err);
    replace(main, errorBox(err, () => render()));
  } finally {
    if (seq === renderSeq) main.removeAttribute('aria-busy');
  }
}

/** errorBox shows an error in plain words; a retry only where one can help
 * (no connection, overload, a server fault), else the way home. */
export function errorBox(err, retry) {
  const api = err instanceof ApiError;
  const msg = api ? apiErrorText(err) : t('error.app');
  const canRetry = retry && (!api || err.retryable);
  return h('section', { class: 'error', id: 'error-box', role: 'alert', dataset: { status: api ? err.status : 'app' } },
    h('p', null, msg),
    canRetry ? h('button', { type: 'button', id: 'error-retry', onclick: retry }, t('common.retry')) : null,
    !canRetry || (api && err.status === 403) ? h('p', null, h('a', { href: homeFor(session.user), id: 'error-home' }, t('nav.home'))) : null);
}

async function loginView(ctx) {
  if (session.user) { queueMicrotask(() => navigate(homeFor(session.user), { replace: true })); return h('p', null, ''); }
  const err = h('p', { class: 'form-error', role: 'alert', 'aria-live': 'assertive' });
  const login = h('input', { id: 'login', name: 'login', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary wide' }, t('login.submit'));
  const form = h('form', {
    class: 'card login',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      replace(err);
      try {
        const res = await api.post('/api/v1/auth/login', { login: login.value.trim(), password: password.value });
        if (recall(ME)?.id !== res.user.id) forgetAll(); // nothing of another user's stays
        session.user = res.user;
        remember(ME, res.user);
        startBell();
        outbox.retryNow();
        const next = ctx.query.get('next');
        navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : homeFor(session.user), { replace: true });
      } catch (e2) {
        replace(err, e2.status === 401 ? t('login.wrong') : apiErrorText(e2));
        submit.disabled = false;
      }
    },
  },
  h('h1', null, t('login.title')),
  h('p', { class: 'muted' }, t('login.intro')),
  h('label', { for: 'login' }, t('login.login')), login,
  h('label', { for: 'password' }, t('login.password')), password,
  err, submit);
  return h('section', { class: 'narrow' }, form);
}

async function boot() {
  shell.header = document.getElementById('top');
  shell.banner = document.getElementById('offline');
  shell.main = document.getElementById('view');
  await initI18n();
  const skip = document.querySelector('.skip');
  if (skip) skip.textContent = t('skip.link');
  try {
    await loadUser();
  } catch {
    replace(shell.main, errorBox(new ApiError(0, 'network'), () => location.reload()));
    return;
  }
  onUnauthorized(() => {
    forgetAll();
    stopBell();
    if (location.pathname === '/login') return;
    session.user = null;
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  });
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download') || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
  addEventListener('popstate', render);
  watchScrollables();
  addEventListener('online', renderBanner);
  addEventListener('offline', renderBanner);
  outbox.addEventListener('change', () => {
    const el = document.getElementById('outbox-badge');
    if (el) outboxBadge(el);
  });
  outbox.start();
  if (session.user) startBell();
  await render();
  document.body.dataset.ready = 'true';
}

// watchScrollables marks a table wider than its place: it then scrolls sideways
// inside itself (app.css, class scrolls) and takes the keyboard focus, so the
// arrow keys can scroll it. Checked once per frame after the page changes or the
// window is resized.
function watchScrollables() {
  let queued = false;
  const mark = () => {
    queued = false;
    for (const el of document.querySelectorAll('table.compact')) {
      const wide = el.classList.contains('scrolls')
        ? el.scrollWidth > el.clientWidth + 1
        : el.getBoundingClientRect().width > (el.parentElement?.clientWidth ?? Infinity) + 1;
      el.classList.toggle('scrolls', wide);
      if (wide) el.tabIndex = 0;
      else el.removeAttribute('tabindex');
    }
  };
  const queue = () => { if (!queued) { queued = true; requestAnimationFrame(mark); } };
  new MutationObserver(queue).observe(document.body, { childList: true, subtree: true });
  addEventListener('resize', queue);
}

// registerServiceWorker installs sw.js, which keeps the app shell on the phone so
// the app opens without a connection. Only after load, so it never competes with
// the first render, and a failure costs only the offline start.
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  const register = () => navigator.serviceWorker.register('/sw.js', { scope: '/' })
    .catch((err) => console.warn('service worker not registered:', err));
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}

registerServiceWorker();
boot();
