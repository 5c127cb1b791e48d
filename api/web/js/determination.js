// The determination panel of the hazard page (重大事故隐患判定): a safety officer
// puts a hazard to a panel of at least three reviewers, each reviewer votes major
// or general with a reason, and the responsible office concludes with the
// measures and a deadline. A major conclusion shows the listed-supervision record.
// The server decides who may do what; the panel only offers what makes sense.

import { apiErrorText } from './errors.js';
import { h, replace } from './dom.js';
import { api, items } from './api.js';
import { t, dateTime } from './i18n.js';

/** MIN_REVIEWERS mirrors inspect.MinDeterminationReviewers. */
const MIN_REVIEWERS = 3;
/** States from which a determination can be opened (the domain's state machine). */
const OPENABLE = new Set(['open', 'notified', 'reinspection_due', 'escalated']);

function errorText(e) {
  return apiErrorText(e);
}

function reviewerList(det, names, me) {
  const voted = new Map((det.ballots || []).map((b) => [b.reviewer_id, b]));
  return h('ul', { class: 'ballots', id: 'det-ballots' }, det.participants.map((id) => {
    const b = voted.get(id);
    return h('li', { dataset: { reviewer: id, vote: b?.vote || '' } },
      h('strong', { translate: 'no' }, names.get(id) || t('event.someone')), id === me ? h('span', { class: 'muted' }, ` (${t('det.you')})`) : null, ' ',
      b ? h('span', { class: `chip ${b.vote === 'major' ? 'bad' : ''}` }, t(`det.vote.${b.vote}`)) : h('span', { class: 'chip muted' }, t('det.not_voted')),
      b?.reason ? h('q', { class: 'ballot-reason', translate: 'no' }, b.reason) : null);
  }));
}

function openForm(ctx, hz, users, me, done) {
  const reviewers = users.filter((u) => u.role === 'safety_officer' || u.role === 'admin');
  const boxes = reviewers.map((u) => h('input', { type: 'checkbox', id: `det-reviewer-${u.id}`, value: String(u.id), checked: u.id === me }));
  const note = h('textarea', { id: 'det-note', rows: 2 });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const btn = h('button', { type: 'submit', class: 'primary', id: 'det-open' }, t('det.open'));
  const form = h('form', { class: 'det-open-form' },
    h('fieldset', null,
      h('legend', null, t('det.pick_reviewers', { n: MIN_REVIEWERS })),
      reviewers.map((u, i) => h('label', { class: 'radio', for: boxes[i].id }, boxes[i],
        h('span', { translate: 'no' }, u.display_name || u.username), h('span', { class: 'muted' }, ` · ${t(`det.role.${u.role}`)}`)))),
    h('label', { for: 'det-note' }, t('det.note')), note, err, btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(err);
    const participants = boxes.filter((b) => b.checked).map((b) => Number(b.value));
    if (participants.length < MIN_REVIEWERS) { replace(err, t('det.too_few', { n: MIN_REVIEWERS })); return; }
    btn.disabled = true;
    try {
      await api.post(`/api/v1/hazards/${hz.id}/determination`, { participants, note: note.value.trim() });
      done();
    } catch (ex) {
      replace(err, errorText(ex));
      btn.disabled = false;
    }
  });
  return h('details', { class: 'det-open', open: hz.severity === 'possibly_major' },
    h('summary', null, t('det.open_title')),
    h('p', { class: 'muted' }, t('hazard.determination_help')),
    form);
}

function voteForm(hz, done) {
  const radios = ['major', 'general'].map((v) => h('input', { type: 'radio', name: 'det-vote', id: `det-vote-${v}`, value: v }));
  const reason = h('textarea', { id: 'det-reason', rows: 2 });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const btn = h('button', { type: 'submit', class: 'primary', id: 'det-cast' }, t('det.cast'));
  const form = h('form', { class: 'det-vote-form' },
    h('fieldset', null, h('legend', null, t('det.your_vote')),
      radios.map((r) => h('label', { class: 'radio', for: r.id }, r, t(`det.vote.${r.value}`)))),
    h('label', { for: 'det-reason' }, t('det.reason')), reason, err, btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(err);
    const vote = radios.find((r) => r.checked)?.value;
    if (!vote) { replace(err, t('det.choose_vote')); return; }
    if (!reason.value.trim()) { replace(err, t('det.reason_required')); reason.focus(); return; }
    btn.disabled = true;
    try {
      await api.post(`/api/v1/hazards/${hz.id}/determination/votes`, { vote, reason: reason.value.trim() });
      done();
    } catch (ex) {
      replace(err, errorText(ex));
      btn.disabled = false;
    }
  });
  return form;
}

/** endOfDay turns a YYYY-MM-DD from a date input into that day's end, local time. */
function endOfDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 0).toISOString();
}

function concludeForm(hz, det, done) {
  const measures = h('textarea', { id: 'det-measures', rows: 3, required: true });
  const deadline = h('input', { type: 'date', id: 'det-deadline', required: true });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const btn = h('button', { type: 'submit', class: 'danger', id: 'det-conclude' }, t('det.conclude'));
  const major = det.ballots.filter((b) => b.vote === 'major').length;
  const general = det.ballots.length - major;
  const form = h('form', { class: 'det-conclude-form' },
    h('h3', null, t('det.conclude_title')),
    h('p', { class: 'muted' }, t('det.tally', { major, general }), ' → ',
      h('strong', null, t(`severity.${major >= general ? 'major' : 'general'}`))),
    h('label', { for: 'det-measures' }, t('det.measures')), measures,
    h('label', { for: 'det-deadline' }, t('det.deadline')), deadline, err, btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(err);
    if (!measures.value.trim()) { replace(err, t('det.measures_required')); measures.focus(); return; }
    if (!deadline.value) { replace(err, t('det.deadline_required')); deadline.focus(); return; }
    btn.disabled = true;
    try {
      await api.post(`/api/v1/hazards/${hz.id}/determination/conclude`, { measures: measures.value.trim(), deadline: endOfDay(deadline.value) });
      done();
    } catch (ex) {
      replace(err, errorText(ex));
      btn.disabled = false;
    }
  });
  return form;
}

function conclusionFacts(det, hz, names, unitNames) {
  const sup = hz.supervision;
  return [
    h('dl', { class: 'facts', id: 'det-conclusion', dataset: { conclusion: det.conclusion } },
      h('dt', null, t('det.conclusion')), h('dd', null, h('span', { class: `chip ${det.conclusion === 'major' ? 'bad' : ''}` }, t(`severity.${det.conclusion}`))),
      h('dt', null, t('det.measures')), h('dd', null, det.measures),
      h('dt', null, t('det.deadline')), h('dd', null, dateTime(det.deadline)),
      h('dt', null, t('det.concluded_at')), h('dd', null, dateTime(det.concluded_at))),
    det.conclusion === 'major' && sup ? h('div', { class: 'supervision', id: 'det-supervision' },
      h('h3', null, t('hazard.listed_supervision')),
      h('dl', { class: 'facts' },
        h('dt', null, t('det.supervising_unit')), h('dd', { translate: 'no' }, unitNames.get(sup.supervising_unit_id) || ''),
        h('dt', null, t('det.responsible')), h('dd', null, sup.responsible_user_id ? (names.get(sup.responsible_user_id) || `#${sup.responsible_user_id}`) : '—'),
        h('dt', null, t('det.deadline')), h('dd', null, dateTime(sup.deadline)),
        h('dt', null, t('det.listed_since')), h('dd', null, dateTime(sup.created_at)))) : null,
  ];
}

/**
 * determinationPanel is the hazard page's determination card for safety officers
 * and admins, or null when there is nothing to show. names maps user ids to
 * names, unitNames unit ids to names; reload re-renders the page.
 */
export async function determinationPanel(ctx, hz, { names, unitNames, reload }) {
  const role = ctx.user.role;
  if (role !== 'safety_officer' && role !== 'admin') return null;
  const me = ctx.user.id;
  const det = hz.determination;
  const open = det && !det.conclusion;
  // A hazard the panel found major stays major; it closes by its fix.
  const canOpen = !open && OPENABLE.has(hz.state) && !(det?.conclusion === 'major' && hz.severity === 'major');
  if (!det && !canOpen) return null;
  const card = h('section', { class: 'card determination', id: 'determination', dataset: { status: open ? 'open' : det ? 'concluded' : 'none' } },
    h('h2', null, t('det.panel_title')));
  if (det) {
    card.append(
      h('p', { class: 'muted' }, t('det.opened', { who: names.get(det.opened_by) || `#${det.opened_by}`, at: dateTime(det.opened_at) })),
      h('h3', null, t('det.reviewers'), ' ', h('span', { class: 'count' }, `${det.ballots.length}/${det.participants.length}`)),
      reviewerList(det, names, me));
  }
  if (open) {
    const mine = det.participants.includes(me) && !det.ballots.some((b) => b.reviewer_id === me);
    if (mine) card.append(voteForm(hz, reload));
    if (det.ballots.length >= MIN_REVIEWERS) card.append(concludeForm(hz, det, reload));
    else card.append(h('p', { class: 'muted', id: 'det-waiting' }, t('det.waiting', { n: det.ballots.length, min: MIN_REVIEWERS })));
  } else if (det) {
    card.append(...conclusionFacts(det, hz, names, unitNames));
  }
  if (canOpen) {
    const users = await api.get('/api/v1/users').then(items).catch(() => []);
    card.append(openForm(ctx, hz, users, me, reload));
  }
  return card;
}
