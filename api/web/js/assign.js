// Assigning inspections: each inspector's load (open inspections, by due day), a
// form to give a site to an inspector with a due date, and the open inspections
// that have not started, which can go to another inspector.

import { h, replace } from './dom.js';
import { api, items } from './api.js';
import { t, dateTime } from './i18n.js';
import { apiErrorText } from './errors.js';

const OPEN = ['assigned', 'in_progress', 'returned'];

export async function assignView(ctx) {
  const [users, sites, inspections] = await Promise.all([
    api.get('/api/v1/users').then(items),
    api.get('/api/v1/sites?limit=500').then(items),
    api.get('/api/v1/inspections?limit=500').then(items),
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

  const waiting = open.filter((i) => i.status === 'assigned').sort((a, b) => new Date(a.due) - new Date(b.due));
  return h('div', { class: 'page wide-page' },
    h('h1', null, t('assign.title')),
    ctx.query.get('done') ? h('p', { class: 'ok-text', role: 'status' }, t('assign.done')) : null,
    form,
    h('section', { class: 'card' }, h('h2', null, t('assign.load_title')),
      h('table', { class: 'table compact', id: 'inspector-load' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('assign.inspector')), h('th', { scope: 'col' }, t('assign.open')))),
        h('tbody', null, inspectors.map((u) => h('tr', { dataset: { inspectorId: u.id } }, h('td', { translate: 'no' }, name(u)), h('td', null, String(load.get(u.id)))))))),
    h('section', { class: 'card' }, h('h2', null, t('assign.waiting'), ' ', h('span', { class: 'count' }, waiting.length)),
      waiting.length ? h('table', { class: 'table compact' },
        h('thead', null, h('tr', null, [t('assign.site'), t('assign.due'), t('assign.inspector')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, waiting.map((i) => {
          const sel = h('select', { id: `re-${i.id}`, 'aria-label': t('assign.reassign_to'), onchange: async () => {
            try { await api.post(`/api/v1/inspections/${i.id}/reassign`, { inspector_id: Number(sel.value) }); ctx.navigate('/office/assign?done=1', { replace: true }); } catch (ex) { alert(apiErrorText(ex)); }
          } }, inspectorOptions(i.inspector_id));
          return h('tr', null, h('td', { translate: 'no' }, siteName.get(i.site_id) || ''), h('td', null, dateTime(i.due)), h('td', null, sel));
        }))) : h('p', { class: 'muted' }, t('assign.none_waiting'))));
}
