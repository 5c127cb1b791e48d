// The safety office console: the review queue of AI flags, the hazard list with
// filters, possibly-major determinations and the KPI dashboard.

import { h, replace, svg } from './dom.js';
import { api, items, site, hasRoute } from './api.js';
import { t, tOr, text, checkCodes, dateTime, percent, number, dateOnly } from './i18n.js';
import { thumbURL, originalURL } from './photos.js';
import { stateChip, severityChip, deadlineChip } from './hazard.js';
import { errorBox } from './main.js';

const REJECT_REASONS = ['flag.reject.not_object', 'flag.reject.not_indoor', 'flag.reject.not_blocking', 'flag.reject.bad_photo'];

/** photoWithBoxes shows the annotated copy, or the thumbnail with the boxes drawn over it. */
function photoWithBoxes(f) {
  const frame = h('div', { class: 'flag-photo' });
  const annotated = h('img', { src: `/api/v1/photos/${f.photo_id}/annotated`, alt: t('flag.photo_alt', { code: tOr(`flag.code.${f.code}`, f.code) }), loading: 'lazy' });
  annotated.addEventListener('error', async () => {
    // Not analysed (or no annotated copy): the thumbnail, with the flag's boxes on top.
    frame.dataset.fallback = 'thumb';
    const img = h('img', { src: thumbURL(f.photo_id), alt: t('flag.photo_alt', { code: tOr(`flag.code.${f.code}`, f.code) }) });
    replace(frame, img);
    if (!f.boxes?.length) return;
    try {
      const meta = await api.get(`/api/v1/photos/${f.photo_id}`);
      for (const b of f.boxes) {
        const box = h('span', { class: 'box', title: `${b.class} ${percent(b.score)}` }, h('span', null, `${b.class} ${percent(b.score)}`));
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
          draw();
          onChange?.();
        } catch (e) {
          replace(err, e.network ? t('error.network') : e.message);
          btn.disabled = false;
        }
      };
      confirmBtn.addEventListener('click', () => send('confirm', { note: note.value.trim() }, confirmBtn));
      rejectBtn.addEventListener('click', () => {
        if (!reason.value.trim()) { replace(err, t('flag.reject_needs_reason')); reason.focus(); return; }
        send('reject', { reason: reason.value.trim() }, rejectBtn);
      });
      body.push(
        h('div', { class: 'decide' },
          h('label', { for: `confirm-note-${f.id}` }, t('flag.confirm_note')), note,
          h('div', { class: 'row' }, confirmBtn),
          h('label', { for: `reject-reason-${f.id}` }, t('flag.reject_reason')),
          h('div', { class: 'row wrap quick' }, REJECT_REASONS.map((k) => h('button', { type: 'button', class: 'small', onclick: () => { reason.value = t(k); } }, t(k)))),
          reason,
          h('div', { class: 'row' }, rejectBtn)),
        err);
    } else {
      body.push(h('p', { class: f.review === 'confirmed' ? 'ok-text' : 'muted', role: 'status' },
        t(`flag.review.${f.review}`),
        f.reviewed_at ? ` · ${dateTime(f.reviewed_at)}` : '',
        f.hazard_id ? [' · ', h('a', { href: `/hazards/${f.hazard_id}`, class: 'hazard-link' }, t('flag.hazard_link', { id: f.hazard_id }))] : null,
        f.reject_reason ? [' · ', h('q', null, f.reject_reason)] : null));
    }
    replace(card,
      photoWithBoxes(f),
      h('div', { class: 'flag-body' },
        h('h2', null, tOr(`flag.code.${f.code}`, f.code)),
        h('p', { class: 'row wrap' },
          h('span', { class: `chip ${f.status === 'flag' ? 'bad' : 'warn'}` }, t(`flag.status.${f.status}`)),
          f.manual ? h('span', { class: 'chip' }, t('flag.manual')) : h('span', { class: 'chip' }, t('flag.score', { p: percent(f.score) })),
          h('span', { class: 'muted' }, dateTime(f.created_at))),
        h('p', null, h('strong', null, s?.name || t('site.unknown', { id: f.site_id })), s ? ` · ${s.address}` : ''),
        h('p', { class: 'muted' }, t('flag.rule', { code: f.rule_code }), f.model_name ? ` · ${t('flag.model', { name: f.model_name })}` : ''),
        f.reason ? h('p', { class: 'reason' }, f.reason) : null,
        body));
  };
  draw();
  return card;
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
          h('td', null, tOr(`flag.code.${s.code}`, s.code)), h('td', null, String(s.pending)), h('td', null, String(s.confirmed)), h('td', null, String(s.rejected)),
          h('td', null, s.precision?.value === null || s.precision?.value === undefined ? '—' : `${percent(s.precision.value)} (${s.precision.num}/${s.precision.den})`))))) : null);
    } catch { replace(statsEl); }
  };
  let list;
  try {
    list = items(await api.get(`/api/v1/flags${api.qs({ review, code, limit: 50 })}`));
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
    checkCodes().map((c) => h('option', { value: c, selected: c === code }, tOr(`flag.code.${c}`, c))));
  loadStats();
  replace(root,
    h('h1', null, t('flag.queue_title')),
    h('p', { class: 'muted' }, t('flag.queue_intro')),
    h('div', { class: 'toolbar' }, tabs, h('label', { for: 'flag-code', class: 'inline' }, t('flag.code_label'), ' ', codeSel)),
    list.length ? h('div', { class: 'flag-list', id: 'flag-list' }, list.map((f) => flagCard(f, loadStats))) : h('p', { class: 'empty', id: 'queue-empty' }, t(review === 'pending' ? 'flag.queue_empty' : 'flag.none')),
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
    out.push(h('option', { value: u.id, selected: String(u.id) === String(selected) }, `${'\u2003'.repeat(depth[u.level] ?? 0)}${u.name}（${t(`level.${u.level}`)}）`));
    for (const c of byParent.get(u.id) || []) walk(c);
  };
  roots.forEach(walk);
  return out;
}

const STATES = ['open', 'returned', 'notified', 'rectification_submitted', 'reinspection_due', 'escalated', 'under_determination', 'closed_fixed', 'closed_on_spot', 'withdrawn'];
const OPEN = 'open,returned,notified,rectification_submitted,reinspection_due,escalated,under_determination';

function hazardTable(list) {
  return h('table', { class: 'table hazards', id: 'hazard-table' },
    h('thead', null, h('tr', null, ['hazard.col.id', 'hazard.col.title', 'hazard.col.site', 'hazard.col.state', 'hazard.col.severity', 'hazard.col.level', 'hazard.col.deadline'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, list.map((hz) => h('tr', { dataset: { hazardId: hz.id } },
      h('td', { 'data-label': t('hazard.col.id') }, h('a', { href: `/hazards/${hz.id}` }, `#${hz.id}`)),
      h('td', { 'data-label': t('hazard.col.title') }, h('a', { href: `/hazards/${hz.id}` }, text(hz.rule?.title) || hz.rule_code)),
      h('td', { 'data-label': t('hazard.col.site') }, hz.site_name),
      h('td', { 'data-label': t('hazard.col.state') }, stateChip(hz.state)),
      h('td', { 'data-label': t('hazard.col.severity') }, severityChip(hz.severity)),
      h('td', { 'data-label': t('hazard.col.level') }, t(`level.${hz.level}`)),
      h('td', { 'data-label': t('hazard.col.deadline') }, dateTime(hz.deadline), ' ', deadlineChip(hz))))));
}

export async function hazardsView(ctx) {
  const q = ctx.query;
  const f = { unit_id: q.get('unit_id') || '', state: q.get('state') ?? OPEN, severity: q.get('severity') || '', overdue: q.get('overdue') === 'true' };
  const [unitList, list] = await Promise.all([units().catch(() => []), api.get(`/api/v1/hazards${api.qs({ ...f, limit: 100 })}`).then(items)]);
  const unitSel = h('select', { id: 'f-unit', name: 'unit_id' }, h('option', { value: '' }, t('filter.all_units')), unitOptions(unitList, f.unit_id));
  const stateSel = h('select', { id: 'f-state', name: 'state' },
    h('option', { value: OPEN, selected: f.state === OPEN }, t('filter.open_states')),
    h('option', { value: '', selected: f.state === '' }, t('filter.all_states')),
    STATES.map((s) => h('option', { value: s, selected: f.state === s }, t(`hazard.state.${s}`))));
  const sevSel = h('select', { id: 'f-severity', name: 'severity' }, h('option', { value: '' }, t('filter.all_severities')),
    ['general', 'possibly_major', 'major'].map((s) => h('option', { value: s, selected: f.severity === s }, t(`severity.${s}`))));
  const overdue = h('input', { type: 'checkbox', id: 'f-overdue', name: 'overdue', checked: f.overdue });
  const form = h('form', { class: 'filters card', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    ctx.navigate(`/office/hazards${api.qs({ unit_id: unitSel.value, state: stateSel.value || 'all', severity: sevSel.value, overdue: overdue.checked ? 'true' : '' })}`);
  } },
  h('div', { class: 'field' }, h('label', { for: 'f-unit' }, t('filter.unit')), unitSel),
  h('div', { class: 'field' }, h('label', { for: 'f-state' }, t('filter.state')), stateSel),
  h('div', { class: 'field' }, h('label', { for: 'f-severity' }, t('filter.severity')), sevSel),
  h('div', { class: 'field check' }, overdue, h('label', { for: 'f-overdue' }, t('filter.overdue'))),
  h('button', { type: 'submit', class: 'primary' }, t('filter.apply')));
  return h('div', { class: 'page wide-page' },
    h('h1', null, t('hazard.list_title')),
    form,
    h('p', { class: 'muted', role: 'status' }, t('hazard.count', { n: list.length })),
    list.length ? hazardTable(list) : h('p', { class: 'empty' }, t('hazard.none')));
}

export async function determinationsView() {
  const [possible, under] = await Promise.all([
    api.get(`/api/v1/hazards${api.qs({ severity: 'possibly_major', state: 'open,notified,reinspection_due,escalated', limit: 100 })}`).then(items),
    api.get(`/api/v1/hazards${api.qs({ state: 'under_determination', limit: 100 })}`).then(items),
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
    s.appendChild(svg('text', { x: left - 8, y: y + 20, 'text-anchor': 'end', class: 'chart-label' }, r.label));
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
  const root = h('div', { class: 'page wide-page' }, h('h1', null, t('kpi.title')), h('p', { class: 'muted' }, t('kpi.intro')), form, body);

  // The date picker's end day is inclusive; the API's period ends before its 'to'.
  const fetchKPI = (u) => api.get(`/api/v1/kpi${api.qs({ unit: u, from, to: dayAfter(to) })}`);
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
  const tile = (key, main, sub, cls = '') => h('div', { class: `kpi card ${cls}`, dataset: { kpi: key } },
    h('div', { class: 'kpi-label' }, t(`kpi.${key}`)), h('div', { class: 'kpi-value' }, main), h('div', { class: 'muted' }, sub));
  const rateTile = (key, r) => tile(key, r.value === null ? '—' : percent(r.value), r.den ? t('kpi.of', { num: number(r.num), den: number(r.den) }) : t('kpi.no_data'));
  const children = unitList.filter((u) => String(u.parent_id) === String(unit));
  const compare = h('section', { class: 'card' }, h('h2', null, t('kpi.by_unit')), h('p', { class: 'muted' }, t('common.loading')));
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
    children.length ? compare : null);
  if (children.length) {
    const rows = await Promise.all(children.slice(0, 12).map(async (u) => {
      try { const c = kpiFigures(await fetchKPI(u.id)); return { label: u.name, value: c.completion.value }; } catch { return { label: u.name, value: null }; }
    }));
    replace(compare, h('h2', null, t('kpi.by_unit_completion')), rateBars(rows));
  }
  return root;
}
