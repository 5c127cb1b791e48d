// The notification bell, for every role: the unread count in the top bar, the
// list (what, which hazard, when), a tap opens the thing. New notifications
// arrive without a reload: the bell polls a small unread count with If-None-Match
// (an unchanged count costs a 304 and no body) every POLL_MS and when the app
// comes back to the foreground.

import { h, replace } from './dom.js';
import { api, items, request } from './api.js';
import { t, currentLang, dateTime } from './i18n.js';

export const POLL_MS = 10000;

const state = { etag: '', unread: 0, newest: 0, timer: 0, listeners: new Set() };

/** hazardOf reads the hazard a notification is about from its key ("hazard:42:…"). */
export function hazardOf(n) {
  const m = /^hazard:(\d+)/.exec(n.dedup_key || '');
  return m ? Number(m[1]) : 0;
}

/** linkFor is where tapping a notification goes for the user's role. */
export function linkFor(n, role) {
  const id = hazardOf(n);
  if (!id) return '/notifications';
  return role === 'merchant' ? `/merchant/hazards/${id}` : `/hazards/${id}`;
}

async function poll() {
  try {
    const res = await request('GET', '/api/v1/notifications/unread', { raw: true, headers: state.etag ? { 'If-None-Match': state.etag } : {} });
    if (res.status === 200) {
      const body = await res.json();
      state.etag = res.headers.get('ETag') || '';
      if (body.unread !== state.unread || body.newest_id !== state.newest) {
        state.unread = body.unread;
        state.newest = body.newest_id;
        state.listeners.forEach((fn) => fn());
      }
    }
  } catch { /* offline: the bell keeps what it knew */ }
}

/** startBell begins polling (once per login); stopBell ends it at logout. */
export function startBell() {
  if (state.timer) return;
  poll();
  state.timer = setInterval(poll, POLL_MS);
  document.addEventListener('visibilitychange', onVisible);
}

export function stopBell() {
  clearInterval(state.timer);
  state.timer = 0;
  state.etag = '';
  state.unread = 0;
  document.removeEventListener('visibilitychange', onVisible);
}

function onVisible() { if (!document.hidden) poll(); }

/** refreshBell asks now (after reading one). */
export function refreshBell() { state.etag = ''; return poll(); }

function textOf(n) { return currentLang() === 'en' ? n.text_en : n.text_zh; }

/** bellButton is the top bar's bell; it opens the list in a panel. */
export function bellButton(user, navigate) {
  const count = h('span', { class: 'bell-count', 'aria-hidden': 'true' });
  const btn = h('button', { type: 'button', class: 'link bell', id: 'bell', 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': 'bell-panel' },
    bellIcon(), count);
  const panel = h('div', { class: 'bell-panel card', id: 'bell-panel', hidden: true, role: 'region', 'aria-label': t('bell.title') });
  const draw = () => {
    btn.dataset.unread = String(state.unread);
    btn.setAttribute('aria-label', t('bell.label', { n: state.unread }));
    replace(count, state.unread ? String(state.unread > 99 ? '99+' : state.unread) : '');
    count.hidden = !state.unread;
  };
  state.listeners.clear(); // the top bar is drawn again on every screen
  state.listeners.add(draw);
  draw();
  const close = () => { panel.hidden = true; btn.setAttribute('aria-expanded', 'false'); };
  btn.addEventListener('click', async () => {
    if (!panel.hidden) { close(); return; }
    panel.hidden = false;
    // On a phone the panel is fixed across the screen: just below the bell.
    if (getComputedStyle(panel).position === 'fixed') panel.style.top = `${Math.round(btn.getBoundingClientRect().bottom) + 4}px`;
    btn.setAttribute('aria-expanded', 'true');
    replace(panel, h('p', { class: 'muted' }, t('common.loading')));
    replace(panel, await notificationList(user, navigate, close));
  });
  return h('div', { class: 'bell-wrap', onkeydown: (e) => { if (e.key === 'Escape' && !panel.hidden) { close(); btn.focus(); } } }, btn, panel);
}

async function notificationList(user, navigate, done) {
  let list;
  try {
    list = items(await api.get('/api/v1/notifications?limit=30'));
  } catch {
    return h('p', { class: 'form-error' }, t('error.network'));
  }
  if (!list.length) return h('p', { class: 'muted', id: 'bell-empty' }, t('bell.none'));
  return h('div', null,
    h('h2', { class: 'bell-title' }, t('bell.title')),
    h('ul', { class: 'bell-list', id: 'bell-list' }, list.map((n) => h('li', { class: n.read_at ? 'read' : 'unread', dataset: { id: n.id, kind: n.kind } },
      h('a', {
        href: linkFor(n, user.role), onclick: async (e) => {
          e.preventDefault();
          if (!n.read_at) { try { await api.post(`/api/v1/notifications/${n.id}/read`); } catch { /* still open it */ } }
          done();
          refreshBell();
          navigate(linkFor(n, user.role));
        },
      },
      h('span', { class: 'bell-kind' }, t(`bell.kind.${n.kind}`)),
      h('span', { class: 'bell-text', translate: 'no' }, textOf(n)),
      h('time', { class: 'muted small-text', datetime: n.created_at }, dateTime(n.created_at)))))));
}

function bellIcon() {
  const s = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  s.setAttribute('viewBox', '0 0 24 24');
  s.setAttribute('width', '22');
  s.setAttribute('height', '22');
  s.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  p.setAttribute('d', 'M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0');
  p.setAttribute('fill', 'none');
  p.setAttribute('stroke', 'currentColor');
  p.setAttribute('stroke-width', '2');
  s.appendChild(p);
  return s;
}

/** notificationsView is the whole list, for the phone and for links without a hazard. */
export async function notificationsView(ctx) {
  return h('div', { class: 'page' }, h('h1', null, t('bell.title')), await notificationList(ctx.user, ctx.navigate, () => {}));
}
