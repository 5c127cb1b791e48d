// The inspector's phone screens: today's tasks (inspections and re-inspections)
// and the checklist, which keeps working offline through the outbox.

import { reasonsText } from './reasons.js';
import { apiErrorText } from './errors.js';
import { h, replace } from './dom.js';
import { api, items, site, getSaved, remember } from './api.js';
import { t, tOr, text, dateTime, countdown, dateOnly } from './i18n.js';
import { outbox, itemTarget } from './outbox.js';
import { dossierLink } from './paperwork.js';
import { cameraButton, queuePhotos, devicePhotos, fillDevicePhotos, photoFlags, manualFlagDialog, addManualFlag } from './photos.js';

const OPEN_STATUSES = ['assigned', 'in_progress', 'returned'];

function startOfDay(d) { const x = new Date(d); x.setHours(0, 0, 0, 0); return x; }

export async function todayView(ctx) {
  const me = ctx.user;
  const [list, reinspect, returned, pend] = await Promise.all([
    getSaved('/api/v1/inspections?limit=200').then(items),
    api.get(`/api/v1/hazards${api.qs({ state: 'rectification_submitted,reinspection_due,escalated', inspector_id: me.id, limit: 100 })}`).then(items).catch(() => []),
    api.get(`/api/v1/hazards${api.qs({ state: 'returned', inspector_id: me.id, limit: 100 })}`).then(items).catch(() => []),
    outbox.pending(),
  ]);
  const open = list.filter((i) => OPEN_STATUSES.includes(i.status)).sort((a, b) => new Date(a.due) - new Date(b.due));
  const sites = new Map(await Promise.all([...new Set(open.map((i) => i.site_id))].map(async (id) => [id, await site(id).catch(() => null)])));
  const today = startOfDay(Date.now()).getTime();
  const tomorrow = today + 86400000;
  const groups = { overdue: [], today: [], later: [] };
  for (const i of open) {
    const due = new Date(i.due).getTime();
    if (due < Date.now() && due < today) groups.overdue.push(i);
    else if (due < tomorrow) groups.today.push(i);
    else groups.later.push(i);
  }
  // What waits to upload, and apart from it what the server refused (those wait
  // for the inspector, not for a connection).
  const waitingBy = (id) => pend.photos.filter((p) => p.inspectionId === id && p.state !== 'rejected').length + pend.answers.filter((a) => a.inspectionId === id && a.state !== 'rejected').length;
  const refusedBy = (id) => pend.photos.filter((p) => p.inspectionId === id && p.state === 'rejected').length + pend.answers.filter((a) => a.inspectionId === id && a.state === 'rejected').length;
  const card = (i) => {
    const s = sites.get(i.site_id);
    const n = waitingBy(i.id);
    const refused = refusedBy(i.id);
    return h('li', null, h('a', { class: 'task card', href: `/inspections/${i.id}`, dataset: { inspectionId: i.id } },
      h('span', { class: 'task-title', translate: s?.name ? 'no' : undefined }, s?.name || t('site.unknown', { id: i.site_id })),
      h('span', { class: 'muted' }, s ? [tOr(`site.type.${s.type}`, ''), ' · ', h('span', { translate: 'no' }, s.address)] : ''),
      h('span', { class: 'row' },
        h('span', { class: `chip ${i.status === 'returned' ? 'warn' : ''}` }, t(`inspection.status.${i.status}`)),
        h('span', { class: 'muted' }, t('inspection.due', { at: dateTime(i.due) })),
        n ? h('span', { class: 'chip warn' }, t('outbox.badge', { n })) : null,
        refused ? h('span', { class: 'chip bad', dataset: { refused } }, t('outbox.refused', { n: refused })) : null),
      i.return_reason ? h('span', { class: 'note' }, t('inspection.returned_because', { reason: i.return_reason })) : null));
  };
  const section = (key, arr) => arr.length ? h('section', null, h('h2', null, t(key), ' ', h('span', { class: 'count' }, arr.length)), h('ul', { class: 'tasks' }, arr.map(card))) : null;
  const hazardCard = (hz) => {
    const cd = countdown(hz.deadline);
    return h('li', null, h('a', { class: 'task card', href: `/hazards/${hz.id}` },
      h('span', { class: 'task-title' }, text(hz.rule?.title) || hz.rule_code),
      h('span', { class: 'muted' }, hz.site_name),
      h('span', { class: 'row' }, h('span', { class: 'chip' }, t(`hazard.state.${hz.state}`)), h('span', { class: `chip ${cd.overdue ? 'bad' : ''}` }, cd.text))));
  };
  return h('div', { class: 'page' },
    h('h1', null, t('inspector.today_title')),
    h('p', { class: 'muted' }, t('inspector.today_intro', { date: dateOnly(Date.now()) })),
    open.length ? null : h('p', { class: 'empty' }, t('inspector.nothing_today')),
    section('inspector.group.overdue', groups.overdue),
    section('inspector.group.today', groups.today),
    section('inspector.group.later', groups.later),
    reinspect.length ? h('section', null, h('h2', null, t('inspector.reinspections'), ' ', h('span', { class: 'count' }, reinspect.length)), h('ul', { class: 'tasks' }, reinspect.map(hazardCard))) : null,
    returned.length ? h('section', null, h('h2', null, t('inspector.returned_hazards')), h('ul', { class: 'tasks' }, returned.map(hazardCard))) : null,
  );
}

/** answerBody turns the UI's choice into the API's Answer body. */
function answerBody(choice) {
  const b = { answer: choice.answer, note: choice.note || '' };
  if (choice.answer === 'fail') {
    b.outcome = choice.outcome;
    if (choice.outcome === 'hazard') {
      b.severity = choice.severity || '';
      if (choice.deadline) b.deadline = new Date(choice.deadline).toISOString();
    }
  }
  return b;
}

function groupByLocation(list) {
  const groups = new Map();
  for (const it of list) {
    const k = it.location || 'other';
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(it);
  }
  return groups;
}

export async function inspectionView(ctx) {
  const id = Number(ctx.params.id);
  const detailPath = `/api/v1/inspections/${id}`;
  let detail = await getSaved(detailPath);
  const root = h('div', { class: 'page inspection', dataset: { inspectionId: id } });
  const state = { detail, flags: new Map(), flagAsked: new Map(), server: new Map() };
  // The photos already on the server, by item: a checklist opened on another
  // device (or after a reload) shows them, not just a count.
  if (detail.status !== 'assigned') {
    try {
      for (const p of items(await getSaved(`/api/v1/inspections/${id}/photos`))) {
        if (!state.server.has(p.item_code)) state.server.set(p.item_code, []);
        state.server.get(p.item_code).push(p.id);
      }
    } catch { /* offline and never seen: the device's photos only */ }
  }

  if (detail.status === 'assigned') {
    const btn = h('button', { type: 'button', class: 'primary wide', id: 'start-inspection' }, t('inspection.start'));
    const err = h('p', { class: 'form-error', role: 'alert' });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await api.post(`/api/v1/inspections/${id}/start`);
        ctx.navigate(`/inspections/${id}`, { replace: true });
      } catch (e) {
        replace(err, e.network ? t('error.network_start') : apiErrorText(e));
        btn.disabled = false;
      }
    });
    return h('div', { class: 'page' }, siteHeader(detail), h('p', null, t('inspection.start_intro')), btn, err);
  }

  const editable = detail.status === 'in_progress' || detail.status === 'returned';
  const summary = h('div', { class: 'summary', id: 'inspection-summary', 'aria-live': 'polite' });
  const submitBox = h('div', { class: 'submit-bar' });
  const list = h('div', { class: 'items' });
  const itemEls = new Map();

  /** waitingText says what waits to upload, naming only what there is ("1 张照片", not "1 张照片、0 个答案"). */
  function waitingText(photos, answers) {
    return [photos ? t('inspection.n_photos', { n: photos }) : '', answers ? t('inspection.n_answers', { n: answers }) : ''].filter(Boolean).join(t('common.list_sep'));
  }

  async function refreshSummary() {
    const pend = await outbox.pending((r) => r.inspectionId === id);
    const local = new Map(pend.answers.map((a) => [a.code, a]));
    const its = state.detail.items || [];
    const answered = its.filter((it) => ['pass', 'fail', 'na'].includes(local.get(it.code)?.body.answer || it.answer)).length;
    const photosWaiting = pend.photos.filter((p) => p.state !== 'rejected').length;
    const rejected = pend.photos.filter((p) => p.state === 'rejected').length;
    // What is still on its way; a refused photo or answer waits for a person, not the network.
    const answersWaiting = pend.answers.filter((a) => a.state !== 'rejected').length;
    const waiting = photosWaiting + answersWaiting;
    // One count of photos for the page: the server's and the device's, each photo once.
    const allLocalPhotos = (await outbox.allPhotos()).filter((p) => p.inspectionId === id);
    const ids = new Set([...state.server.values()].flat());
    for (const p of allLocalPhotos) if (p.state === 'uploaded') ids.add(p.id);
    const uploaded = ids.size;
    root.dataset.pending = String(pend.total);
    root.dataset.uploaded = String(uploaded);
    replace(summary,
      h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': its.length, 'aria-valuenow': answered, 'aria-label': t('inspection.progress_label') },
        h('span', { class: 'bar-fill', style: undefined })),
      h('p', null, t('inspection.progress', { done: answered, total: its.length })),
      h('p', { class: waiting ? 'warn-text' : 'ok-text', id: 'sync-status' },
        waiting
          ? t(navigator.onLine === false ? 'inspection.sync_offline' : 'inspection.sync_pending', { what: waitingText(photosWaiting, answersWaiting) })
          : t('inspection.sync_done', { n: uploaded })),
      rejected ? h('p', { class: 'bad-text' }, t('inspection.photos_rejected', { n: rejected })) : null);
    summary.querySelector('.bar-fill').style.width = `${its.length ? (100 * answered) / its.length : 0}%`;
    renderSubmit(answered, its.length, waiting, pend.photos.filter((p) => p.state === 'rejected'));
  }

  /** itemLinks names items, each a link that scrolls to it. */
  const itemLinks = (list) => list.map((it, i) => [i ? t('common.list_sep') : '', h('a', { href: `#item-${it.code}`, dataset: { code: it.code }, onclick: (e) => { e.preventDefault(); e.stopPropagation(); itemEls.get(it.code)?.scrollIntoView({ block: 'center' }); } }, text(it.rule?.title) || it.code)]);

  function renderSubmit(answered, total, pending, refused = []) {
    if (!editable) {
      replace(submitBox, h('p', { class: 'ok-text', id: state.detail.status === 'submitted' ? 'submitted' : undefined, role: 'status' },
        state.detail.status === 'submitted' ? t('inspection.submitted_at', { at: dateTime(state.detail.submitted_at) }) : t(`inspection.status.${state.detail.status}`)));
      return;
    }
    const missingPhoto = (state.detail.items || []).filter((it) => needsPhotoNow(it) && it.photo_count === 0 && !hasLocalPhoto(it.code));
    let why = '';
    if (answered < total) {
      // In a list of thirty items the one skipped is hard to find: a tap goes there.
      why = h('span', { id: 'unanswered' }, t('inspection.submit_unanswered', { n: total - answered }), ' ',
        h('button', { type: 'button', class: 'link', id: 'next-unanswered', onclick: () => {
          const el = [...list.querySelectorAll('.item')].find((x) => !x.dataset.answer);
          el?.scrollIntoView({ block: 'center' });
          el?.querySelector('button[data-answer]')?.focus({ preventScroll: true });
        } }, t('inspection.next_unanswered')));
    }
    else if (missingPhoto.length) {
      // Say which: each item that still needs a photo, linked.
      why = h('span', { id: 'missing-photos' }, t('inspection.submit_photos_missing', { n: missingPhoto.length }), ' ', itemLinks(missingPhoto));
    } else if (refused.length) {
      // A refused photo never uploads by waiting: say so, and where it is.
      const codes = new Set(refused.map((p) => p.itemCode));
      why = h('span', { id: 'refused-photos' }, t('inspection.submit_photos_refused', { n: refused.length }), ' ',
        itemLinks((state.detail.items || []).filter((it) => codes.has(it.code))));
    } else if (pending) why = t('inspection.submit_wait_sync');
    const btn = h('button', { type: 'button', class: 'primary wide', id: 'submit-inspection', disabled: !!why }, t('inspection.submit'));
    const err = h('p', { class: 'form-error', role: 'alert' });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await api.post(`/api/v1/inspections/${id}/submit`);
        state.detail = await api.get(detailPath);
        remember(detailPath, state.detail);
        // Draw the whole page again: the header says submitted and nothing is
        // editable any more.
        ctx.navigate(`/inspections/${id}`, { replace: true });
      } catch (e) {
        replace(err, e.network ? t('error.network_submit') : apiErrorText(e));
        btn.disabled = false;
      }
    });
    replace(submitBox, why ? h('p', { class: 'muted' }, why) : null, btn, err);
  }

  const localPhotoCodes = new Set();
  function hasLocalPhoto(code) { return localPhotoCodes.has(code); }
  function needsPhotoNow(it) {
    const a = it._local?.answer || it.answer;
    const outcome = it._local?.outcome || it.outcome;
    if (a === 'fail' && outcome === 'fixed_on_spot') return true;
    return it.needs_photo && a !== 'na';
  }

  async function renderItem(it) {
    let el = itemEls.get(it.code);
    if (!el) {
      el = h('article', { class: 'item card', id: `item-${it.code}`, dataset: { code: it.code } });
      itemEls.set(it.code, el);
    }
    const rule = it.rule || {};
    const [pendAnswer, local] = await Promise.all([
      outbox.answers(id).then((l) => l.find((a) => a.code === it.code)),
      devicePhotos(itemTarget(id, it.code)),
    ]);
    if (local.some((p) => p.state !== 'rejected')) localPhotoCodes.add(it.code);
    else localPhotoCodes.delete(it.code); // a photo not sent was deleted
    const choice = pendAnswer ? { ...pendAnswer.body } : { answer: it.answer, outcome: it.outcome, severity: it.severity, note: it.note, deadline: it.deadline };
    it._local = pendAnswer ? pendAnswer.body : null;
    const current = choice.answer && choice.answer !== 'unanswered' ? choice.answer : '';
    el.dataset.answer = current;
    const lockedByHazard = !!it.hazard_id;
    const disabled = !editable;

    const answerBtn = (value) => h('button', {
      type: 'button', class: `seg ${value}`, 'aria-pressed': String(current === value), disabled: disabled || (lockedByHazard && value !== it.answer),
      dataset: { answer: value },
      onclick: () => choose(value),
    }, t(`answer.${value}`));

    const draft = el._draft || null;
    async function choose(value) {
      if (value === 'fail') {
        el._draft = { answer: 'fail', outcome: choice.outcome || '', severity: choice.severity || '', note: choice.note || '', deadline: '' };
        renderItem(it);
        return;
      }
      el._draft = null;
      await outbox.setAnswer(id, it.code, answerBody({ answer: value, note: choice.note }));
    }

    let failPanel = null;
    const d = draft;
    const selfCheck = !!state.detail.self_check;
    if (d && selfCheck) {
      // A merchant's self-inspection: a failed item is reported as a hazard with
      // the rule's severity and deadline; the grid's inspector takes it up.
      const note = h('textarea', { id: `note-${it.code}`, rows: 2, oninput: () => { d.note = note.value; } }, d.note || '');
      failPanel = h('div', { class: 'fail-panel' },
        h('p', { class: 'note' }, t('inspection.self_fail_help', { days: it.rectify_days || 1 })),
        h('label', { for: `note-${it.code}` }, t('inspection.self_note')), note,
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'primary', dataset: { action: 'save-fail' }, onclick: async () => {
            el._draft = null;
            await outbox.setAnswer(id, it.code, { answer: 'fail', outcome: 'hazard', note: note.value });
          } }, t('inspection.self_save_fail')),
          h('button', { type: 'button', class: 'link', onclick: () => { el._draft = null; renderItem(it); } }, t('common.cancel'))));
    } else if (d) {
      const fixedId = `out-fix-${it.code}`, hazId = `out-haz-${it.code}`;
      const sevSel = h('select', { id: `sev-${it.code}`, onchange: () => { d.severity = sevSel.value; } },
        h('option', { value: '' }, t('severity.rule_default', { s: t(`severity.${it.rule_severity || 'general'}`) })),
        h('option', { value: 'general', selected: d.severity === 'general' }, t('severity.general')),
        h('option', { value: 'possibly_major', selected: d.severity === 'possibly_major' }, t('severity.possibly_major')));
      const defaultDue = new Date(Date.now() + (it.rectify_days || 1) * 86400000);
      const dl = h('input', { type: 'date', id: `dl-${it.code}`, value: d.deadline || '', min: new Date(Date.now() + 86400000).toISOString().slice(0, 10), onchange: () => { d.deadline = dl.value; } });
      const note = h('textarea', { id: `note-${it.code}`, rows: 2, oninput: () => { d.note = note.value; } }, d.note || '');
      const err = h('p', { class: 'form-error', role: 'alert' });
      const hazardFields = h('div', { class: 'hazard-fields', hidden: d.outcome !== 'hazard' },
        h('label', { for: `sev-${it.code}` }, t('inspection.severity')), sevSel,
        h('p', { class: 'muted' }, t('inspection.default_deadline', { days: it.rectify_days || 1, at: dateOnly(defaultDue) })),
        h('label', { for: `dl-${it.code}` }, t('inspection.other_deadline')), dl);
      const radio = (rid, value, label) => h('label', { class: 'radio', for: rid },
        h('input', { type: 'radio', id: rid, name: `outcome-${it.code}`, value, checked: d.outcome === value,
          onchange: () => { d.outcome = value; hazardFields.hidden = value !== 'hazard'; } }), label);
      failPanel = h('div', { class: 'fail-panel' },
        h('fieldset', null, h('legend', null, t('inspection.outcome')),
          radio(fixedId, 'fixed_on_spot', t('outcome.fixed_on_spot')),
          radio(hazId, 'hazard', t('outcome.hazard'))),
        hazardFields,
        h('label', { for: `note-${it.code}` }, t('inspection.note')), note,
        err,
        h('div', { class: 'row' },
          h('button', { type: 'button', class: 'primary', dataset: { action: 'save-fail' }, onclick: async () => {
            if (!d.outcome) { replace(err, t('inspection.choose_outcome')); return; }
            const body = answerBody({ answer: 'fail', outcome: d.outcome, severity: sevSel.value, note: note.value, deadline: d.outcome === 'hazard' && dl.value ? `${dl.value}T18:00:00` : '' });
            el._draft = null;
            await outbox.setAnswer(id, it.code, body);
          } }, t('inspection.save_fail')),
          h('button', { type: 'button', class: 'link', onclick: () => { el._draft = null; renderItem(it); } }, t('common.cancel'))));
    }

    const photosEl = h('div', { class: 'photos', dataset: { target: itemTarget(id, it.code) } });
    const localIds = new Set(local.map((p) => p.id));
    const serverOnly = (state.server.get(it.code) || []).filter((pid) => !localIds.has(pid)).map((pid) => ({ id: pid, state: 'uploaded', server: true }));
    const photoErr = h('p', { class: 'form-error', role: 'alert' });
    // A quick button (code) adds the flag at once; the other opens the dialog.
    fillDevicePhotos(photosEl, [...serverOnly, ...local], state.flags, editable && !selfCheck ? async (p, code) => {
      let f = null;
      try {
        f = code ? await addManualFlag(p.id, code) : await manualFlagDialog(p.id);
      } catch (ex) {
        replace(photoErr, apiErrorText(ex));
        return;
      }
      if (!f) return;
      state.flags.set(p.id, [...(state.flags.get(p.id) || []), f]);
      await renderItem(it);
      // The button tapped is gone with the redraw: the keyboard stays on the photo.
      el.querySelector(`.photo[data-photo-id="${p.id}"] [data-action=manual-flag]`)?.focus();
    } : null);
    const camId = `cam-${it.code}`;
    const citations = (rule.citations || []).map((c) => h('li', null,
      h('span', { translate: 'no' }, `《${c.source}》${c.edition ? `（${c.edition}）` : ''}${c.clause || ''}`), ' ',
      h('span', { class: `chip ${c.status === 'V' ? 'ok' : c.status === 'U' ? 'warn' : ''}`, title: t(`citation.status_help.${c.status}`) }, t(`citation.status.${c.status}`))));

    let statusLine = null;
    if (pendAnswer) {
      statusLine = h('p', { class: `item-status ${pendAnswer.state === 'rejected' ? 'bad-text' : 'warn-text'}`, role: 'status' },
        pendAnswer.state === 'rejected' ? t('answer.rejected', { reason: apiErrorText({ code: pendAnswer.error, field: pendAnswer.errorField }) }) : t(navigator.onLine === false || pendAnswer.error ? 'answer.saved_on_device' : 'answer.saving'),
        pendAnswer.state === 'rejected' ? h('button', { type: 'button', class: 'small', onclick: () => outbox.discardAnswer(pendAnswer.key) }, t('answer.discard')) : null);
    } else if (current === 'fail') {
      statusLine = h('p', { class: 'item-status' },
        t(`outcome.${it.outcome}`), it.outcome === 'hazard' && it.deadline ? ` · ${t('inspection.deadline_at', { at: dateTime(it.deadline) })}` : '',
        it.hazard_id ? [' · ', h('a', { href: `/hazards/${it.hazard_id}` }, t('inspection.hazard_link', { id: it.hazard_id }))] : null);
    }

    const needPhoto = needsPhotoNow(it);
    // A redraw (a photo uploaded, a flag arrived) keeps the keyboard where it was:
    // a note being typed goes on in the same box.
    const focused = el.contains(document.activeElement) && document.activeElement.id ? document.activeElement : null;
    const caret = focused && 'selectionStart' in focused ? [focused.selectionStart, focused.selectionEnd] : null;
    replace(el,
      h('header', null,
        h('span', { class: 'code', translate: 'no' }, it.code),
        rule.gb35181_element ? h('span', { class: 'chip warn', title: t('rule.gb35181_help') }, t('rule.gb35181', { el: rule.gb35181_element })) : null,
        h('h3', null, text(rule.title) || it.code)),
      h('p', null, text(rule.explanation)),
      h('details', { class: 'basis' }, h('summary', null, t('rule.basis', { n: citations.length })), h('ul', null, citations),
        reasonsText(rule.because) ? h('p', { class: 'muted' }, t('rule.because', { why: reasonsText(rule.because) })) : null),
      h('p', { class: 'evidence muted' }, t(`evidence.${rule.evidence || 'photo'}`), it.ai_checks?.length ? ` · ${t('rule.ai_checks', { list: it.ai_checks.map((c) => tOr(`flag.code.${c}`, t('flag.unknown_code'))).join(t('common.list_sep')) })}` : ''),
      h('div', { class: 'segmented', role: 'group', 'aria-label': t('answer.label') }, answerBtn('pass'), answerBtn('fail'), answerBtn('na')),
      failPanel,
      statusLine,
      h('div', { class: 'photo-row' },
        editable ? cameraButton({ id: camId, label: needPhoto ? t('photo.take_required') : t('photo.take'), onFiles: async (files) => {
          const probs = await queuePhotos(files, itemTarget(id, it.code), { inspectionId: id, itemCode: it.code });
          replace(photoErr, probs.map((p) => [p, ' ']));
        } }) : null,
        null),
      photoErr,
      photosEl);
    const refocus = focused && document.getElementById(focused.id);
    if (refocus && refocus !== document.activeElement) {
      refocus.focus({ preventScroll: true });
      if (caret) try { refocus.setSelectionRange(...caret); } catch { /* not a text field */ }
    }
    el.classList.toggle('needs-photo', needPhoto && it.photo_count === 0 && !hasLocalPhoto(it.code) && !serverOnly.length);
    pollFlags([...serverOnly, ...local], it);
    return el;
  }

  // Flags arrive once the server has analysed a photo, usually well within a
  // second: right after an upload the page asks at once and then backs off.
  const FLAG_DELAYS = [300, 700, 1500, 3000, 6000, 12000];
  function watchFlags(photoId, it) {
    FLAG_DELAYS.forEach((ms) => {
      const timer = setTimeout(async () => {
        if (state.flags.has(photoId)) return;
        const local = await outbox.photos(itemTarget(id, it.code));
        const p = local.find((x) => x.id === photoId);
        if (p) pollFlags([p], it, true);
      }, ms);
      ctx.cleanup(() => clearTimeout(timer));
    });
  }

  async function pollFlags(local, it, eager = false) {
    for (const p of local) {
      if (p.state !== 'uploaded' || state.flags.has(p.id)) continue;
      const asked = state.flagAsked.get(p.id) || 0;
      if (!eager && (asked >= 12 || (p.uploadedAt && Date.now() - p.uploadedAt > 10 * 60000 && asked > 0))) continue;
      state.flagAsked.set(p.id, asked + 1);
      const flags = await photoFlags(p.id);
      if (flags === null) { state.flagAsked.set(p.id, 99); continue; }
      if (flags.length) {
        state.flags.set(p.id, flags);
        renderItem(it);
      }
    }
  }

  async function renderAll() {
    const groups = groupByLocation(state.detail.items || []);
    const nodes = [];
    for (const [loc, arr] of groups) {
      nodes.push(h('h2', { class: 'group' }, tOr(`location.${loc}`, t('value.other'))));
      for (const it of arr) nodes.push(await renderItem(it));
    }
    replace(list, nodes);
    await refreshSummary();
  }

  // "The rest is not applicable" asks for a confirmation that names how many.
  const BULK_KEY = `safegrid.bulk-na:${id}`;
  const bulkBox = h('div', { class: 'bulk-body' });
  const unanswered = async () => {
    const pend = await outbox.answers(id);
    return (state.detail.items || []).filter((it) => !['pass', 'fail', 'na'].includes(pend.find((a) => a.code === it.code)?.body.answer || it.answer));
  };
  const drawBulk = async () => {
    const done = JSON.parse(localStorage.getItem(BULK_KEY) || '[]');
    if (done.length) {
      // Until the inspection is submitted the bulk answer can be taken back: the
      // items it marked, and still not applicable, become unanswered again.
      const undo = h('button', { type: 'button', class: 'small', id: 'undo-rest-na', onclick: async () => {
        undo.disabled = true;
        const pend = await outbox.answers(id);
        for (const code of done) {
          const it = (state.detail.items || []).find((x) => x.code === code);
          if (it && (pend.find((a) => a.code === code)?.body.answer || it.answer) === 'na') await outbox.setAnswer(id, code, { answer: 'unanswered', note: '' });
        }
        localStorage.removeItem(BULK_KEY);
        await drawBulk();
        bulkNA.open = true;
        bulkBox.querySelector('#mark-rest-na')?.focus();
      } }, t('inspection.bulk_undo', { n: done.length }));
      replace(bulkBox, h('p', { class: 'note', id: 'bulk-done', role: 'status' }, t('inspection.bulk_done', { n: done.length })), undo);
      return;
    }
    const ask = h('button', { type: 'button', class: 'small', id: 'mark-rest-na', onclick: async () => {
      const rest = await unanswered();
      if (!rest.length) return;
      replace(bulkBox, h('p', { class: 'warn-text', role: 'alert' }, t('inspection.bulk_confirm_q', { n: rest.length })),
        h('div', { class: 'row wrap' },
          h('button', { type: 'button', class: 'primary', id: 'confirm-rest-na', onclick: async () => {
            localStorage.setItem(BULK_KEY, JSON.stringify(rest.map((it) => it.code)));
            for (const it of rest) await outbox.setAnswer(id, it.code, { answer: 'na', note: '' });
            drawBulk();
          } }, t('inspection.bulk_confirm', { n: rest.length })),
          h('button', { type: 'button', class: 'link', onclick: drawBulk }, t('common.cancel'))));
    } }, t('inspection.bulk_na'));
    replace(bulkBox, h('p', { class: 'muted' }, t('inspection.bulk_help')), ask);
  };
  const bulkNA = editable ? h('details', { class: 'bulk', open: !!localStorage.getItem(BULK_KEY) }, h('summary', null, t('inspection.bulk_title')), bulkBox) : null;
  if (editable) drawBulk();
  else localStorage.removeItem(BULK_KEY);

  replace(root,
    siteHeader(state.detail),
    state.detail.return_reason && state.detail.status === 'returned' ? h('p', { class: 'note' }, t('inspection.returned_because', { reason: state.detail.return_reason })) : null,
    summary, bulkNA, list, submitBox);
  await renderAll();

  // Saved answers come back with the server's item (hazard id, deadline).
  ctx.on(outbox, 'change', async (e) => {
    const d = e.detail || {};
    if (d.kind === 'answer' && d.inspectionId === id) {
      if (d.item) {
        const idx = state.detail.items.findIndex((x) => x.code === d.item.code);
        if (idx >= 0) state.detail.items[idx] = d.item;
        remember(detailPath, state.detail); // what an offline reload will show
      }
      const it = state.detail.items.find((x) => x.code === d.code);
      if (it) await renderItem(it);
      refreshSummary();
    } else if (d.kind === 'photo' && d.target?.startsWith(`i:${id}:`)) {
      const code = d.target.slice(`i:${id}:`.length);
      const it = state.detail.items.find((x) => x.code === code);
      if (it) {
        if (d.state === 'uploaded' && d.id) {
          if (!state.server.has(code)) state.server.set(code, []);
          if (!state.server.get(code).includes(d.id)) state.server.get(code).push(d.id);
          watchFlags(d.id, it);
        }
        await renderItem(it);
      }
      refreshSummary();
    } else if (d.kind === 'photo' || d.kind === 'answer') {
      refreshSummary();
    }
  });
  ctx.on(window, 'online', () => refreshSummary());
  ctx.on(window, 'offline', () => refreshSummary());
  ctx.every(15000, async () => {
    for (const it of state.detail.items || []) {
      const local = await outbox.photos(itemTarget(id, it.code));
      if (local.some((p) => p.state === 'uploaded' && !state.flags.has(p.id))) pollFlags(local, it);
    }
  });
  return root;
}

function siteHeader(detail) {
  const s = detail.site || {};
  return h('header', { class: 'page-head' },
    // A merchant's self-inspection leads back to their home; the site's file
    // (dossier) is the staff's.
    detail.self_check ? h('a', { href: '/merchant', class: 'back' }, t('nav.back_merchant')) : h('a', { href: '/inspector', class: 'back' }, t('nav.back_today')),
    h('h1', null, s.name ? h('span', { translate: 'no' }, s.name) : t('site.unknown', { id: detail.site_id })),
    h('p', { class: 'muted' }, tOr(`site.type.${s.type}`, ''), ' · ', h('span', { translate: 'no' }, s.address || '')),
    detail.self_check ? h('p', { class: 'chip', id: 'self-check-chip' }, t('inspection.self_check')) : h('p', null, dossierLink(detail.site_id)),
    h('p', { class: 'muted' }, t('inspection.due', { at: dateTime(detail.due) }), ' · ',
      h('span', { id: 'inspection-status', class: `chip ${detail.status === 'submitted' ? 'ok' : ''}`, dataset: { status: detail.status } }, t(`inspection.status.${detail.status}`))));
}

