// Assigning inspections: each inspector's load (open inspections, by due day), a
// form to give a site to an inspector with a due date, and the open inspections:
// each can move to another day, and one not yet started to another inspector.

import { h, replace } from './dom.js';
import { api, items, pages } from './api.js';
import { t } from './i18n.js';
import { apiErrorText } from './errors.js';

const OPEN = ['assigned', 'in_progress', 'returned'];

export async function assignView(ctx) {
  const [users, sites, inspections] = await Promise.all([
    api.get('/api/v1/users').then(items),
    // Every site and inspection, page after page: a site past the first page
    // must still be assignable, and each inspector's load count them all.
    pages('/api/v1/sites', { limit: 500 }, Infinity).then((r) => r.list),
    pages('/api/v1/inspections', { limit: 500 }, Infinity).then((r) => r.list),
  ]);
  const inspectors = users.filter((u) => u.role === 'inspector');
  const open = inspections.filter((i) => OPEN.includes(i.status));
  const load = new Map(inspectors.map((u) => [u.id, open.filter((i) => i.inspector_id === u.id).length]));
  const siteName = new Map(sites.map((s) => [s.id, s.name]));
  const name = (u) => u.display_name || u.username;
  const inspectorOptions = (selected) => inspectors.slice().sort((a, b) => load.get(a.id) - load.get(b.id))
    .map((u) => h('option', { value: u.id, selected: u.id === selected, translate: 'no' }, `${name(u)}${t('assign.load_suffix', { n: load.get(u.id) })}`));

  const siteSel = h('select', { id: 'a-site', required: true }, h('option', { value: '' }, t('assign.choose_site')),
    sites.map((s) => h('option', { value: s.id, translate: 'no' }, `${s.name} · ${s.address}`)));
  const inspSel = h('select', { id: 'a-inspector', required: true }, inspectorOptions());
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  const due = h('input', { type: 'date', id: 'a-due', value: tomorrow, required: true });
  const msg = h('p', { role: 'status', id: 'assign-status' });
  const form = h('form', { class: 'filters card', id: 'assign-form', onsubmit: async (e) => {
    e.preventDefault();
    replace(msg);
    try {
      await api.post('/api/v1/inspections', { site_id: Number(siteSel.value), inspector_id: Number(inspSel.value), due: new Date(`${due.value}T18:00:00`).toISOString() });
      ctx.navigate('/office/assign?done=1', { replace: true });
    } catch (ex) {
      msg.className = 'form-error';
      replace(msg, apiErrorText(ex));
    }
  } },
  h('div', { class: 'field grow' }, h('label', { for: 'a-site' }, t('assign.site')), siteSel),
  h('div', { class: 'field' }, h('label', { for: 'a-inspector' }, t('assign.inspector')), inspSel),
  h('div', { class: 'field' }, h('label', { for: 'a-due' }, t('assign.due')), due),
  h('button', { type: 'submit', class: 'primary' }, t('assign.submit')), msg);

  const waiting = open.slice().sort((a, b) => new Date(a.due) - new Date(b.due));
  return h('div', { class: 'page wide-page' },
    h('h1', null, t('assign.title')),
    ctx.query.get('done') ? h('p', { class: 'ok-text', role: 'status' }, t('assign.done')) : null,
    form,
    h('section', { class: 'card' }, h('h2', null, t('assign.load_title')),
      h('table', { class: 'table compact', id: 'inspector-load' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('assign.inspector')), h('th', { scope: 'col' }, t('assign.open')))),
        h('tbody', null, inspectors.map((u) => h('tr', { dataset: { inspectorId: u.id } }, h('td', { translate: 'no' }, name(u)), h('td', null, String(load.get(u.id)))))))),
    h('section', { class: 'card' }, h('h2', null, t('assign.waiting'), ' ', h('span', { class: 'count' }, waiting.length)),
      h('p', { class: 'muted small-text' }, t('assign.waiting_help')),
      waiting.length ? h('table', { class: 'table compact stacks', id: 'open-inspections' },
        h('thead', null, h('tr', null, [t('assign.site'), t('assign.due'), t('assign.inspector'), ''].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, waiting.map((i) => openRow(ctx, i, siteName, inspectorOptions, inspectors, name)))) : h('p', { class: 'muted' }, t('assign.none_waiting'))));
}

/** localDate is a time's day on this device, as a date input reads it. */
function localDate(d) {
  const z = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
}

/** openRow is one open inspection: its due day can move; one not yet started can
 * also go to another inspector. Nothing changes until Save. */
function openRow(ctx, i, siteName, inspectorOptions, inspectors, name) {
  const was = new Date(i.due);
  const due = h('input', { type: 'date', id: `due-${i.id}`, value: localDate(was), required: true, 'aria-label': t('assign.due') });
  const who = i.status === 'assigned'
    ? h('select', { id: `re-${i.id}`, 'aria-label': t('assign.reassign_to') }, inspectorOptions(i.inspector_id))
    : h('span', { translate: 'no' }, name(inspectors.find((u) => u.id === i.inspector_id) || { username: '' }), ' ', h('span', { class: 'chip' }, t(`inspection.status.${i.status}`)));
  const status = h('span', { role: 'status', class: 'small-text' });
  const save = h('button', { type: 'button', class: 'small', id: `save-${i.id}`, onclick: async () => {
    replace(status);
    // The new day at the time of day it was due.
    const [y, m, d] = due.value.split('-').map(Number);
    const at = new Date(was);
    at.setFullYear(y, m - 1, d);
    const moves = [];
    if (who.tagName === 'SELECT' && Number(who.value) !== i.inspector_id) moves.push(['reassign', { inspector_id: Number(who.value) }]);
    if (due.value && due.value !== localDate(was)) moves.push(['reschedule', { due: at.toISOString() }]);
    if (!moves.length) { status.className = 'muted small-text'; replace(status, t('assign.nothing_changed')); return; }
    save.disabled = true;
    try {
      for (const [what, body] of moves) await api.post(`/api/v1/inspections/${i.id}/${what}`, body);
      ctx.navigate('/office/assign?done=1', { replace: true });
    } catch (ex) {
      status.className = 'form-error small-text';
      replace(status, apiErrorText(ex));
      save.disabled = false;
    }
  } }, t('assign.save'));
  // On a phone each row stacks, its cells labelled (app.css, .stacks).
  return h('tr', { dataset: { inspectionId: i.id } }, h('td', { 'data-label': t('assign.site') }, h('span', { translate: 'no' }, siteName.get(i.site_id) || '')),
    h('td', { 'data-label': t('assign.due') }, due), h('td', { 'data-label': t('assign.inspector') }, who), h('td', { 'data-label': '' }, save, ' ', status));
}
