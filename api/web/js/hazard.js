// The hazard page (一事一档): the rule and its basis, the state, the deadline, every
// event of its history with its evidence, the photos, and the actions the viewer
// may take now.

import { apiErrorText } from './errors.js';
import { h, replace } from './dom.js';
import { api, items } from './api.js';
import { t, tOr, text, dateTime, countdown } from './i18n.js';
import { outbox, hazardTarget } from './outbox.js';
import { cameraButton, queuePhotos, renderDevicePhotos, serverPhotos } from './photos.js';
import { evidenceSection } from './evidence.js';
import { paperworkLinks, dossierLink } from './paperwork.js';
import { determinationPanel } from './determination.js';
import { officeListHref } from './office.js';

/**
 * Actions offered per role and state; the server decides in the end. A
 * determination is opened, voted on and concluded in its own panel
 * (determination.js), never by one action.
 */
const ACTIONS = {
  manager: {
    open: ['notify', 'return_for_correction', 'withdraw'],
    returned: ['withdraw'],
    reinspection_due: ['escalate'],
  },
  inspector: {
    returned: ['resubmit'],
    notified: ['reinspect_fixed'],
    rectification_submitted: ['reinspect_fixed', 'reinspect_present'],
    reinspection_due: ['reinspect_fixed', 'reinspect_present'],
    escalated: ['reinspect_fixed'],
  },
};
const NEEDS_NOTE = new Set(['return_for_correction', 'withdraw', 'reinspect_present']);
/** ASK_FIRST: actions that cannot be taken back (the hazard goes up a level, or
 * closes as no hazard) ask once more on the same button before they are sent. */
const ASK_FIRST = new Set(['escalate', 'withdraw']);
const WITH_PHOTOS = new Set(['reinspect_fixed', 'reinspect_present']);

/** people returns the names (and the responsible inspector's contact) of
 * everyone around a hazard, for every role that may read it. */
export async function hazardPeople(id) {
  try {
    const list = items(await api.get(`/api/v1/hazards/${id}/people`));
    const names = new Map(list.map((u) => [u.id, u.display_name]));
    names.responsible = list.find((u) => u.responsible) || null;
    return names;
  } catch {
    return new Map();
  }
}

let unitCache = null;
async function unitNameMap() {
  if (!unitCache) unitCache = api.get('/api/v1/units').then(items).then((l) => new Map(l.map((u) => [u.id, u.name]))).catch(() => new Map());
  return unitCache;
}

export function stateChip(state) {
  const cls = { open: 'warn', notified: 'warn', returned: 'warn', rectification_submitted: '', reinspection_due: 'bad', escalated: 'bad', under_determination: 'bad', closed_fixed: 'ok', closed_on_spot: 'ok', withdrawn: 'muted' }[state] ?? '';
  return h('span', { class: `chip ${cls}`, dataset: { state } }, t(`hazard.state.${state}`));
}

export function severityChip(sev) {
  return h('span', { class: `chip ${sev === 'general' ? '' : 'bad'}` }, t(`severity.${sev}`));
}

export function deadlineChip(hz) {
  if (['closed_fixed', 'closed_on_spot', 'withdrawn'].includes(hz.state)) return null;
  const cd = countdown(hz.deadline);
  return h('span', { class: `chip ${cd.overdue ? 'bad' : ''}`, title: dateTime(hz.deadline) }, cd.text);
}

function citationList(rule) {
  return h('ul', { class: 'basis-list' }, (rule?.citations || []).map((c) => h('li', null,
    h('span', { translate: 'no' }, `《${c.source}》${c.edition ? `（${c.edition}）` : ''}${c.clause || ''}`), ' ',
    h('span', { class: `chip ${c.status === 'V' ? 'ok' : c.status === 'U' ? 'warn' : ''}` }, t(`citation.status.${c.status}`)))));
}

/** eventItem is one entry of a hazard's history, for the office's and the agencies' screens. */
export function eventItem(ev, names, actionTitles = new Map()) {
  let p = {};
  try { p = typeof ev.payload === 'string' ? JSON.parse(ev.payload) : (ev.payload || {}); } catch { p = {}; }
  const who = ev.actor === 0 ? t('event.system') : (names.get(ev.actor) || t('event.someone'));
  const detail = [];
  if (p.from && p.to) detail.push(h('span', null, `${t(`hazard.state.${p.from}`)} → ${t(`hazard.state.${p.to}`)}`));
  if (p.state && !p.from) detail.push(h('span', null, t(`hazard.state.${p.state}`)));
  if (p.severity && ev.kind === 'created') detail.push(h('span', null, t(`severity.${p.severity}`)));
  if (p.deadline) detail.push(h('span', null, t('hazard.deadline_at', { at: dateTime(p.deadline) })));
  if (p.rating) detail.push(h('span', null, t('hazard.rating_n', { n: p.rating })));
  if (p.agency_name) {
    const title = actionTitles.get(p.action);
    detail.push(h('span', { translate: 'no' }, p.agency_name), title ? h('span', null, title) : h('span', { translate: 'no' }, p.action));
  }
  if (p.note) detail.push(h('q', { translate: 'no' }, p.note));
  return h('li', { class: 'event', dataset: { kind: ev.kind } },
    h('div', { class: 'event-head' },
      h('strong', null, tOr(`event.kind.${ev.kind}`, t('event.kind.other'))),
      h('span', { class: 'muted' }, ' · ', h('span', { translate: ev.actor === 0 ? undefined : 'no' }, who), ' · ', h('time', { datetime: ev.at }, dateTime(ev.at)))),
    detail.length ? h('div', { class: 'event-detail' }, detail) : null,
    p.photo_ids?.length ? serverPhotos(p.photo_ids) : null);
}

/** signPanel asks the responsible unit's officer to sign for (签收) a hazard handed
 * to it, by when; an unsigned hazard escalates when the time runs out. */
function signPanel(ctx, hz, role) {
  if (hz.sign_party !== 'unit' || !hz.sign_by || (role !== 'safety_officer' && role !== 'admin')) return null;
  const err = h('p', { class: 'form-error', role: 'alert' });
  const btn = h('button', { type: 'button', class: 'primary', id: 'sign-hazard' }, t('hazard.sign'));
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      await api.post(`/api/v1/hazards/${hz.id}/sign`);
      ctx.navigate(`/hazards/${hz.id}`, { replace: true });
    } catch (e) { replace(err, apiErrorText(e)); btn.disabled = false; }
  });
  return h('section', { class: 'card', id: 'sign-panel' },
    h('h2', null, t('hazard.sign_title')),
    h('p', { class: new Date(hz.sign_by) < new Date() ? 'bad-text' : 'warn-text' }, t('hazard.sign_by', { at: dateTime(hz.sign_by) })),
    role === 'safety_officer' ? btn : h('p', { class: 'muted' }, t('hazard.sign_officers_only')), err);
}

export async function hazardPage(ctx) {
  const id = Number(ctx.params.id);
  const role = ctx.user.role;
  if (role === 'merchant') { queueMicrotask(() => ctx.navigate(`/merchant/hazards/${id}`, { replace: true })); return h('p', null, ''); }
  const [hz, names, unitNames] = await Promise.all([api.get(`/api/v1/hazards/${id}`), hazardPeople(id), unitNameMap()]);
  const rule = typeof hz.rule === 'string' ? JSON.parse(hz.rule) : (hz.rule || {});
  const root = h('div', { class: 'page wide-page hazard', dataset: { hazardId: id, state: hz.state } });
  const kind = role === 'inspector' ? 'inspector' : 'manager';
  const offered = (ACTIONS[kind][hz.state] || []);

  const actionsEl = h('section', { class: 'card actions' });
  if (offered.length) {
    const note = h('textarea', { id: 'action-note', rows: 2 });
    const err = h('p', { class: 'form-error', role: 'alert' });
    const photosEl = h('div', { class: 'photos' });
    const needPhotos = offered.some((a) => WITH_PHOTOS.has(a));
    const target = hazardTarget(id);
    const refreshPhotos = () => renderDevicePhotos(photosEl, target);
    if (needPhotos) {
      ctx.on(outbox, 'change', (e) => { if (e.detail?.target === target || e.detail?.kind === 'photo') refreshPhotos(); });
      refreshPhotos();
    }
    const act = async (a, btn) => {
      replace(err);
      if (NEEDS_NOTE.has(a) && !note.value.trim()) { replace(err, t('hazard.note_required')); note.focus(); return; }
      const local = needPhotos ? await outbox.photos(target) : [];
      if (local.some((p) => p.state !== 'uploaded' && p.state !== 'rejected')) { replace(err, t('hazard.wait_photos')); return; }
      const ids = local.filter((p) => p.state === 'uploaded').map((p) => p.id);
      // Closing a hazard at the re-inspection is final: it needs a photo of the
      // fix and a second, explicit confirmation.
      if (a === 'reinspect_fixed') {
        if (!ids.length) { replace(err, t('hazard.close_needs_photo')); return; }
        if (btn.dataset.confirming !== 'true') {
          btn.dataset.confirming = 'true';
          btn.textContent = t('hazard.close_confirm', { n: ids.length });
          btn.id = 'confirm-close';
          return;
        }
      }
      if (ASK_FIRST.has(a) && btn.dataset.confirming !== 'true') {
        btn.dataset.confirming = 'true';
        btn.textContent = t(`hazard.confirm.${a}`);
        btn.id = `confirm-${a}`;
        // Escape takes the question back.
        btn.addEventListener('keydown', function takeBack(e) {
          if (e.key !== 'Escape') return;
          btn.removeEventListener('keydown', takeBack);
          delete btn.dataset.confirming;
          btn.textContent = t(`action.${a}`);
          btn.removeAttribute('id');
        });
        return;
      }
      btn.disabled = true;
      try {
        const body = { note: note.value.trim() };
        if (WITH_PHOTOS.has(a) && ids.length) body.photo_ids = ids;
        await api.post(`/api/v1/hazards/${id}/actions/${a}`, body);
        for (const p of local.filter((x) => x.state === 'uploaded')) await outbox.discardPhoto(p.id);
        ctx.navigate(`/hazards/${id}`, { replace: true });
      } catch (e) {
        replace(err, apiErrorText(e));
        btn.disabled = false;
      }
    };
    replace(actionsEl,
      h('h2', null, t('hazard.actions')),
      needPhotos ? h('div', null,
        cameraButton({ id: 'hazard-cam', label: t('photo.take_reinspect'), onFiles: async (files) => replace(err, (await queuePhotos(files, target, { hazardId: id })).map((p) => [p, ' '])) }),
        photosEl) : null,
      h('label', { for: 'action-note' }, t('hazard.action_note')), note, err,
      h('div', { class: 'row wrap' }, offered.map((a) => {
        const b = h('button', { type: 'button', class: a === 'escalate' || a === 'reinspect_present' ? 'danger' : (a === 'notify' || a === 'reinspect_fixed' ? 'primary' : ''), dataset: { action: a } }, t(`action.${a}`));
        b.addEventListener('click', () => act(a, b));
        return b;
      })));
  }

  const detEl = await determinationPanel(ctx, hz, { names, unitNames, reload: () => ctx.navigate(`/hazards/${id}`, { replace: true }) });
  const signEl = signPanel(ctx, hz, role);

  const events = (hz.events || []).slice().sort((a, b) => a.seq - b.seq);
  replace(root,
    h('header', { class: 'page-head' },
      h('a', { href: role === 'inspector' ? '/inspector' : officeListHref(), class: 'back' }, t('nav.back')),
      h('p', { class: 'muted' }, t('hazard.number', { id }), ' · ', h('span', { translate: 'no' }, hz.rule_code)),
      h('h1', null, text(rule.title) || hz.rule_code),
      h('p', { class: 'row wrap' }, stateChip(hz.state), severityChip(hz.severity), deadlineChip(hz),
        hz.severity === 'major' && !['closed_fixed', 'closed_on_spot', 'withdrawn'].includes(hz.state) ? h('span', { class: 'chip bad' }, t('hazard.listed_supervision')) : null)),
    h('div', { class: 'columns' },
      h('div', null,
        h('section', { class: 'card' },
          h('h2', null, t('hazard.site')),
          h('p', { translate: 'no' }, h('strong', null, hz.site_name), h('br'), hz.site_address),
          h('p', null, dossierLink(hz.site_id)),
          h('dl', { class: 'facts' },
            h('dt', null, t('hazard.deadline')), h('dd', null, dateTime(hz.deadline)),
            h('dt', null, t('hazard.level')), h('dd', null, h('span', { translate: 'no' }, unitNames.get(hz.unit_id) || ''), t('unit.level_suffix', { level: t(`level.${hz.level}`) })),
            h('dt', null, t('hazard.inspector')), h('dd', { id: 'hazard-inspector', translate: 'no' }, names.get(hz.inspector_id) || t('event.someone')),
            h('dt', null, t('hazard.observations')), h('dd', null, String(hz.observations)),
            h('dt', null, t('hazard.escalations')), h('dd', null, String(hz.escalations)),
            hz.inspection_id ? [h('dt', null, t('hazard.inspection')), h('dd', null, `#${hz.inspection_id}`)] : null,
            hz.rating ? [h('dt', null, t('hazard.rating')), h('dd', null, '★'.repeat(hz.rating))] : null),
          hz.note ? h('p', { class: 'note', translate: 'no' }, hz.note) : null),
        signEl,
        detEl,
        paperworkLinks(id),
        h('section', { class: 'card' },
          h('h2', null, t('hazard.rule')),
          h('p', null, text(rule.explanation)),
          h('h3', null, t('hazard.legal_basis')), citationList(rule)),
        offered.length ? actionsEl : null),
      h('div', null,
        evidenceSection(hz, { staff: true }),
        h('section', { class: 'card' },
          h('h2', null, t('hazard.history'), ' ', h('span', { class: 'count' }, events.length)),
          h('ol', { class: 'timeline', id: 'hazard-events' }, events.map((ev) => eventItem(ev, names))),
          h('p', { class: 'muted small-text' }, t('hazard.chain_note'))))));
  return root;
}
