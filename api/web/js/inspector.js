// The inspector's phone screens: today's tasks (inspections and re-inspections)
// and the checklist, which keeps working offline through the outbox.

import { h, replace } from './dom.js';
import { api, items, site, getSaved, remember } from './api.js';
import { t, tOr, text, dateTime, countdown, dateOnly } from './i18n.js';
import { outbox, itemTarget } from './outbox.js';
import { cameraButton, queuePhotos, devicePhotos, fillDevicePhotos, photoFlags } from './photos.js';

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
  const pendingBy = (id) => pend.photos.filter((p) => p.inspectionId === id).length + pend.answers.filter((a) => a.inspectionId === id).length;
  const card = (i) => {
    const s = sites.get(i.site_id);
    const n = pendingBy(i.id);
    return h('li', null, h('a', { class: 'task card', href: `/inspections/${i.id}`, dataset: { inspectionId: i.id } },
      h('span', { class: 'task-title' }, s?.name || t('site.unknown', { id: i.site_id })),
      h('span', { class: 'muted' }, s ? `${tOr(`site.type.${s.type}`, s.type)} · ${s.address}` : ''),
      h('span', { class: 'row' },
        h('span', { class: `chip ${i.status === 'returned' ? 'warn' : ''}` }, t(`inspection.status.${i.status}`)),
        h('span', { class: 'muted' }, t('inspection.due', { at: dateTime(i.due) })),
        n ? h('span', { class: 'chip warn' }, t('outbox.badge', { n })) : null),
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
  const state = { detail, flags: new Map(), flagAsked: new Map() };

  if (detail.status === 'assigned') {
    const btn = h('button', { type: 'button', class: 'primary wide', id: 'start-inspection' }, t('inspection.start'));
    const err = h('p', { class: 'form-error', role: 'alert' });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await api.post(`/api/v1/inspections/${id}/start`);
        ctx.navigate(`/inspections/${id}`, { replace: true });
      } catch (e) {
        replace(err, e.network ? t('error.network_start') : e.message);
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

  async function refreshSummary() {
    const pend = await outbox.pending((r) => r.inspectionId === id);
    const local = new Map(pend.answers.map((a) => [a.code, a]));
    const its = state.detail.items || [];
    const answered = its.filter((it) => ['pass', 'fail', 'na'].includes(local.get(it.code)?.body.answer || it.answer)).length;
    const photosWaiting = pend.photos.filter((p) => p.state !== 'rejected').length;
    const rejected = pend.photos.filter((p) => p.state === 'rejected').length;
    const allLocalPhotos = (await outbox.allPhotos()).filter((p) => p.inspectionId === id);
    const uploaded = allLocalPhotos.filter((p) => p.state === 'uploaded').length;
    root.dataset.pending = String(pend.total);
    root.dataset.uploaded = String(uploaded);
    replace(summary,
      h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': its.length, 'aria-valuenow': answered, 'aria-label': t('inspection.progress_label') },
        h('span', { class: 'bar-fill', style: undefined })),
      h('p', null, t('inspection.progress', { done: answered, total: its.length })),
      h('p', { class: pend.total ? 'warn-text' : 'ok-text', id: 'sync-status' },
        pend.total
          ? t(navigator.onLine === false ? 'inspection.sync_offline' : 'inspection.sync_pending', { photos: photosWaiting, answers: pend.answers.length })
          : t('inspection.sync_done', { n: uploaded })),
      rejected ? h('p', { class: 'bad-text' }, t('inspection.photos_rejected', { n: rejected })) : null);
    summary.querySelector('.bar-fill').style.width = `${its.length ? (100 * answered) / its.length : 0}%`;
    renderSubmit(answered, its.length, pend.total);
  }

  function renderSubmit(answered, total, pending) {
    if (!editable) {
      replace(submitBox, h('p', { class: 'ok-text' }, t(`inspection.status.${state.detail.status}`)));
      return;
    }
    const missingPhoto = (state.detail.items || []).filter((it) => needsPhotoNow(it) && it.photo_count === 0 && !hasLocalPhoto(it.code));
    let why = '';
    if (answered < total) why = t('inspection.submit_unanswered', { n: total - answered });
    else if (missingPhoto.length) why = t('inspection.submit_photos_missing', { n: missingPhoto.length });
    else if (pending) why = t('inspection.submit_wait_sync');
    const btn = h('button', { type: 'button', class: 'primary wide', id: 'submit-inspection', disabled: !!why }, t('inspection.submit'));
    const err = h('p', { class: 'form-error', role: 'alert' });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await api.post(`/api/v1/inspections/${id}/submit`);
        state.detail = await api.get(detailPath);
        remember(detailPath, state.detail);
        replace(submitBox, h('p', { class: 'ok-text', id: 'submitted', role: 'status' }, t('inspection.submitted')));
        root.dataset.status = state.detail.status;
      } catch (e) {
        replace(err, e.network ? t('error.network_submit') : e.message);
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
    if (local.length) localPhotoCodes.add(it.code);
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
    if (d) {
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
    fillDevicePhotos(photosEl, local, state.flags);
    const camId = `cam-${it.code}`;
    const photoErr = h('p', { class: 'form-error', role: 'alert' });
    const citations = (rule.citations || []).map((c) => h('li', null,
      `《${c.source}》${c.edition ? `（${c.edition}）` : ''}${c.clause || ''}`, ' ',
      h('span', { class: `chip ${c.status === 'V' ? 'ok' : c.status === 'U' ? 'warn' : ''}`, title: t(`citation.status_help.${c.status}`) }, t(`citation.status.${c.status}`))));

    let statusLine = null;
    if (pendAnswer) {
      statusLine = h('p', { class: `item-status ${pendAnswer.state === 'rejected' ? 'bad-text' : 'warn-text'}`, role: 'status' },
        pendAnswer.state === 'rejected' ? t('answer.rejected', { reason: pendAnswer.error }) : t(navigator.onLine === false || pendAnswer.error ? 'answer.saved_on_device' : 'answer.saving'),
        pendAnswer.state === 'rejected' ? h('button', { type: 'button', class: 'small', onclick: () => outbox.discardAnswer(pendAnswer.key) }, t('answer.discard')) : null);
    } else if (current === 'fail') {
      statusLine = h('p', { class: 'item-status' },
        t(`outcome.${it.outcome}`), it.outcome === 'hazard' && it.deadline ? ` · ${t('inspection.deadline_at', { at: dateTime(it.deadline) })}` : '',
        it.hazard_id ? [' · ', h('a', { href: `/hazards/${it.hazard_id}` }, t('inspection.hazard_link', { id: it.hazard_id }))] : null);
    }

    const needPhoto = needsPhotoNow(it);
    replace(el,
      h('header', null,
        h('span', { class: 'code' }, it.code),
        rule.gb35181_element ? h('span', { class: 'chip warn', title: t('rule.gb35181_help') }, t('rule.gb35181', { el: rule.gb35181_element })) : null,
        h('h3', null, text(rule.title) || it.code)),
      h('p', null, text(rule.explanation)),
      h('details', { class: 'basis' }, h('summary', null, t('rule.basis', { n: citations.length })), h('ul', null, citations),
        rule.because?.length ? h('p', { class: 'muted' }, t('rule.because', { why: rule.because.join('；') })) : null),
      h('p', { class: 'evidence muted' }, t(`evidence.${rule.evidence || 'photo'}`), it.ai_checks?.length ? ` · ${t('rule.ai_checks', { list: it.ai_checks.map((c) => tOr(`flag.code.${c}`, c)).join('、') })}` : ''),
      h('div', { class: 'segmented', role: 'group', 'aria-label': t('answer.label') }, answerBtn('pass'), answerBtn('fail'), answerBtn('na')),
      failPanel,
      statusLine,
      h('div', { class: 'photo-row' },
        editable ? cameraButton({ id: camId, label: needPhoto ? t('photo.take_required') : t('photo.take'), onFiles: async (files) => {
          const probs = await queuePhotos(files, itemTarget(id, it.code), { inspectionId: id, itemCode: it.code });
          replace(photoErr, probs.join(' '));
        } }) : null,
        it.photo_count ? h('span', { class: 'muted' }, t('photo.on_server', { n: it.photo_count })) : null),
      photoErr,
      photosEl);
    el.classList.toggle('needs-photo', needPhoto && it.photo_count === 0 && !hasLocalPhoto(it.code));
    pollFlags(local, it);
    return el;
  }

  // Flags arrive after the server has analysed a photo; ask a few times.
  async function pollFlags(local, it) {
    for (const p of local) {
      if (p.state !== 'uploaded' || state.flags.has(p.id)) continue;
      const asked = state.flagAsked.get(p.id) || 0;
      if (asked >= 12 || (p.uploadedAt && Date.now() - p.uploadedAt > 10 * 60000 && asked > 0)) continue;
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
      nodes.push(h('h2', { class: 'group' }, tOr(`location.${loc}`, loc)));
      for (const it of arr) nodes.push(await renderItem(it));
    }
    replace(list, nodes);
    await refreshSummary();
  }

  const bulkNA = editable ? h('details', { class: 'bulk' }, h('summary', null, t('inspection.bulk_title')),
    h('p', { class: 'muted' }, t('inspection.bulk_help')),
    h('button', { type: 'button', class: 'small', id: 'mark-rest-na', onclick: async () => {
      const pend = await outbox.answers(id);
      for (const it of state.detail.items || []) {
        const local = pend.find((a) => a.code === it.code);
        const a = local?.body.answer || it.answer;
        if (!['pass', 'fail', 'na'].includes(a)) await outbox.setAnswer(id, it.code, { answer: 'na', note: '' });
      }
    } }, t('inspection.bulk_na'))) : null;

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
        if (d.state === 'uploaded') it.photo_count = Math.max(it.photo_count, 0);
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
    h('a', { href: '/inspector', class: 'back' }, t('nav.back_today')),
    h('h1', null, s.name || t('site.unknown', { id: detail.site_id })),
    h('p', { class: 'muted' }, `${tOr(`site.type.${s.type}`, s.type || '')} · ${s.address || ''}`),
    h('p', { class: 'muted' }, t('inspection.due', { at: dateTime(detail.due) }), ' · ', t(`inspection.status.${detail.status}`)));
}

