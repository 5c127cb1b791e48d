// The safety office console: the review queue of AI flags, the hazard list with
// filters, possibly-major determinations and the KPI dashboard.

import { apiErrorText } from './errors.js';
import { h, replace, svg } from './dom.js';
import { api, items, pages, site, hasRoute } from './api.js';
import { t, tOr, text, checkCodes, dateTime, percent, number, dateOnly } from './i18n.js';
import { thumbURL, originalURL, flagScore, scoreMeaning, boxLabel } from './photos.js';
import { stateChip, severityChip, deadlineChip } from './hazard.js';
import { errorBox } from './main.js';

const REJECT_REASONS = ['flag.reject.not_object', 'flag.reject.not_indoor', 'flag.reject.not_blocking', 'flag.reject.bad_photo'];

/** photoWithBoxes shows the annotated copy, or the thumbnail with the boxes drawn over it. */
function photoWithBoxes(f) {
  const frame = h('div', { class: 'flag-photo' });
  const annotated = h('img', { src: `/api/v1/photos/${f.photo_id}/annotated`, alt: t('flag.photo_alt', { code: tOr(`flag.code.${f.code}`, t('flag.unknown_code')) }), loading: 'lazy' });
  annotated.addEventListener('error', async () => {
    // Not analysed (or no annotated copy): the thumbnail, with the flag's boxes on top.
    frame.dataset.fallback = 'thumb';
    const img = h('img', { src: thumbURL(f.photo_id), alt: t('flag.photo_alt', { code: tOr(`flag.code.${f.code}`, t('flag.unknown_code')) }) });
    replace(frame, img);
    if (!f.boxes?.length) return;
    try {
      const meta = await api.get(`/api/v1/photos/${f.photo_id}`);
      for (const b of f.boxes) {
        const label = boxLabel(b);
        const box = h('span', { class: 'box', title: label }, h('span', null, label));
        box.style.left = `${(100 * b.x1) / meta.width}%`;
        box.style.top = `${(100 * b.y1) / meta.height}%`;
        box.style.width = `${(100 * (b.x2 - b.x1)) / meta.width}%`;
        box.style.height = `${(100 * (b.y2 - b.y1)) / meta.height}%`;
        frame.appendChild(box);
      }
    } catch { /* the photo alone still helps */ }
  }, { once: true });
  frame.appendChild(h('a', { href: originalURL(f.photo_id), target: '_blank', rel: 'noopener' }, annotated));
  return frame;
}

/** flagReason says what the detector saw, in the user's language, from the
 * flag's boxes (never the server's English reason). */
export function flagReason(f) {
  if (f.manual) {
    // "added by the inspector: <what>: <the inspector's note>": the note is theirs.
    const note = (f.reason || '').split(': ').slice(2).join(': ');
    return h('p', { class: 'reason' }, t('flag.manual_reason'), note ? [' ', h('q', { translate: 'no' }, note)] : null);
  }
  if (!f.boxes?.length) return null;
  const seen = f.boxes.map(boxLabel).join(t('common.list_sep'));
  return h('p', { class: 'reason' }, t('flag.reason_boxes', { list: seen }));
}

function flagCard(f, onChange) {
  const card = h('article', { class: 'card flag', id: `flag-${f.id}`, dataset: { flagId: f.id, review: f.review } });
  const draw = async () => {
    const s = await site(f.site_id).catch(() => null);
    const err = h('p', { class: 'form-error', role: 'alert' });
    const body = [];
    if (f.review === 'pending') {
      const note = h('input', { id: `confirm-note-${f.id}`, placeholder: t('flag.confirm_note_ph') });
      const reason = h('textarea', { id: `reject-reason-${f.id}`, rows: 2, placeholder: t('flag.reject_reason_ph') });
      const confirmBtn = h('button', { type: 'button', class: 'primary', dataset: { action: 'confirm' } }, t('flag.confirm'));
      const rejectBtn = h('button', { type: 'button', class: 'danger', dataset: { action: 'reject' } }, t('flag.reject'));
      const send = async (action, payload, btn) => {
        btn.disabled = true;
        replace(err);
        try {
          const updated = await api.post(`/api/v1/flags/${f.id}/${action}`, payload);
          Object.assign(f, updated);
          card.dataset.review = f.review;
          await draw();
          onChange?.();
          focusAfterDecision(card);
        } catch (e) {
          replace(err, apiErrorText(e));
          btn.disabled = false;
        }
      };
      confirmBtn.addEventListener('click', () => send('confirm', { note: note.value.trim() }, confirmBtn));
      rejectBtn.addEventListener('click', () => {
        if (!reason.value.trim()) { replace(err, t('flag.reject_needs_reason')); reason.focus(); return; }
        send('reject', { reason: reason.value.trim() }, rejectBtn);
      });
      body.push(
        // The inspector already recorded this on the photo's item: confirming joins
        // that hazard (no second sighting).
        f.recorded_hazard_id ? h('p', { class: 'recorded', dataset: { hazardId: f.recorded_hazard_id } }, t('flag.recorded_before'), ' ',
          h('a', { href: `/hazards/${f.recorded_hazard_id}`, class: 'recorded-link' }, t('flag.hazard_link', { id: f.recorded_hazard_id })), t('flag.recorded_joins')) : null,
        h('div', { class: 'decide' },
          h('label', { for: `confirm-note-${f.id}` }, t('flag.confirm_note')), note,
          h('div', { class: 'row' }, confirmBtn),
          h('label', { for: `reject-reason-${f.id}` }, t('flag.reject_reason')),
          h('div', { class: 'row wrap quick' }, REJECT_REASONS.map((k) => h('button', { type: 'button', class: 'small', onclick: () => { reason.value = t(k); } }, t(k)))),
          reason,
          h('div', { class: 'row' }, rejectBtn)),
        err);
    } else {
      body.push(h('p', { class: f.review === 'confirmed' ? 'ok-text decided' : 'muted decided', role: 'status', tabindex: '-1' },
        t(`flag.review.${f.review}`),
        f.reviewed_at ? ` · ${dateTime(f.reviewed_at)}` : '',
        f.hazard_id ? [' · ', h('a', { href: `/hazards/${f.hazard_id}`, class: 'hazard-link' }, t('flag.hazard_link', { id: f.hazard_id }))] : null,
        f.reject_reason ? [' · ', h('q', { translate: 'no' }, f.reject_reason)] : null));
    }
    replace(card,
      photoWithBoxes(f),
      h('div', { class: 'flag-body' },
        h('h2', null, tOr(`flag.code.${f.code}`, t('flag.unknown_code'))),
        h('p', { class: 'row wrap' },
          h('span', { class: `chip ${f.status === 'flag' ? 'bad' : 'warn'}` }, t(`flag.status.${f.status}`)),
          f.manual ? h('span', { class: 'chip' }, t('flag.manual')) : h('span', { class: 'chip' }, t('flag.score', { s: flagScore(f) })),
          h('span', { class: 'muted' }, dateTime(f.created_at))),
        f.manual ? null : h('p', { class: 'score-meaning muted' }, scoreMeaning(f)),
        h('p', null, h('strong', { translate: s?.name ? 'no' : undefined }, s?.name || t('site.unknown', { id: f.site_id })), s ? [' · ', h('span', { translate: 'no' }, s.address)] : ''),
        h('p', { class: 'muted' }, t('flag.rule', { code: '' }), h('span', { translate: 'no' }, f.rule_code), f.model_name ? [' · ', t('flag.model', { name: '' }), h('span', { translate: 'no' }, f.model_name)] : ''),
        flagReason(f),
        body));
  };
  card.drawn = draw();
  return card;
}

/** focusAfterDecision moves the keyboard on to the next flag still pending after
 * card (its note), or else to card's result, so a decision never drops the focus
 * to the top of the page. */
function focusAfterDecision(card) {
  const next = [...document.querySelectorAll('article.flag[data-review=pending]')]
    .find((c) => card.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING);
  (next?.querySelector('input') || card.querySelector('.decided'))?.focus();
}

/** byPhoto groups the flags of one photo together, in the queue's order. */
function byPhoto(list) {
  const groups = new Map();
  for (const f of list) groups.set(f.photo_id, [...(groups.get(f.photo_id) || []), f]);
  return [...groups.values()];
}

export async function flagsView(ctx) {
  const review = ctx.query.get('review') || 'pending';
  const code = ctx.query.get('code') || '';
  const root = h('div', { class: 'page wide-page' });
  const statsEl = h('section', { class: 'stats' });
  const loadStats = async () => {
    try {
      const stats = items(await api.get('/api/v1/flags/stats'));
      replace(statsEl, stats.length ? h('table', { class: 'table compact' },
        h('caption', null, t('flag.stats_title')),
        h('thead', null, h('tr', null, ['flag.col.code', 'flag.col.pending', 'flag.col.confirmed', 'flag.col.rejected', 'flag.col.precision'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', null, stats.map((s) => h('tr', null,
          h('td', null, tOr(`flag.code.${s.code}`, t('flag.unknown_code'))), h('td', null, String(s.pending)), h('td', null, String(s.confirmed)), h('td', null, String(s.rejected)),
          h('td', null, s.precision?.value === null || s.precision?.value === undefined ? '—' : `${percent(s.precision.value)} (${s.precision.num}/${s.precision.den})`))))) : null);
    } catch { replace(statsEl); }
  };
  let list, next;
  try {
    const first = await api.get(`/api/v1/flags${api.qs({ review, code, limit: 50 })}`);
    list = items(first);
    next = first?.next;
  } catch (err) {
    if (err.status === 404 && !(await hasRoute('/api/v1/flags'))) {
      return h('div', { class: 'page' }, h('h1', null, t('flag.queue_title')), h('p', { class: 'empty', id: 'not-available' }, t('common.not_available_yet')));
    }
    throw err;
  }
  const tabs = h('nav', { class: 'tabs', 'aria-label': t('flag.filter_label') }, ['pending', 'confirmed', 'rejected', 'all'].map((r) =>
    h('a', { href: `/office/flags${api.qs({ review: r, code })}`, class: r === review ? 'active' : '', 'aria-current': r === review ? 'page' : undefined }, t(`flag.tab.${r}`))));
  const codeSel = h('select', { id: 'flag-code', onchange: () => ctx.navigate(`/office/flags${api.qs({ review, code: codeSel.value })}`) },
    h('option', { value: '' }, t('flag.all_codes')),
    checkCodes().map((c) => h('option', { value: c, selected: c === code }, tOr(`flag.code.${c}`, t('flag.unknown_code')))));
  loadStats();
  const groups = (flags) => byPhoto(flags).map((group) => (group.length > 1
    ? h('section', { class: 'photo-flags', dataset: { photoId: group[0].photo_id } }, h('h2', { class: 'group' }, t('flag.same_photo', { n: group.length })), group.map((f) => flagCard(f, loadStats)))
    : flagCard(group[0], loadStats)));
  const listEl = h('div', { class: 'flag-list', id: 'flag-list' }, groups(list));
  // The queue comes 50 flags at a time: the next ones on request, the keyboard
  // on the first of them.
  const moreErr = h('p', { class: 'form-error', role: 'alert' });
  const more = h('button', { type: 'button', id: 'flags-more', hidden: !next }, t('flag.more'));
  more.addEventListener('click', async () => {
    more.disabled = true;
    replace(moreErr);
    try {
      const page = await api.get(`/api/v1/flags${api.qs({ review, code, limit: 50, cursor: next })}`);
      const added = groups(items(page));
      listEl.append(...added);
      next = page?.next;
      more.hidden = !next;
      const firstNew = added[0]?.matches('article.flag') ? added[0] : added[0]?.querySelector('article.flag');
      await firstNew?.drawn;
      (firstNew?.querySelector('input') || firstNew?.querySelector('a, button'))?.focus();
    } catch (e) { replace(moreErr, apiErrorText(e)); }
    more.disabled = false;
  });
  replace(root,
    h('h1', null, t('flag.queue_title')),
    h('p', { class: 'muted' }, t('flag.queue_intro')),
    h('div', { class: 'toolbar' }, tabs, h('label', { for: 'flag-code', class: 'inline' }, t('flag.code_label'), ' ', codeSel)),
    list.length ? [listEl, h('div', { class: 'row' }, more), moreErr] : h('p', { class: 'empty', id: 'queue-empty' }, t(review === 'pending' ? 'flag.queue_empty' : 'flag.none')),
    statsEl);
  return root;
}

let unitsCache = null;
function units() {
  if (!unitsCache) unitsCache = api.get('/api/v1/units').then(items).catch((e) => { unitsCache = null; throw e; });
  return unitsCache;
}

function unitOptions(list, selected) {
  const depth = { district: 0, subdistrict: 1, community: 2, grid: 3 };
  const byParent = new Map();
  for (const u of list) { const k = u.parent_id || 0; if (!byParent.has(k)) byParent.set(k, []); byParent.get(k).push(u); }
  const ids = new Set(list.map((u) => u.id));
  const roots = list.filter((u) => !u.parent_id || !ids.has(u.parent_id));
  const out = [];
  const walk = (u) => {
    out.push(h('option', { value: u.id, translate: 'no', selected: String(u.id) === String(selected) }, `${'\u2003'.repeat(depth[u.level] ?? 0)}${u.name}${t('unit.level_suffix', { level: t(`level.${u.level}`) })}`));
    for (const c of byParent.get(u.id) || []) walk(c);
  };
  roots.forEach(walk);
  return out;
}

const STATES = ['open', 'returned', 'notified', 'rectification_submitted', 'reinspection_due', 'escalated', 'under_determination', 'closed_fixed', 'closed_on_spot', 'withdrawn'];
const OPEN = 'open,returned,notified,rectification_submitted,reinspection_due,escalated,under_determination';

const SORTS = {
  id: (x) => x.id,
  title: (x) => text(x.rule?.title) || x.rule_code,
  site: (x) => x.site_name,
  state: (x) => STATES.indexOf(x.state),
  severity: (x) => ['general', 'possibly_major', 'major'].indexOf(x.severity),
  level: (x) => ['grid', 'community', 'subdistrict', 'district'].indexOf(x.level),
  deadline: (x) => new Date(x.deadline).getTime(),
};
const COLUMNS = [['id', 'hazard.col.id'], ['title', 'hazard.col.title'], ['site', 'hazard.col.site'], ['state', 'hazard.col.state'], ['severity', 'hazard.col.severity'], ['level', 'hazard.col.level'], ['deadline', 'hazard.col.deadline']];

/** sortHazards orders a list by a column, "-" first for descending. */
function sortHazards(list, sort) {
  const desc = sort.startsWith('-');
  const key = SORTS[sort.replace(/^-/, '')] || SORTS.deadline;
  const cmp = (a, b) => { const x = key(a), y = key(b); return typeof x === 'string' ? x.localeCompare(y, 'zh-CN') : x - y; };
  return list.slice().sort((a, b) => (desc ? -cmp(a, b) : cmp(a, b)));
}

function hazardTable(list, { sort, sortHref } = {}) {
  const th = ([key, label]) => {
    if (!sortHref) return h('th', { scope: 'col' }, t(label));
    const cur = sort.replace(/^-/, '') === key ? (sort.startsWith('-') ? 'descending' : 'ascending') : undefined;
    const next = cur === 'ascending' ? `-${key}` : key;
    return h('th', { scope: 'col', 'aria-sort': cur || 'none' },
      h('a', { href: sortHref(next), class: 'sort', dataset: { sort: key } }, t(label), h('span', { 'aria-hidden': 'true' }, cur === 'ascending' ? ' ▲' : cur === 'descending' ? ' ▼' : '')));
  };
  return h('table', { class: 'table hazards', id: 'hazard-table' },
    h('thead', null, h('tr', null, COLUMNS.map(th))),
    h('tbody', null, list.map((hz) => h('tr', { dataset: { hazardId: hz.id } },
      h('td', { 'data-label': t('hazard.col.id') }, h('a', { href: `/hazards/${hz.id}` }, `#${hz.id}`)),
      h('td', { 'data-label': t('hazard.col.title') }, h('a', { href: `/hazards/${hz.id}` }, text(hz.rule?.title) || hz.rule_code)),
      h('td', { 'data-label': t('hazard.col.site') }, h('span', { translate: 'no' }, hz.site_name), h('br'), h('span', { class: 'muted small-text', translate: 'no' }, hz.site_address)),
      h('td', { 'data-label': t('hazard.col.state') }, stateChip(hz.state)),
      h('td', { 'data-label': t('hazard.col.severity') }, severityChip(hz.severity)),
      h('td', { 'data-label': t('hazard.col.level') }, t(`level.${hz.level}`)),
      h('td', { 'data-label': t('hazard.col.deadline') }, dateTime(hz.deadline), ' ', deadlineChip(hz))))));
}

/** LAST_LIST keeps, for this tab, the address of the office's list a hazard was
 * opened from (its filters, search and sort), where the hazard page's back goes. */
const LAST_LIST = 'safegrid.office-list';
function rememberList() { try { sessionStorage.setItem(LAST_LIST, location.pathname + location.search); } catch { /* back goes to the list's default */ } }
/** officeListHref is the address of the office list last shown in this tab. */
export function officeListHref() { try { return sessionStorage.getItem(LAST_LIST) || '/office/hazards'; } catch { return '/office/hazards'; } }

const SAVED_FILTERS = 'safegrid.saved-filters';
/** HAZARD_LIST_MAX is the most hazards the list shows; the exports hold them all. */
const HAZARD_LIST_MAX = 5000;
function savedFilters() { try { return JSON.parse(localStorage.getItem(SAVED_FILTERS) || '[]'); } catch { return []; } }

/** exportLinks are the CSV and Excel download buttons of a screen: href has
 * {format} where the file's extension goes; the session cookie goes along.
 * The buttons' ids are {prefix}-csv and {prefix}-xlsx. */
function exportLinks(what, href, help, prefix = `${what}-export`) {
  return h('span', { class: 'row wrap exports', id: `${what}-exports` },
    ['csv', 'xlsx'].map((format) => h('a', {
      href: href.replace('{format}', format), download: '', class: 'button-link', id: `${prefix}-${format}`, title: help,
    }, t('filter.export'), ' ', h('span', { translate: 'no' }, format === 'csv' ? 'CSV' : 'Excel'))));
}

export async function hazardsView(ctx) {
  const q = ctx.query;
  // state=all in the address is every state: the API is asked without a state.
  const f = { unit_id: q.get('unit_id') || '', state: q.get('state') ?? OPEN, severity: q.get('severity') || '', overdue: q.get('overdue') === 'true' };
  const search = q.get('q') || '';
  const sort = q.get('sort') || 'deadline';
  rememberList();
  // The server searches (site, address, rule, number), so the search reaches past
  // the first page and the exports take it too.
  const apiFilter = { ...f, state: f.state === 'all' ? '' : f.state, q: search };
  // Every page of the list (the server pages by 500), so the count and the sort
  // are of every hazard selected; past HAZARD_LIST_MAX the list says it is cut.
  const [unitList, { list: all, more }] = await Promise.all([units().catch(() => []), pages('/api/v1/hazards', { ...apiFilter, limit: 500 }, HAZARD_LIST_MAX)]);
  const list = sortHazards(all, sort);
  const here = (over) => `/office/hazards${api.qs({ ...Object.fromEntries(q), ...over })}`;
  const unitSel = h('select', { id: 'f-unit', name: 'unit_id' }, h('option', { value: '' }, t('filter.all_units')), unitOptions(unitList, f.unit_id));
  const stateSel = h('select', { id: 'f-state', name: 'state' },
    h('option', { value: OPEN, selected: f.state === OPEN }, t('filter.open_states')),
    h('option', { value: 'all', selected: f.state === 'all' || f.state === '' }, t('filter.all_states')),
    STATES.map((s) => h('option', { value: s, selected: f.state === s }, t(`hazard.state.${s}`))));
  const sevSel = h('select', { id: 'f-severity', name: 'severity' }, h('option', { value: '' }, t('filter.all_severities')),
    ['general', 'possibly_major', 'major'].map((s) => h('option', { value: s, selected: f.severity === s }, t(`severity.${s}`))));
  const overdue = h('input', { type: 'checkbox', id: 'f-overdue', name: 'overdue', checked: f.overdue });
  const qIn = h('input', { type: 'search', id: 'f-q', name: 'q', value: search, placeholder: t('filter.search_ph') });
  const form = h('form', { class: 'filters card', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    ctx.navigate(`/office/hazards${api.qs({ q: qIn.value.trim(), unit_id: unitSel.value, state: stateSel.value || 'all', severity: sevSel.value, overdue: overdue.checked ? 'true' : '', sort })}`);
  } },
  h('div', { class: 'field grow' }, h('label', { for: 'f-q' }, t('filter.search')), qIn),
  h('div', { class: 'field' }, h('label', { for: 'f-unit' }, t('filter.unit')), unitSel),
  h('div', { class: 'field' }, h('label', { for: 'f-state' }, t('filter.state')), stateSel),
  h('div', { class: 'field' }, h('label', { for: 'f-severity' }, t('filter.severity')), sevSel),
  h('div', { class: 'field check' }, overdue, h('label', { for: 'f-overdue' }, t('filter.overdue'))),
  h('button', { type: 'submit', class: 'primary' }, t('filter.apply')));

  // Saved filters: a name for the address of this list, kept on this computer.
  const saved = savedFilters();
  const nameIn = h('input', { id: 'filter-name', placeholder: t('filter.save_name_ph') });
  const savedEl = h('div', { class: 'row wrap saved-filters', id: 'saved-filters' },
    h('span', { class: 'muted' }, t('filter.saved')),
    saved.length ? saved.map((s, i) => h('span', { class: 'chip' },
      h('a', { href: s.href, translate: 'no' }, s.name),
      h('button', { type: 'button', class: 'link small', 'aria-label': t('filter.delete_saved', { name: s.name }), onclick: () => {
        localStorage.setItem(SAVED_FILTERS, JSON.stringify(saved.filter((_, j) => j !== i)));
        ctx.navigate(location.pathname + location.search, { replace: true });
      } }, '×'))) : h('span', { class: 'muted' }, t('filter.none_saved')),
    h('label', { for: 'filter-name', class: 'visually-hidden' }, t('filter.save_name')), nameIn,
    h('button', { type: 'button', class: 'small', id: 'save-filter', onclick: () => {
      const name = nameIn.value.trim();
      if (!name) { nameIn.focus(); return; }
      localStorage.setItem(SAVED_FILTERS, JSON.stringify([...saved.filter((s) => s.name !== name), { name, href: location.pathname + location.search }]));
      ctx.navigate(location.pathname + location.search, { replace: true });
    } }, t('filter.save')));
  // Exports: the server's files of every hazard the filters and search select.
  return h('div', { class: 'page wide-page' },
    h('h1', null, t('hazard.list_title')),
    form,
    savedEl,
    h('div', { class: 'row wrap' }, h('p', { class: more ? 'warn-text' : 'muted', role: 'status', id: 'hazard-count', dataset: { more: String(more) } },
      t(more ? 'hazard.count_more' : 'hazard.count', { n: list.length })),
      exportLinks('hazard', `/api/v1/hazards/export.{format}${api.qs(apiFilter)}`, t('filter.export_help'), 'export')),
    list.length ? hazardTable(list, { sort, sortHref: (s) => here({ sort: s }) }) : h('p', { class: 'empty' }, t('hazard.none')));
}

export async function determinationsView() {
  rememberList();
  const [possible, under] = await Promise.all([
    pages('/api/v1/hazards', { severity: 'possibly_major', state: 'open,notified,reinspection_due,escalated', limit: 500 }, HAZARD_LIST_MAX).then((r) => r.list),
    pages('/api/v1/hazards', { state: 'under_determination', limit: 500 }, HAZARD_LIST_MAX).then((r) => r.list),
  ]);
  return h('div', { class: 'page wide-page' },
    h('h1', null, t('det.title')),
    h('p', { class: 'muted' }, t('det.intro')),
    h('h2', null, t('det.under'), ' ', h('span', { class: 'count' }, under.length)),
    under.length ? hazardTable(under) : h('p', { class: 'empty' }, t('det.none_under')),
    h('h2', null, t('det.possible'), ' ', h('span', { class: 'count' }, possible.length)),
    possible.length ? hazardTable(possible) : h('p', { class: 'empty' }, t('det.none_possible')));
}

function isoDay(d) {
  const x = new Date(d);
  return `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, '0')}-${String(x.getDate()).padStart(2, '0')}`;
}

/** dayAfter returns the YYYY-MM-DD day after the given one. */
function dayAfter(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return isoDay(new Date(y, m - 1, d + 1));
}

/** kpiFigures reads the KPI answer in the agreed shape (and the domain's field names). */
function kpiFigures(k) {
  const rate = (r) => (r && typeof r === 'object' ? r : { num: 0, den: 0, value: null });
  return {
    volume: k.volume ?? 0,
    completion: rate(k.completion),
    on_time: rate(k.on_time),
    satisfaction: rate(k.satisfaction?.share_4_plus ?? k.satisfaction),
    average: k.satisfaction?.average ?? k.average_rating ?? null,
    returned: rate(k.returned ?? k.return_rate),
  };
}

function rateBars(rows) {
  // rows: [{label, value (0..1 or null), detail}]
  const width = 560, rowH = 34, left = 150, barW = width - left - 90;
  const s = svg('svg', { viewBox: `0 0 ${width} ${rows.length * rowH + 10}`, class: 'chart', role: 'img', 'aria-label': t('kpi.chart_label') });
  rows.forEach((r, i) => {
    const y = i * rowH + 5;
    s.appendChild(svg('text', { x: left - 8, y: y + 20, 'text-anchor': 'end', class: 'chart-label', ...(r.proper ? { translate: 'no' } : {}) }, r.label));
    s.appendChild(svg('rect', { x: left, y: y + 6, width: barW, height: 18, class: 'chart-track', rx: 3 }));
    if (r.value !== null && r.value !== undefined) {
      s.appendChild(svg('rect', { x: left, y: y + 6, width: Math.max(0, Math.min(1, r.value)) * barW, height: 18, class: `chart-bar ${r.cls || ''}`, rx: 3 }));
    }
    s.appendChild(svg('text', { x: left + barW + 8, y: y + 20, class: 'chart-value' }, r.value === null || r.value === undefined ? '—' : percent(r.value)));
  });
  return s;
}

export async function kpiView(ctx) {
  const q = ctx.query;
  const now = new Date();
  const from = q.get('from') || isoDay(new Date(now.getFullYear(), now.getMonth(), 1));
  const to = q.get('to') || isoDay(now);
  const unitList = await units().catch(() => []);
  const unit = q.get('unit') || (unitList[0]?.id ?? '');
  const unitSel = h('select', { id: 'k-unit' }, unitOptions(unitList, unit));
  const fromIn = h('input', { type: 'date', id: 'k-from', value: from });
  const toIn = h('input', { type: 'date', id: 'k-to', value: to });
  const form = h('form', { class: 'filters card', onsubmit: (e) => {
    e.preventDefault();
    ctx.navigate(`/office/kpi${api.qs({ unit: unitSel.value, from: fromIn.value, to: toIn.value })}`);
  } },
  h('div', { class: 'field' }, h('label', { for: 'k-unit' }, t('filter.unit')), unitSel),
  h('div', { class: 'field' }, h('label', { for: 'k-from' }, t('kpi.from')), fromIn),
  h('div', { class: 'field' }, h('label', { for: 'k-to' }, t('kpi.to')), toIn),
  h('button', { type: 'submit', class: 'primary' }, t('filter.apply')));
  const body = h('div', { class: 'kpi-body', id: 'kpi-body' });
  // The date picker's end day is inclusive; the API's period ends before its 'to'.
  const period = (u) => api.qs({ unit: u, from, to: dayAfter(to) });
  const root = h('div', { class: 'page wide-page' }, h('h1', null, t('kpi.title')), h('p', { class: 'muted' }, t('kpi.intro')), form,
    unit ? exportLinks('kpi', `/api/v1/kpi/export.{format}${period(unit)}`, t('kpi.export_help')) : null, body);

  const fetchKPI = (u) => api.get(`/api/v1/kpi${period(u)}`);
  let k;
  try {
    k = kpiFigures(await fetchKPI(unit));
  } catch (err) {
    if (err.status === 404 && !(await hasRoute('/api/v1/kpi'))) {
      replace(body, h('section', { class: 'card empty', id: 'kpi-unavailable', role: 'status' },
        h('h2', null, t('kpi.unavailable_title')), h('p', null, t('kpi.unavailable_body'))));
      return root;
    }
    replace(body, errorBox(err, () => ctx.navigate(location.pathname + location.search, { replace: true })));
    return root;
  }
  // Each tile says what it counts, of what (the domain's definitions, inspect/kpi.go).
  const tile = (key, main, sub, cls = '') => h('div', { class: `kpi card ${cls}`, dataset: { kpi: key } },
    h('div', { class: 'kpi-label' }, t(`kpi.${key}`)), h('div', { class: 'kpi-value' }, main), h('div', { class: 'muted' }, sub),
    h('p', { class: 'kpi-help small-text muted' }, t(`kpi.help.${key}`)));
  const rateTile = (key, r) => tile(key, r.value === null ? '—' : percent(r.value), r.den ? t('kpi.of', { num: number(r.num), den: number(r.den) }) : t('kpi.no_data'));
  const children = unitList.filter((u) => String(u.parent_id) === String(unit));
  const compare = h('section', { class: 'card' }, h('h2', null, t('kpi.by_unit')), h('p', { class: 'muted' }, t('common.loading')));
  const trend = h('section', { class: 'card', id: 'kpi-trend' }, h('h2', null, t('kpi.trend')), h('p', { class: 'muted' }, t('common.loading')));
  const byInspector = h('section', { class: 'card', id: 'kpi-inspectors' }, h('h2', null, t('kpi.by_inspector')), h('p', { class: 'muted' }, t('common.loading')));
  replace(body,
    h('div', { class: 'kpi-grid' },
      tile('volume', number(k.volume), t('kpi.period', { from: dateOnly(from), to: dateOnly(to) })),
      rateTile('completion', k.completion),
      rateTile('on_time', k.on_time),
      tile('satisfaction', k.satisfaction.value === null ? '—' : percent(k.satisfaction.value), k.average ? t('kpi.average', { a: number(k.average, 1) }) : t('kpi.no_data')),
      rateTile('returned', k.returned)),
    h('section', { class: 'card' }, h('h2', null, t('kpi.rates')), rateBars([
      { label: t('kpi.completion'), value: k.completion.value },
      { label: t('kpi.on_time'), value: k.on_time.value },
      { label: t('kpi.satisfaction'), value: k.satisfaction.value },
      { label: t('kpi.returned'), value: k.returned.value, cls: 'inverse' },
    ])),
    children.length ? compare : null,
    trend, byInspector);
  // Per responsible inspector: the same figures over the same period.
  (async () => {
    const pct = (r) => (r.value === null ? '—' : percent(r.value));
    try {
      const rows = items(await api.get(`/api/v1/kpi/inspectors${period(unit)}`));
      replace(byInspector, h('h2', null, t('kpi.by_inspector')),
        rows.length ? h('table', { class: 'table compact' },
          h('thead', null, h('tr', null, ['kpi.inspector', 'kpi.volume', 'kpi.completion', 'kpi.on_time', 'kpi.returned'].map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', null, rows.map((r) => h('tr', { dataset: { inspectorId: r.inspector_id } },
            h('td', { translate: 'no' }, r.name || t('event.someone')), h('td', null, number(r.volume)),
            h('td', null, pct(r.completion)), h('td', null, pct(r.on_time)), h('td', null, pct(r.returned)))))) : h('p', { class: 'muted' }, t('kpi.no_data')));
    } catch (err) { replace(byInspector, h('h2', null, t('kpi.by_inspector')), h('p', { class: 'form-error' }, apiErrorText(err))); }
  })();
  // Trend: the last six months, one fetch each, drawn as bars of completion and on-time.
  (async () => {
    const months = [];
    for (let i = 5; i >= 0; i--) {
      const start = new Date(now.getFullYear(), now.getMonth() - i, 1);
      const end = new Date(now.getFullYear(), now.getMonth() - i + 1, 1);
      months.push({ label: `${start.getFullYear()}-${String(start.getMonth() + 1).padStart(2, '0')}`, from: isoDay(start), to: isoDay(end) });
    }
    const rows = await Promise.all(months.map(async (m) => {
      try {
        const c = kpiFigures(await api.get(`/api/v1/kpi${api.qs({ unit, from: m.from, to: m.to })}`));
        return { label: m.label, value: c.completion.value, volume: c.volume };
      } catch { return { label: m.label, value: null, volume: 0 }; }
    }));
    replace(trend, h('h2', null, t('kpi.trend')), h('p', { class: 'muted' }, t('kpi.trend_help')), rateBars(rows),
      h('p', { class: 'muted small-text', id: 'kpi-trend-volumes' }, rows.map((r) => t('kpi.trend_volume', { month: r.label, n: r.volume })).join(t('common.list_sep'))));
  })();
  if (children.length) {
    const rows = await Promise.all(children.slice(0, 12).map(async (u) => {
      try { const c = kpiFigures(await fetchKPI(u.id)); return { label: u.name, proper: true, value: c.completion.value }; } catch { return { label: u.name, proper: true, value: null }; }
    }));
    replace(compare, h('h2', null, t('kpi.by_unit_completion')), rateBars(rows));
  }
  return root;
}
