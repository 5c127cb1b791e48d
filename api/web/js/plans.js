// Inspection plans (检查计划): the plans of the units the officer manages, a form
// for a new one — every site of the chosen types on a cadence, or a
// double-random draw (双随机) of N sites per period — and, per plan, "make this
// period's inspections now" (the hourly job does it too) and its draws with the
// seed that reproduces each.

import { h, replace } from './dom.js';
import { api, items } from './api.js';
import { t, tOr, dateTime } from './i18n.js';
import { apiErrorText } from './errors.js';

const SITE_TYPES = ['hotel', 'guesthouse', 'short_let', 'rental', 'group_rental', 'shop', 'restaurant', 'live_work', 'ebike_shop', 'residential_building', 'dormitory'];
const MONTHS = [1, 3, 6, 12];

export async function plansView(ctx) {
  const [plans, units] = await Promise.all([api.get('/api/v1/plans?limit=200').then(items), api.get('/api/v1/units').then(items)]);
  const unitName = new Map(units.map((u) => [u.id, u.name]));
  const unitSel = h('select', { id: 'p-unit', required: true },
    units.filter((u) => u.level !== 'grid' || units.length < 50).map((u) => h('option', { value: u.id, translate: 'no' }, `${u.name}${t('unit.level_suffix', { level: t(`level.${u.level}`) })}`)));
  const name = h('input', { id: 'p-name', required: true, maxlength: 100, placeholder: t('plans.name_hint') });
  const kind = h('select', { id: 'p-kind' }, h('option', { value: 'cadence' }, t('plans.kind.cadence')), h('option', { value: 'double_random' }, t('plans.kind.double_random')));
  const months = h('select', { id: 'p-months' }, MONTHS.map((m) => h('option', { value: m }, t(`plans.months.${m}`))));
  const count = h('input', { id: 'p-count', type: 'number', min: 1, max: 1000, value: 5 });
  const countField = h('div', { class: 'field', hidden: true }, h('label', { for: 'p-count' }, t('plans.draw_count')), count);
  kind.addEventListener('change', () => { countField.hidden = kind.value !== 'double_random'; });
  const types = h('fieldset', { class: 'field full' }, h('legend', null, t('plans.site_types')),
    h('div', { class: 'row wrap' }, SITE_TYPES.map((st) => h('label', { class: 'radio' }, h('input', { type: 'checkbox', value: st, name: 'p-type' }), tOr(`site.type.${st}`, st)))));
  const msg = h('p', { role: 'status', id: 'plan-status' });
  const form = h('form', { class: 'filters plan-form card', id: 'plan-form', onsubmit: async (e) => {
    e.preventDefault();
    replace(msg);
    const body = { unit_id: Number(unitSel.value), name: name.value.trim(), kind: kind.value, months: Number(months.value),
      site_types: [...types.querySelectorAll('input:checked')].map((i) => i.value) };
    if (kind.value === 'double_random') body.draw_count = Number(count.value);
    try {
      await api.post('/api/v1/plans', body);
      ctx.navigate('/office/plans?created=1', { replace: true });
    } catch (ex) { msg.className = 'form-error'; replace(msg, apiErrorText(ex)); }
  } },
  h('div', { class: 'field' }, h('label', { for: 'p-unit' }, t('plans.unit')), unitSel),
  h('div', { class: 'field grow' }, h('label', { for: 'p-name' }, t('plans.name')), name),
  h('div', { class: 'field' }, h('label', { for: 'p-kind' }, t('plans.kind')), kind),
  h('div', { class: 'field' }, h('label', { for: 'p-months' }, t('plans.period')), months),
  countField, types,
  h('div', { class: 'full row' }, h('button', { type: 'submit', class: 'primary' }, t('plans.create')), msg));

  const row = (p) => {
    const out = h('td', { class: 'plan-result', role: 'status' });
    const said = h('div', { class: 'plan-ran' });
    const drawsEl = h('div', { class: 'plan-draws' });
    out.append(said, drawsEl);
    const run = h('button', { type: 'button', class: 'small', dataset: { action: 'run-plan', planId: p.id } }, t('plans.run'));
    run.addEventListener('click', async () => {
      run.disabled = true;
      try {
        const r = await api.post(`/api/v1/plans/${p.id}/run`);
        replace(said, t('plans.ran', { period: r.period, created: r.created, already: r.already }),
          r.skipped?.length ? h('span', { class: 'warn-text' }, ' ', t('plans.skipped', { n: r.skipped.length })) : null);
      } catch (ex) { replace(said, h('span', { class: 'form-error' }, apiErrorText(ex))); }
      run.disabled = false;
    });
    const draws = p.kind === 'double_random' ? h('button', { type: 'button', class: 'link', dataset: { action: 'draws', planId: p.id }, onclick: async () => {
      try {
        const list = items(await api.get(`/api/v1/plans/${p.id}/draws`));
        replace(drawsEl, list.length ? h('ul', { class: 'plain draws' }, list.map((d) => h('li', { dataset: { drawId: d.id } },
          t('plans.draw_line', { period: d.period, n: d.drawn_sites.length, of: d.candidates.length, at: dateTime(d.drawn_at) }), ' ',
          h('code', { translate: 'no', title: t('plans.seed_help') }, `seed ${d.seed}`)))) : t('plans.no_draws'));
      } catch (ex) { replace(drawsEl, h('span', { class: 'form-error' }, apiErrorText(ex))); }
    } }, t('plans.draws')) : null;
    return h('tr', { dataset: { planId: p.id } },
      h('td', { translate: 'no' }, p.name),
      h('td', { translate: 'no' }, unitName.get(p.unit_id) || `#${p.unit_id}`),
      h('td', null, t(`plans.kind.${p.kind}`), p.kind === 'double_random' ? ` · ${t('plans.draw_n', { n: p.draw_count })}` : ''),
      h('td', null, t(`plans.months.${p.months}`)),
      h('td', null, p.site_types?.length ? p.site_types.map((st) => tOr(`site.type.${st}`, st)).join(t('common.list_sep')) : t('plans.all_types')),
      h('td', null, h('div', { class: 'row wrap' }, run, draws)), out);
  };
  return h('div', { class: 'page wide-page' },
    h('h1', null, t('plans.title')),
    h('p', { class: 'muted' }, t('plans.help')),
    ctx.query.get('created') ? h('p', { class: 'ok-text', role: 'status' }, t('plans.created')) : null,
    form,
    h('section', { class: 'card' }, h('h2', null, t('plans.list'), ' ', h('span', { class: 'count' }, plans.length)),
      plans.length ? h('table', { class: 'table compact', id: 'plan-list' },
        h('thead', null, h('tr', null, [t('plans.name'), t('plans.unit'), t('plans.kind'), t('plans.period'), t('plans.site_types'), t('plans.actions'), t('plans.result')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, plans.map(row))) : h('p', { class: 'muted' }, t('plans.none'))),
    h('p', null, h('a', { href: '/api/v1/public/draws', target: '_blank', rel: 'noopener' }, t('plans.public_draws'))));
}
