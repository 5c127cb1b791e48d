// The agencies' screens (多方协作): the gas company, the power company, the police
// station see the hazards shared with them, record what they did (one of their
// field's actions) and comment. Nothing else of SafeGrid is theirs to see.

import { h, replace } from './dom.js';
import { api, items } from './api.js';
import { t, text, dateTime } from './i18n.js';
import { stateChip, deadlineChip, eventItem, hazardPeople } from './hazard.js';
import { apiErrorText } from './errors.js';

async function ownAgency() {
  const list = items(await api.get('/api/v1/agencies'));
  return list[0] || null;
}

export async function homeView() {
  const [agency, list] = await Promise.all([ownAgency(), api.get('/api/v1/hazards').then(items)]);
  const card = (hz) => h('li', null, h('a', { href: `/agency/hazards/${hz.id}`, class: 'card task', dataset: { hazardId: hz.id } },
    h('span', { class: 'task-title' }, text(hz.rule?.title) || hz.rule_code),
    h('span', { class: 'muted', translate: 'no' }, `${hz.site_name} · ${hz.site_address}`),
    h('span', { class: 'row wrap' }, stateChip(hz.state), deadlineChip(hz))));
  return h('div', { class: 'page' },
    h('h1', null, agency ? h('span', { translate: 'no' }, agency.name) : t('agency.title')),
    agency ? h('p', { class: 'muted' }, t('agency.field', { field: text(agency.field_title) })) : null,
    h('section', null, h('h2', null, t('agency.shared'), ' ', h('span', { class: 'count' }, list.length)),
      list.length ? h('ul', { class: 'tasks', id: 'agency-hazards' }, list.map(card)) : h('p', { class: 'empty' }, t('agency.none'))));
}

export async function hazardView(ctx) {
  const id = Number(ctx.params.id);
  const [agency, hz, names] = await Promise.all([ownAgency(), api.get(`/api/v1/hazards/${id}`), hazardPeople(id)]);
  const page = h('div', { class: 'page' });
  const titles = new Map((agency?.actions || []).map((a) => [a.name, text(a.title)]));
  // The hazard's people by name (the caller's own actions, recorded on this page,
  // too), and whom to call: the responsible inspector.
  if (!names.has(ctx.user.id)) names.set(ctx.user.id, ctx.user.display_name || ctx.user.username);
  const who = names.responsible;
  const draw = (d) => replace(page,
    h('p', null, h('a', { href: '/agency' }, t('agency.back'))),
    h('h1', null, text(d.rule?.title) || d.rule_code),
    h('p', { class: 'muted', translate: 'no' }, `${d.site_name} · ${d.site_address}`),
    h('p', { class: 'row wrap' }, stateChip(d.state), deadlineChip(d), h('span', { class: 'muted' }, t('agency.found_at', { at: dateTime(d.created_at) }))),
    who ? h('p', { id: 'agency-contact' }, t('agency.contact'), ' ', h('span', { translate: 'no' }, who.display_name),
      who.phone ? [' · ', h('a', { href: `tel:${who.phone}`, translate: 'no' }, who.phone)] : null) : null,
    agency ? actionForm(agency, d, draw) : null,
    commentForm(d, draw),
    h('section', null, h('h2', null, t('agency.history')),
      h('ol', { class: 'events' }, d.events.map((ev) => eventItem(ev, names, titles)))));
  draw(hz);
  return page;
}

function actionForm(agency, hz, done) {
  const sel = h('select', { id: 'agency-action', required: true },
    h('option', { value: '' }, t('agency.choose_action')),
    agency.actions.map((a) => h('option', { value: a.name }, text(a.title))));
  const note = h('textarea', { id: 'agency-action-note', rows: 2 });
  return submitForm('agency-action-form', t('agency.record'), [h('label', { for: 'agency-action' }, t('agency.action')), sel,
    h('label', { for: 'agency-action-note' }, t('agency.note')), note],
  () => api.post(`/api/v1/hazards/${hz.id}/agency-actions`, { action: sel.value, note: note.value.trim() }), done);
}

function commentForm(hz, done) {
  const note = h('textarea', { id: 'agency-comment', rows: 2, required: true });
  return submitForm('agency-comment-form', t('agency.comment'), [h('label', { for: 'agency-comment' }, t('agency.comment_label')), note],
    () => api.post(`/api/v1/hazards/${hz.id}/comments`, { note: note.value.trim() }), done);
}

function submitForm(id, label, fields, send, done) {
  const err = h('p', { class: 'form-error', role: 'alert' });
  const btn = h('button', { type: 'submit', class: 'primary' }, label);
  const form = h('form', { class: 'card', id }, fields, err, btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(err);
    btn.disabled = true;
    try {
      done(await send());
    } catch (ex) {
      replace(err, apiErrorText(ex));
      btn.disabled = false;
    }
  });
  return form;
}
