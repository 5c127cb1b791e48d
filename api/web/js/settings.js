// Settings (系统设置), for admins only: a district's time-limit policy (read in
// words, edited, saved, and applied to the open hazards on purpose), the API keys
// of integrating systems (the Open311 door of a 12345 hotline: the key is shown
// once) and the AI score levels learned from the office's review (accept a
// proposal, read the history). Each section loads on its own, so one that fails
// leaves the others usable.

import { h, replace } from './dom.js';
import { api, items } from './api.js';
import { t, tOr, text, dateTime, percent } from './i18n.js';
import { apiErrorText } from './errors.js';

export async function settingsView(ctx) {
  return h('div', { class: 'page wide-page settings' },
    h('h1', null, t('settings.title')),
    h('p', { class: 'muted' }, t('settings.intro')),
    policySection(ctx), keysSection(), thresholdsSection(ctx));
}

/** section is a card with a heading that loads its body with load(body). */
function section(id, title, load) {
  const body = h('div', { class: 'section-body' }, h('p', { class: 'loading' }, t('common.loading')));
  const el = h('section', { class: 'card settings-section', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), body);
  const run = async () => {
    try { await load(body, run); } catch (err) { replace(body, h('p', { class: 'form-error', role: 'alert' }, apiErrorText(err))); }
  };
  run();
  return el;
}

/** tWith is t with some parameters given as nodes (a name marked
 * translate="no"): the message split around them. */
function tWith(key, nodes) {
  const marks = Object.fromEntries(Object.keys(nodes).map((k) => [k, `\u0000${k}\u0000`]));
  return t(key, marks).split('\u0000').map((part, i) => (i % 2 ? nodes[part] : part));
}

/** confirmStep replaces a button's place with a question (text or nodes) and
 * two buttons; yes runs onYes, cancel puts the button back. */
function confirmStep(slot, button, question, yesLabel, yesId, onYes, danger = false) {
  const back = () => { replace(slot, button); button.focus(); };
  const yes = h('button', { type: 'button', class: danger ? 'danger' : 'primary', id: yesId }, yesLabel);
  yes.addEventListener('click', async () => { yes.disabled = true; await onYes(); });
  replace(slot, h('div', { class: 'confirm-step' },
    h('p', { class: 'warn-text', role: 'alert' }, question),
    h('div', { class: 'row wrap' }, yes, h('button', { type: 'button', class: 'link', onclick: back }, t('common.cancel')))));
  yes.focus();
}

// ---------------------------------------------------------------------------
// Durations: the API writes "3d", "8h" or Go's "1h30m0s"; the form asks for a
// number and a unit, and the screen says them in words.

const UNITS = [['d', 86400], ['h', 3600], ['m', 60]];

/** seconds reads a duration as the API writes it. */
export function seconds(s) {
  const str = String(s ?? '').trim();
  const days = /^(\d+)d$/.exec(str);
  if (days) return Number(days[1]) * 86400;
  let total = 0;
  const per = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, ns: 1e-9 };
  for (const [, n, u] of str.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(n) * per[u];
  return total;
}

/** split gives a duration as a whole number of the largest unit that fits. */
function split(secs) {
  for (const [u, n] of UNITS) if (secs > 0 && secs % n === 0) return { n: secs / n, unit: u };
  return secs === 0 ? { n: 0, unit: 'h' } : { n: Math.round(secs / 60), unit: 'm' };
}

/** durationText says a duration in words: "3 天", "8 hours". */
function durationText(secs) {
  if (!secs) return t('settings.dur.zero');
  const { n, unit } = split(secs);
  return t(`settings.dur.${unit}`, { n });
}

/** durationInput is a number and a unit for one duration; value() is the text
 * the API reads ("12h"), seconds() what it means. */
function durationInput(id, secs, describedBy) {
  const { n, unit } = split(secs);
  const num = h('input', { id, type: 'number', min: 0, step: 1, inputmode: 'numeric', value: String(n), class: 'dur-n', 'aria-describedby': describedBy });
  const sel = h('select', { id: `${id}-unit`, class: 'dur-unit', 'aria-label': t('settings.dur.unit') },
    UNITS.map(([u]) => h('option', { value: u, selected: u === unit }, t(`settings.unit.${u}`))));
  return {
    el: h('span', { class: 'dur' }, num, sel),
    value: () => `${num.value.trim()}${sel.value}`,
    seconds: () => Number(num.value) * UNITS.find(([u]) => u === sel.value)[1],
    focus: () => num.focus(),
  };
}

// ---------------------------------------------------------------------------
// 1. The time-limit policy of a district.

const LEVELS = ['grid', 'community', 'subdistrict', 'district'];
const SEVERITIES = ['general', 'possibly_major', 'major'];
const SIMPLE = ['sign_within', 'sign_grace', 'reinspect_within'];
const LIMITS = [['deadline', 'previous_deadline'], ['sign_by', 'previous_sign_by'], ['reinspect_by', 'previous_reinspect_by']];

function policySection(ctx) {
  return section('policy', t('settings.policy.title'), async (body) => {
    const districts = items(await api.get('/api/v1/units')).filter((u) => u.level === 'district');
    if (!districts.length) { replace(body, h('p', { class: 'muted' }, t('settings.policy.no_district'))); return; }
    const wanted = ctx.query.get('district');
    const districtSel = h('select', { id: 'pol-district' },
      districts.map((d) => h('option', { value: d.id, translate: 'no', selected: String(d.id) === wanted }, d.name)));
    const formSlot = h('div');
    const applySlot = h('div', { class: 'policy-apply' });
    const load = async () => {
      replace(formSlot, h('p', { class: 'loading' }, t('common.loading')));
      const id = Number(districtSel.value);
      const name = districts.find((d) => d.id === id)?.name || '';
      try {
        drawPolicy(formSlot, id, await api.get(`/api/v1/policy${api.qs({ district_id: id })}`));
        drawApply(applySlot, id, name);
      } catch (err) { replace(formSlot, h('p', { class: 'form-error', role: 'alert' }, apiErrorText(err))); }
    };
    districtSel.addEventListener('change', load);
    replace(body,
      h('p', { class: 'muted' }, t('settings.policy.intro')),
      h('div', { class: 'field narrow-field' }, h('label', { for: 'pol-district' }, t('settings.policy.district')), districtSel),
      formSlot, applySlot);
    await load();
  });
}

/** isSet reports whether the district's override sets a value (else the default's). */
const isSet = (v) => v !== undefined && v !== null;
const sourceChip = (own) => h('span', { class: `chip ${own ? 'ok' : 'muted'}` }, t(own ? 'settings.policy.own' : 'settings.policy.default'));

function drawPolicy(slot, districtID, dp) {
  const { policy, override = {} } = dp;
  const status = h('p', { id: 'policy-status', role: 'status', 'aria-live': 'polite' });
  const inputs = {};
  const simpleField = (f) => {
    const help = `pol-${f}-help`;
    inputs[f] = durationInput(`pol-${f}`, seconds(policy[f]), help);
    return h('div', { class: 'policy-field', dataset: { field: f } },
      h('div', { class: 'row wrap' }, h('label', { for: `pol-${f}` }, t(`field.${f}`)), sourceChip(isSet(override[f]))),
      h('p', { class: 'muted small-text', id: help }, t(`settings.policy.help.${f}`)),
      inputs[f].el,
      h('p', { class: 'small-text' }, t('settings.policy.in_force', { value: durationText(seconds(policy[f])) })));
  };
  // The reminders: a list of durations, at most 10.
  const reminders = [];
  let made = 0; // ids stay unique when reminders are removed and added
  const remindList = h('ul', { class: 'plain reminders', id: 'pol-reminders' });
  const addReminder = (secs) => {
    const i = made++;
    const input = durationInput(`pol-remind-${i}`, secs, 'pol-remind_before-help');
    const li = h('li', { class: 'row' }, h('label', { class: 'visually-hidden', for: `pol-remind-${i}` }, t('field.remind_before')), input.el);
    const entry = { input, li };
    li.append(h('button', { type: 'button', class: 'small', onclick: () => { reminders.splice(reminders.indexOf(entry), 1); li.remove(); } }, t('settings.policy.remove_reminder')));
    reminders.push(entry);
    remindList.append(li);
    return input;
  };
  (policy.remind_before || []).forEach((r) => addReminder(seconds(r)));
  const addBtn = h('button', { type: 'button', class: 'small', id: 'pol-add-reminder', onclick: () => { if (reminders.length < 10) addReminder(3600).focus(); } }, t('settings.policy.add_reminder'));
  // The rectification limits: per level, per severity.
  const rectify = {};
  const levelBox = (l) => h('fieldset', { class: 'rectify-level', dataset: { level: l } }, h('legend', null, t(`level.${l}`)),
    SEVERITIES.map((s) => {
      const id = `pol-rectify-${l}-${s}`;
      const secs = seconds(policy.rectify?.[l]?.[s]);
      (rectify[l] ||= {})[s] = durationInput(id, secs, 'pol-rectify-help');
      return h('div', { class: 'rectify-entry' },
        h('div', { class: 'row wrap' }, h('label', { for: id }, t(`severity.${s}`)), isSet(override.rectify?.[l]?.[s]) ? sourceChip(true) : null),
        rectify[l][s].el);
    }));
  const save = h('button', { type: 'submit', class: 'primary', id: 'policy-save' }, t('settings.policy.save'));
  const reset = h('button', { type: 'button', class: 'link', id: 'policy-reset' }, t('settings.policy.reset'));
  const resetSlot = h('span', null, reset);
  const put = async (body) => {
    replace(status);
    delete status.dataset.state;
    try {
      const saved = await api.put(`/api/v1/policy${api.qs({ district_id: districtID })}`, body);
      drawPolicy(slot, districtID, saved);
      const s = slot.querySelector('#policy-status');
      s.className = 'ok-text';
      s.dataset.state = 'saved';
      replace(s, t('settings.policy.saved'));
      s.focus?.();
    } catch (ex) {
      status.className = 'form-error';
      status.dataset.state = 'error';
      replace(status, apiErrorText(ex));
      const f = ex.field || '';
      const m = /^rectify\.(\w+)\.(\w+)$/.exec(f);
      (m ? rectify[m[1]]?.[m[2]] : inputs[f])?.focus();
    }
  };
  reset.addEventListener('click', () => confirmStep(resetSlot, reset, t('settings.policy.reset_q'), t('settings.policy.reset_yes'), 'policy-reset-confirm', () => put({})));
  const form = h('form', { id: 'policy-form', novalidate: true, onsubmit: (e) => {
    e.preventDefault();
    // The override keeps what the district set and adds what was changed here;
    // an untouched default stays the default (and follows it when it changes).
    const out = {};
    for (const f of SIMPLE) if (isSet(override[f]) || inputs[f].seconds() !== seconds(policy[f])) out[f] = inputs[f].value();
    const now = reminders.map((r) => r.input);
    const was = (policy.remind_before || []).map(seconds);
    if (isSet(override.remind_before) || now.length !== was.length || now.some((r, i) => r.seconds() !== was[i])) out.remind_before = now.map((r) => r.value());
    for (const l of LEVELS) {
      for (const s of SEVERITIES) {
        const input = rectify[l][s];
        if (isSet(override.rectify?.[l]?.[s]) || input.seconds() !== seconds(policy.rectify?.[l]?.[s])) ((out.rectify ||= {})[l] ||= {})[s] = input.value();
      }
    }
    put(out);
  } },
  h('div', { class: 'policy-grid' }, SIMPLE.map(simpleField),
    h('fieldset', { class: 'policy-field', dataset: { field: 'remind_before' } },
      h('legend', null, t('field.remind_before'), ' ', sourceChip(isSet(override.remind_before))),
      h('p', { class: 'muted small-text', id: 'pol-remind_before-help' }, t('settings.policy.help.remind_before')),
      remindList, addBtn)),
  h('h3', null, t('settings.policy.rectify')),
  h('p', { class: 'muted small-text', id: 'pol-rectify-help' }, t('settings.policy.help.rectify')),
  h('div', { class: 'rectify-grid' }, LEVELS.map(levelBox)),
  h('div', { class: 'row wrap form-actions' }, save, resetSlot),
  status);
  status.tabIndex = -1;
  replace(slot, form);
}

function drawApply(slot, districtID, districtName) {
  const result = h('div', { id: 'policy-moves-box', role: 'status' });
  const button = h('button', { type: 'button', id: 'policy-apply' }, t('settings.apply.button'));
  const buttonSlot = h('div', null, button);
  button.addEventListener('click', () => confirmStep(buttonSlot, button, tWith('settings.apply.question', { district: h('span', { translate: 'no' }, districtName) }), t('settings.apply.yes'), 'policy-apply-confirm', async () => {
    replace(result, h('p', { class: 'loading' }, t('common.loading')));
    try {
      const moves = items(await api.post(`/api/v1/policy/apply${api.qs({ district_id: districtID })}`));
      replace(buttonSlot, button);
      await drawMoves(result, moves);
    } catch (ex) {
      replace(buttonSlot, button);
      replace(result, h('p', { class: 'form-error' }, apiErrorText(ex)));
    }
  }));
  replace(slot,
    h('h3', null, t('settings.apply.title')),
    h('p', { class: 'muted' }, t('settings.apply.help')),
    buttonSlot, result);
}

/** drawMoves lists what applying the policy moved: per hazard, each limit from
 * its old time to its new one. */
async function drawMoves(el, moves) {
  if (!moves.length) { replace(el, h('p', { id: 'policy-no-moves' }, t('settings.apply.none'))); return; }
  const titles = await Promise.all(moves.slice(0, 50).map((m) => api.get(`/api/v1/hazards/${m.hazard_id}`).then((d) => text(d.rule?.title)).catch(() => '')));
  replace(el,
    h('p', { class: 'ok-text' }, t('settings.apply.moved', { n: moves.length })),
    h('ul', { class: 'plain moves', id: 'policy-moves' }, moves.map((m, i) => h('li', { dataset: { hazardId: m.hazard_id } },
      h('a', { href: `/hazards/${m.hazard_id}` }, t('settings.apply.hazard', { id: m.hazard_id }), titles[i] ? ` ${titles[i]}` : ''),
      h('ul', { class: 'plain' }, LIMITS.filter(([now]) => m[now]).map(([now, prev]) => h('li', { dataset: { limit: now } },
        t(`settings.apply.limit.${now}`), t('settings.apply.sep'), dateTime(m[prev]), ' → ', h('strong', null, dateTime(m[now])))))))));
}

// ---------------------------------------------------------------------------
// 2. API keys of integrating systems (Open311).

function keysSection() {
  return section('keys', t('settings.keys.title'), async (body) => {
    let list;
    try {
      list = items(await api.get('/api/v1/integrations/keys?limit=200'));
    } catch (err) {
      if (err.code === 'unavailable') { replace(body, h('p', { class: 'muted', id: 'keys-off' }, t('settings.keys.off'))); return; }
      throw err;
    }
    const name = h('input', { id: 'key-name', required: true, maxlength: 100, autocomplete: 'off', placeholder: t('settings.keys.name_hint') });
    const msg = h('p', { role: 'status', id: 'key-status' });
    const secretBox = h('div', { id: 'key-secret-slot' });
    const form = h('form', { id: 'key-form', class: 'row wrap key-form', onsubmit: async (e) => {
      e.preventDefault();
      replace(msg);
      try {
        const created = await api.post('/api/v1/integrations/keys', { name: name.value.trim() });
        name.value = '';
        await reloadList();
        showSecret(secretBox, created);
      } catch (ex) { msg.className = 'form-error'; replace(msg, apiErrorText(ex)); }
    } },
    h('div', { class: 'field grow' }, h('label', { for: 'key-name' }, t('settings.keys.name')), name),
    h('button', { type: 'submit', class: 'primary' }, t('settings.keys.create')));
    const listEl = h('div', { id: 'key-list-box' });
    const drawList = (keys) => replace(listEl, keys.length
      ? h('ul', { class: 'plain key-list', id: 'key-list' }, keys.slice().reverse().map((k) => keyRow(k, reloadList)))
      : h('p', { class: 'muted', id: 'keys-none' }, t('settings.keys.none')));
    const reloadList = async () => {
      try { drawList(items(await api.get('/api/v1/integrations/keys?limit=200'))); } catch (ex) { replace(listEl, h('p', { class: 'form-error' }, apiErrorText(ex))); }
    };
    drawList(list);
    replace(body, h('p', { class: 'muted' }, t('settings.keys.intro')), form, msg, secretBox, listEl);
  });
}

/** showSecret shows a new key's secret this once: it is kept nowhere else. */
function showSecret(box, created) {
  const code = h('code', { id: 'key-secret', translate: 'no', class: 'secret', tabindex: 0 }, created.key);
  const said = h('span', { role: 'status', id: 'key-copy-status' });
  const copy = h('button', { type: 'button', class: 'small', id: 'key-copy', onclick: async () => {
    try { await navigator.clipboard.writeText(created.key); replace(said, t('settings.keys.copied')); } catch {
      const r = document.createRange(); r.selectNodeContents(code); getSelection().removeAllRanges(); getSelection().addRange(r);
      replace(said, t('settings.keys.copy_by_hand'));
    }
  } }, t('settings.keys.copy'));
  const hide = h('button', { type: 'button', class: 'link', id: 'key-secret-done', onclick: () => replace(box) }, t('settings.keys.done'));
  replace(box, h('div', { class: 'note secret-box', role: 'alert' },
    h('p', null, h('strong', null, t('settings.keys.created')), ' ', h('span', { translate: 'no' }, created.name)),
    h('p', null, t('settings.keys.once')),
    h('p', { class: 'secret-line' }, code),
    h('div', { class: 'row wrap' }, copy, said, hide)));
  code.focus();
}

function keyRow(k, reload) {
  const revoked = !!k.revoked_at;
  const actions = h('div', { class: 'key-actions' });
  if (!revoked) {
    const revoke = h('button', { type: 'button', class: 'small danger', dataset: { action: 'revoke-key', keyId: k.id } }, t('settings.keys.revoke'));
    revoke.addEventListener('click', () => confirmStep(actions, revoke, tWith('settings.keys.revoke_q', { name: h('span', { translate: 'no' }, k.name) }), t('settings.keys.revoke_yes'), `key-revoke-confirm-${k.id}`, async () => {
      try { await api.del(`/api/v1/integrations/keys/${k.id}`); await reload(); } catch (ex) { replace(actions, revoke, h('p', { class: 'form-error' }, apiErrorText(ex))); }
    }, true));
    actions.append(revoke);
  }
  return h('li', { class: 'key-row', dataset: { keyId: k.id, revoked: String(revoked) } },
    h('div', { class: 'key-main' },
      h('strong', { translate: 'no' }, k.name), ' ',
      h('span', { class: `chip ${revoked ? 'bad' : 'ok'}` }, t(revoked ? 'settings.keys.revoked' : 'settings.keys.active')),
      h('p', { class: 'muted small-text' }, t('settings.keys.created_at', { at: dateTime(k.created_at) }),
        revoked ? [t('common.list_sep'), t('settings.keys.revoked_at', { at: dateTime(k.revoked_at) })] : null)),
    actions);
}

// ---------------------------------------------------------------------------
// 3. AI score levels learned from review.

const score = (v) => (v === null || v === undefined ? '—' : Number(v).toFixed(2));
const checkLabel = (code) => tOr(`flag.code.${code}`, t('flag.unknown_code'));
const placeLabel = (loc) => tOr(`location.${loc}`, t('settings.thr.unknown_place'));

function thresholdsSection(ctx) {
  return section('thresholds', t('settings.thr.title'), async (body, reload) => {
    const [rep, history, admins] = await Promise.all([
      api.get('/api/v1/models/thresholds'),
      api.get('/api/v1/models/thresholds/history').then(items),
      api.get('/api/v1/users?role=admin&limit=200').then(items).catch(() => []),
    ]);
    const who = new Map(admins.map((u) => [u.id, u.display_name || u.username]));
    if (ctx.user) who.set(ctx.user.id, ctx.user.display_name || ctx.user.username);
    const checks = rep.checks || [];
    replace(body,
      h('p', { class: 'muted' }, t('settings.thr.intro', { p: percent(rep.target_precision), half: percent(Math.min(rep.target_precision, 0.5)), n: rep.min_decisions })),
      checks.length ? h('div', { class: 'thr-list', id: 'thr-list' }, checks.map((c) => thresholdCard(c, rep, reload)))
        : h('p', { class: 'empty', id: 'thr-none' }, t('settings.thr.none')),
      h('h3', null, t('settings.thr.history')),
      history.length ? h('ul', { class: 'plain thr-history', id: 'thr-history' }, history.map((ch) => h('li', { dataset: { changeId: ch.id, check: ch.code, location: ch.location } },
        h('p', null, h('strong', null, checkLabel(ch.code), t('settings.thr.at_place', { place: placeLabel(ch.location) }))),
        h('p', null, t('settings.thr.change', {
          flag_from: score(ch.previous.flag), flag_to: score(ch.levels.flag), review_from: score(ch.previous.review), review_to: score(ch.levels.review),
        })),
        h('p', { class: 'muted small-text' },
          t('settings.thr.change_basis', { p: percent(ch.target_precision), n: ch.decisions, c: ch.flag_evidence.confirmed, of: ch.flag_evidence.decisions }), t('common.list_sep'),
          dateTime(ch.accepted_at), t('common.list_sep'), h('span', { translate: 'no' }, who.get(ch.accepted_by) || t('event.someone'))))))
        : h('p', { class: 'muted', id: 'thr-history-none' }, t('settings.thr.history_none')));
  });
}

/** evidence says what backs a level: n reviewed flags at or above it, c confirmed. */
const evidence = (ev) => t('settings.thr.evidence', { n: ev.decisions, c: ev.confirmed, p: percent(ev.precision?.value) });

function thresholdCard(c, rep, reload) {
  const p = c.proposal || {};
  const proposed = !!(p.flag && p.review);
  const same = (a, b) => Math.abs(a - b) < 1e-6;
  const inUse = proposed && same(p.flag.level, c.current.flag) && same(p.review.level, c.current.review);
  const actions = h('div', { class: 'thr-actions' });
  const msg = h('p', { class: 'form-error', role: 'alert' });
  if (inUse) actions.append(h('p', { class: 'ok-text' }, t('settings.thr.in_use')));
  else if (proposed) {
    const accept = h('button', { type: 'button', class: 'primary small', dataset: { action: 'accept-threshold', check: c.code, location: c.location } }, t('settings.thr.accept'));
    accept.addEventListener('click', () => confirmStep(actions, accept,
      t('settings.thr.accept_q', { check: checkLabel(c.code), place: placeLabel(c.location), flag: score(p.flag.level), review: score(p.review.level) }),
      t('settings.thr.accept_yes'), `thr-accept-confirm-${c.code}-${c.location}`, async () => {
        try {
          await api.post(`/api/v1/models/thresholds/${encodeURIComponent(c.code)}/accept`, { location: c.location, target_precision: rep.target_precision });
          await reload();
        } catch (ex) { replace(actions, accept); replace(msg, apiErrorText(ex)); }
      }));
    actions.append(accept);
  }
  const reason = p.reason_code === 'too_few_decisions' ? t('settings.thr.reason.too_few_decisions', { n: p.decisions, min: rep.min_decisions })
    : p.reason_code === 'precision_not_reached' ? t('settings.thr.reason.precision_not_reached', { p: percent(p.target_precision), min: rep.min_decisions })
      : t('settings.thr.reason.other');
  return h('article', { class: 'thr-card', dataset: { check: c.code, location: c.location, proposed: String(proposed) } },
    h('h3', null, checkLabel(c.code), t('settings.thr.at_place', { place: placeLabel(c.location) })),
    h('dl', { class: 'facts' },
      h('dt', null, t('settings.thr.current')),
      h('dd', null, t('settings.thr.levels', { flag: score(c.current.flag), review: score(c.current.review) }), ' ',
        h('span', { class: `chip ${c.accepted ? 'ok' : 'muted'}` }, t(c.accepted ? 'settings.thr.accepted' : 'settings.thr.defaults'))),
      h('dt', null, t('settings.thr.decisions')),
      h('dd', null, t('settings.thr.decided', { n: p.decisions ?? 0, c: p.confirmed ?? 0 })),
      h('dt', null, t('settings.thr.proposal')),
      proposed
        ? h('dd', { class: 'thr-proposal' },
          h('p', null, t('settings.thr.flag_level', { level: score(p.flag.level) }), evidence(p.flag)),
          h('p', null, t('settings.thr.review_level', { level: score(p.review.level) }), evidence(p.review)))
        : h('dd', { class: 'thr-reason', dataset: { reason: p.reason_code || '' } }, reason)),
    actions, msg);
}
