// The merchant's phone screens: own premises, open hazards with a live deadline
// countdown, the legal basis in plain words, what photo proves the fix, proof
// upload (through the outbox, so a weak signal loses nothing) and the rating.

import { h, replace } from './dom.js';
import { api, items } from './api.js';
import { t, tOr, ruleLang, dateTime, countdown } from './i18n.js';
import { outbox, hazardTarget } from './outbox.js';
import { cameraButton, queuePhotos, renderDevicePhotos, serverPhotos } from './photos.js';
import { stateChip } from './hazard.js';

const CLOSED = ['closed_fixed', 'closed_on_spot', 'withdrawn'];

function countdownEl(m, ctx) {
  const el = h('p', { class: 'countdown', role: 'timer', 'aria-live': 'off' });
  const tick = () => {
    if (CLOSED.includes(m.state)) { replace(el, t(`hazard.state.${m.state}`)); el.className = 'countdown done'; return; }
    const cd = countdown(m.deadline);
    el.className = `countdown ${cd.overdue ? 'overdue' : cd.ms < 86400000 ? 'soon' : ''}`;
    replace(el, h('span', { class: 'big' }, cd.text), h('span', { class: 'muted' }, t('merchant.deadline_at', { at: dateTime(m.deadline) })));
  };
  tick();
  ctx.every(30000, tick);
  return el;
}

async function merchantHazards() {
  return items(await api.get(`/api/v1/merchant/hazards${api.qs({ lang: ruleLang() })}`));
}

export async function homeView(ctx) {
  const [sites, list] = await Promise.all([api.get('/api/v1/sites').then(items).catch(() => []), merchantHazards()]);
  const open = list.filter((m) => !CLOSED.includes(m.state));
  const closed = list.filter((m) => CLOSED.includes(m.state));
  const card = (m) => h('li', null, h('a', { href: `/merchant/hazards/${m.id}`, class: `card task ${m.overdue ? 'overdue' : ''}`, dataset: { hazardId: m.id } },
    h('span', { class: 'task-title' }, m.title),
    h('span', { class: 'muted' }, m.site_name),
    h('span', { class: 'row wrap' }, stateChip(m.state), m.can_rate ? h('span', { class: 'chip' }, t('merchant.please_rate')) : null),
    CLOSED.includes(m.state) ? null : countdownEl(m, ctx)));
  return h('div', { class: 'page' },
    h('h1', null, t('merchant.title')),
    h('section', null, h('h2', null, t('merchant.premises')),
      sites.length ? h('ul', { class: 'plain' }, sites.map((s) => h('li', { class: 'card' }, h('strong', null, s.name), h('br'), h('span', { class: 'muted' }, s.address)))) : h('p', { class: 'muted' }, t('merchant.no_premises'))),
    h('section', null, h('h2', null, t('merchant.open_hazards'), ' ', h('span', { class: 'count' }, open.length)),
      open.length ? h('ul', { class: 'tasks' }, open.map(card)) : h('p', { class: 'empty ok-text' }, t('merchant.no_open'))),
    closed.length ? h('section', null, h('h2', null, t('merchant.closed_hazards')), h('ul', { class: 'tasks' }, closed.map(card))) : null);
}

export async function hazardView(ctx) {
  const id = Number(ctx.params.id);
  const [list, detail] = await Promise.all([merchantHazards(), api.get(`/api/v1/hazards/${id}`)]);
  const m = list.find((x) => x.id === id);
  if (!m) throw Object.assign(new Error(t('error.not_found')), { status: 404 });
  const root = h('div', { class: 'page merchant-hazard', dataset: { hazardId: id, state: m.state } });
  const target = hazardTarget(id);

  // Proof: photos through the outbox, then "submit" names the uploaded ones.
  let proof = null;
  if (m.can_submit_proof) {
    const photosEl = h('div', { class: 'photos', id: 'proof-photos' });
    const note = h('textarea', { id: 'proof-note', rows: 3, placeholder: t('merchant.proof_note_ph') });
    const err = h('p', { class: 'form-error', role: 'alert' });
    const status = h('p', { class: 'muted', id: 'proof-status', role: 'status' });
    const submit = h('button', { type: 'button', class: 'primary wide', id: 'submit-proof', disabled: true }, t('merchant.submit_proof'));
    const refresh = async () => {
      const local = await renderDevicePhotos(photosEl, target);
      const up = local.filter((p) => p.state === 'uploaded');
      const waiting = local.filter((p) => p.state !== 'uploaded' && p.state !== 'rejected');
      submit.disabled = !up.length || waiting.length > 0;
      replace(status, !local.length ? t('merchant.proof_none') : waiting.length ? t(navigator.onLine === false ? 'merchant.proof_waiting_offline' : 'merchant.proof_waiting', { n: waiting.length }) : t('merchant.proof_ready', { n: up.length }));
      root.dataset.uploaded = String(up.length);
    };
    ctx.on(outbox, 'change', (e) => { if (e.detail?.kind === 'photo') refresh(); });
    ctx.on(window, 'online', refresh);
    ctx.on(window, 'offline', refresh);
    submit.addEventListener('click', async () => {
      const local = (await outbox.photos(target)).filter((p) => p.state === 'uploaded');
      submit.disabled = true;
      replace(err);
      try {
        await api.post(`/api/v1/merchant/hazards/${id}/proof`, { note: note.value.trim(), photo_ids: local.map((p) => p.id) });
        for (const p of local) await outbox.discardPhoto(p.id);
        ctx.navigate(`/merchant/hazards/${id}`, { replace: true });
      } catch (e) {
        replace(err, e.network ? t('error.network_submit') : e.message);
        submit.disabled = false;
      }
    });
    proof = h('section', { class: 'card proof' },
      h('h2', null, t('merchant.proof_title')),
      h('p', { class: 'proof-needed' }, h('strong', null, t('merchant.proof_needed')), ' ', m.proof_needed),
      cameraButton({ id: 'proof-cam', label: t('merchant.take_proof'), onFiles: (files) => queuePhotos(files, target, { hazardId: id }) }),
      photosEl, status,
      h('label', { for: 'proof-note' }, t('merchant.proof_note')), note, err, submit);
    refresh();
  }

  let rating = null;
  if (m.can_rate) {
    const err = h('p', { class: 'form-error', role: 'alert' });
    rating = h('section', { class: 'card rating' }, h('h2', null, t('merchant.rate_title')), h('p', { class: 'muted' }, t('merchant.rate_intro')),
      h('div', { class: 'stars', role: 'group', 'aria-label': t('merchant.rate_title') }, [1, 2, 3, 4, 5].map((n) => h('button', {
        type: 'button', class: 'star', 'aria-label': t('merchant.stars', { n }), onclick: async (e) => {
          e.currentTarget.disabled = true;
          try { await api.post(`/api/v1/hazards/${id}/rating`, { rating: n }); ctx.navigate(`/merchant/hazards/${id}`, { replace: true }); } catch (e2) { replace(err, e2.message); }
        },
      }, '★'))), err);
  } else if (m.rating) {
    rating = h('section', { class: 'card' }, h('h2', null, t('merchant.your_rating')), h('p', { class: 'stars-static' }, '★'.repeat(m.rating) + '☆'.repeat(5 - m.rating)));
  }

  const events = (detail.events || []).slice().sort((a, b) => a.seq - b.seq);
  replace(root,
    h('header', { class: 'page-head' },
      h('a', { href: '/merchant', class: 'back' }, t('nav.back')),
      h('p', { class: 'muted' }, m.site_name, ' · ', m.site_address),
      h('h1', null, m.title),
      h('p', { class: 'row wrap' }, stateChip(m.state), m.severity !== 'general' ? h('span', { class: 'chip bad' }, t(`severity.${m.severity}`)) : null)),
    CLOSED.includes(m.state) ? null : h('section', { class: 'card deadline' }, h('h2', null, t('merchant.deadline')), countdownEl(m, ctx)),
    h('section', { class: 'card' }, h('h2', null, t('merchant.what')), h('p', null, m.explanation)),
    h('section', { class: 'card' }, h('h2', null, t('merchant.legal_basis')),
      m.legal_basis?.length ? h('ul', { class: 'basis-list' }, m.legal_basis.map((b) => h('li', null, b))) : h('p', { class: 'muted' }, t('merchant.no_basis'))),
    proof,
    m.state === 'rectification_submitted' ? h('p', { class: 'card ok-text', id: 'proof-submitted', role: 'status' }, t('merchant.proof_submitted')) : null,
    rating,
    h('section', { class: 'card' }, h('h2', null, t('merchant.inspector_photos')), serverPhotos(detail.photo_ids)),
    h('section', { class: 'card' }, h('h2', null, t('merchant.progress')),
      h('ol', { class: 'timeline' }, events.map((ev) => h('li', { class: 'event' }, h('strong', null, tOr(`event.kind.${ev.kind}`, ev.kind)), ' · ', h('time', { datetime: ev.at }, dateTime(ev.at)))))));
  return root;
}
