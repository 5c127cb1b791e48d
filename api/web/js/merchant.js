// The merchant's phone screens: own premises, open hazards with a live deadline
// countdown, the legal basis in plain words, what photo proves the fix, proof
// upload (through the outbox, so a weak signal loses nothing) and the rating.

import { h, replace } from './dom.js';
import { api, items, ApiError, DRAFT } from './api.js';
import { t, tOr, ruleLang, dateTime, countdown } from './i18n.js';
import { outbox, hazardTarget } from './outbox.js';
import { cameraButton, queuePhotos, renderDevicePhotos } from './photos.js';
import { stateChip, hazardPeople } from './hazard.js';
import { evidenceSection } from './evidence.js';
import { paperworkLinks } from './paperwork.js';
import { apiErrorText } from './errors.js';

const CLOSED = ['closed_fixed', 'closed_on_spot', 'withdrawn'];

function countdownEl(m, ctx) {
  const el = h('p', { class: 'countdown', role: 'timer', 'aria-live': 'off' });
  const tick = () => {
    if (CLOSED.includes(m.state)) { replace(el, t(`hazard.state.${m.state}`)); el.className = 'countdown done'; return; }
    const cd = countdown(m.deadline);
    el.className = `countdown ${cd.overdue ? 'overdue' : cd.ms < 86400000 ? 'soon' : ''}`;
    replace(el, h('span', { class: 'big' }, cd.text), h('span', { class: 'muted' }, t('merchant.deadline_at', { at: dateTime(m.deadline) })));
  };
  tick();
  ctx.every(30000, tick);
  return el;
}

async function merchantHazards() {
  return items(await api.get(`/api/v1/merchant/hazards${api.qs({ lang: ruleLang() })}`));
}

/** merchantStateChip names a hazard's state by what it means for the owner
 * ("passed to a higher office: still to fix"), not by the workflow's name for it. */
function merchantStateChip(state) {
  const chip = stateChip(state);
  const own = tOr(`merchant.state.${state}`, '');
  if (own) replace(chip, own);
  return chip;
}

/** toFix reports whether the owner still has to fix the hazard and send proof:
 * proof already sent waits for the re-inspection (more may be added). */
const toFix = (m) => m.can_submit_proof && m.state !== 'rectification_submitted';

/** needsMe says what the merchant has to do about a hazard now, or ''. */
function needsMe(m) {
  if (toFix(m)) return m.overdue ? 'merchant.do_overdue' : 'merchant.do_proof';
  if (m.can_rate) return 'merchant.do_rate';
  return '';
}

/** selfCheckButton begins a self-inspection (自查自纠) of site s and opens its checklist. */
function selfCheckButton(s, ctx) {
  const err = h('p', { class: 'form-error', role: 'alert' });
  const btn = h('button', { type: 'button', class: 'small', dataset: { action: 'self-check', siteId: s.id }, onclick: async () => {
    btn.disabled = true;
    try {
      const d = await api.post(`/api/v1/merchant/sites/${s.id}/self-inspections`);
      ctx.navigate(`/inspections/${d.id}`);
    } catch (e) { replace(err, apiErrorText(e)); btn.disabled = false; }
  } }, t('merchant.self_check_start'));
  return [btn, err];
}

export async function homeView(ctx) {
  const [sites, list, checks] = await Promise.all([api.get('/api/v1/sites').then(items).catch(() => []), merchantHazards(),
    api.get('/api/v1/inspections?limit=50').then(items).catch(() => [])]);
  const openChecks = checks.filter((i) => i.self_check && i.status !== 'submitted');
  const card = (m) => h('li', null, h('a', { href: `/merchant/hazards/${m.id}`, class: `card task ${m.overdue ? 'overdue' : ''}`, dataset: { hazardId: m.id } },
    h('span', { class: 'task-title' }, problemTitle(m)),
    m.finding ? h('span', { class: 'muted small-text' }, t('merchant.requirement', { title: m.title })) : null,
    h('span', { class: 'muted', translate: 'no' }, m.site_name),
    h('span', { class: 'row wrap' }, merchantStateChip(m.state), m.severity === 'major' ? h('span', { class: 'chip bad' }, t('severity.major')) : null,
      needsMe(m) ? h('span', { class: `chip ${m.overdue ? 'bad' : 'warn'} do`, dataset: { todo: needsMe(m) } }, t(needsMe(m))) : null),
    CLOSED.includes(m.state) ? null : countdownEl(m, ctx)));
  // What needs doing leads: overdue first, then the nearest deadline; then the
  // ratings asked for. The rest (waiting for the office) follows.
  const todo = list.filter(toFix).sort((a, b) => (b.overdue - a.overdue) || (new Date(a.deadline) - new Date(b.deadline)));
  const rate = list.filter((m) => !toFix(m) && m.can_rate);
  const mine = [...todo, ...rate];
  const waiting = list.filter((m) => !mine.includes(m) && !CLOSED.includes(m.state));
  const closed = list.filter((m) => !mine.includes(m) && CLOSED.includes(m.state));
  return h('div', { class: 'page' },
    h('h1', null, t('merchant.title')),
    h('section', { class: 'todo', id: 'merchant-todo-section' },
      h('h2', null, t('merchant.todo_title'), ' ', h('span', { class: 'count' }, mine.length)),
      h('p', { class: todo.length ? 'note' : 'ok-text', id: 'merchant-todo', role: 'status' },
        todo.length ? t('merchant.todo', { n: todo.length }) : rate.length ? t('merchant.todo_rate', { n: rate.length }) : t('merchant.nothing_to_do')),
      mine.length ? h('ul', { class: 'tasks', id: 'merchant-todo-list' }, mine.map(card)) : null),
    waiting.length ? h('section', null, h('h2', null, t('merchant.waiting_office'), ' ', h('span', { class: 'count' }, waiting.length)),
      h('ul', { class: 'tasks', id: 'merchant-waiting-list' }, waiting.map(card))) : null,
    closed.length ? h('section', null, h('h2', null, t('merchant.closed_hazards')), h('ul', { class: 'tasks' }, closed.map(card))) : null,
    h('section', null, h('h2', null, t('merchant.premises')),
      h('p', { class: 'muted' }, t('merchant.self_check_help')),
      openChecks.length ? h('ul', { class: 'tasks', id: 'self-checks' }, openChecks.map((i) => h('li', null,
        h('a', { href: `/inspections/${i.id}`, class: 'card task', dataset: { inspectionId: i.id } },
          h('span', { class: 'task-title' }, t('merchant.self_check_continue')),
          h('span', { class: 'muted', translate: 'no' }, sites.find((s) => s.id === i.site_id)?.name || ''))))) : null,
      sites.length ? h('ul', { class: 'plain' }, sites.map((s) => h('li', { class: 'card' }, h('strong', { translate: 'no' }, s.name), h('br'), h('span', { class: 'muted', translate: 'no' }, s.address),
        h('div', { class: 'row' }, ...selfCheckButton(s, ctx))))) : h('p', { class: 'muted' }, t('merchant.no_premises'))));
}

export async function hazardView(ctx) {
  const id = Number(ctx.params.id);
  const [list, detail, people] = await Promise.all([merchantHazards(), api.get(`/api/v1/hazards/${id}`), hazardPeople(id)]);
  const m = list.find((x) => x.id === id);
  if (!m) throw new ApiError(404, 'not_found');
  const root = h('div', { class: 'page merchant-hazard', dataset: { hazardId: id, state: m.state } });
  const target = hazardTarget(id);

  // Proof: photos through the outbox, then "submit" names the uploaded ones.
  let proof = null;
  if (m.can_submit_proof) {
    const photosEl = h('div', { class: 'photos', id: 'proof-photos' });
    const note = h('textarea', { id: 'proof-note', rows: 3, placeholder: t('merchant.proof_note_ph') });
    // The note is kept on the phone as it is typed: the camera app or a call may
    // take the page away before it is sent.
    const draftKey = `${DRAFT}proof-note.${id}`;
    const keepDraft = (v) => { try { if (v) localStorage.setItem(draftKey, v); else localStorage.removeItem(draftKey); } catch { /* private mode */ } };
    try { note.value = localStorage.getItem(draftKey) || ''; } catch { /* private mode */ }
    note.addEventListener('input', () => keepDraft(note.value));
    const err = h('p', { class: 'form-error', role: 'alert' });
    const photoErr = h('p', { class: 'form-error', role: 'alert', id: 'proof-photo-error' });
    const status = h('p', { class: 'muted', id: 'proof-status', role: 'status' });
    const submit = h('button', { type: 'button', class: 'primary wide', id: 'submit-proof', disabled: true }, t('merchant.submit_proof'));
    const refresh = async () => {
      const local = await renderDevicePhotos(photosEl, target);
      const up = local.filter((p) => p.state === 'uploaded');
      const waiting = local.filter((p) => p.state !== 'uploaded' && p.state !== 'rejected');
      const refused = local.length - up.length - waiting.length;
      submit.disabled = !up.length || waiting.length > 0;
      replace(status, waiting.length ? t(navigator.onLine === false ? 'merchant.proof_waiting_offline' : 'merchant.proof_waiting', { n: waiting.length })
        : up.length ? t('merchant.proof_ready', { n: up.length }) : refused ? t('merchant.proof_refused', { n: refused }) : t('merchant.proof_none'));
      root.dataset.uploaded = String(up.length);
    };
    ctx.on(outbox, 'change', (e) => { if (e.detail?.kind === 'photo') refresh(); });
    ctx.on(window, 'online', refresh);
    ctx.on(window, 'offline', refresh);
    submit.addEventListener('click', async () => {
      const local = (await outbox.photos(target)).filter((p) => p.state === 'uploaded');
      submit.disabled = true;
      replace(err);
      try {
        await api.post(`/api/v1/merchant/hazards/${id}/proof`, { note: note.value.trim(), photo_ids: local.map((p) => p.id) });
        for (const p of local) await outbox.discardPhoto(p.id);
        keepDraft('');
        ctx.navigate(`/merchant/hazards/${id}`, { replace: true });
      } catch (e) {
        replace(err, e.network ? t('error.network_submit') : apiErrorText(e));
        submit.disabled = false;
      }
    });
    // A photo the button cannot take (an iPhone's HEIC) is named, with what to do.
    const onFiles = async (files) => {
      const problems = await queuePhotos(files, target, { hazardId: id });
      replace(photoErr, problems.length ? [problems.map((p) => [p, h('br')]), t('merchant.proof_unsupported_help')] : null);
    };
    proof = h('section', { class: 'card proof' },
      h('h2', null, t(m.state === 'rectification_submitted' ? 'merchant.proof_more_title' : 'merchant.proof_title')),
      h('p', { class: 'proof-needed' }, h('strong', null, t('merchant.proof_needed')), ' ', m.proof_needed),
      cameraButton({ id: 'proof-cam', label: t('merchant.take_proof'), onFiles }),
      photoErr, photosEl, status,
      h('label', { for: 'proof-note' }, t('merchant.proof_note')), note, err, submit);
    refresh();
  }

  let rating = null;
  if (m.can_rate) {
    // A star is chosen first, then confirmed: a stray tap never rates.
    const err = h('p', { class: 'form-error', role: 'alert' });
    let chosen = 0;
    const confirmBtn = h('button', { type: 'button', class: 'primary', id: 'confirm-rating', disabled: true }, t('merchant.rate_confirm_none'));
    const stars = [1, 2, 3, 4, 5].map((n) => h('button', {
      type: 'button', class: 'star', 'aria-pressed': 'false', 'aria-label': t('merchant.stars', { n }), dataset: { stars: n },
      onclick: () => {
        chosen = n;
        stars.forEach((b, i) => { b.setAttribute('aria-pressed', String(i < n)); b.classList.toggle('on', i < n); });
        confirmBtn.disabled = false;
        confirmBtn.textContent = t('merchant.rate_confirm', { n });
      },
    }, '★'));
    confirmBtn.addEventListener('click', async () => {
      if (!chosen) return;
      confirmBtn.disabled = true;
      try { await api.post(`/api/v1/hazards/${id}/rating`, { rating: chosen }); ctx.navigate(`/merchant/hazards/${id}`, { replace: true }); } catch (e2) { replace(err, errorText(e2)); confirmBtn.disabled = false; }
    });
    rating = h('section', { class: 'card rating' }, h('h2', null, t('merchant.rate_title')), h('p', { class: 'muted' }, t('merchant.rate_intro')),
      h('div', { class: 'stars', role: 'group', 'aria-label': t('merchant.rate_title') }, stars), confirmBtn, err);
  } else if (m.rating) {
    rating = h('section', { class: 'card' }, h('h2', null, t('merchant.your_rating')), h('p', { class: 'stars-static', 'aria-label': t('merchant.stars', { n: m.rating }) }, '★'.repeat(m.rating) + '☆'.repeat(5 - m.rating)));
  }

  const events = (detail.events || []).slice().sort((a, b) => a.seq - b.seq);
  const pl = (ev) => { try { return typeof ev.payload === 'string' ? JSON.parse(ev.payload) : (ev.payload || {}); } catch { return {}; } };
  // The re-inspection found it not fixed since the last proof: say why, first.
  const back = events.filter((ev) => ev.kind === 'reinspect_present').pop();
  const lastProof = events.filter((ev) => ev.kind === 'submit_proof').pop();
  const sentBack = back && toFix(m) && (!lastProof || back.seq > lastProof.seq) ? h('section', { class: 'card bad-card', id: 'merchant-sent-back' },
    h('h2', null, t('merchant.sent_back_title')),
    pl(back).note ? h('blockquote', { class: 'note', translate: 'no' }, pl(back).note) : null,
    h('p', null, t('merchant.sent_back_todo'))) : null;
  const instruction = events.filter((ev) => ev.kind === 'notify' && pl(ev).note).map((ev) => pl(ev).note).pop() || '';
  const inspector = people.responsible;
  const det = detail.determination;
  const sup = detail.supervision;
  const finding = h('section', { class: 'card finding', id: 'merchant-finding' },
    h('h2', null, t('merchant.finding')),
    detail.note ? h('blockquote', { class: 'note', id: 'finding-note', translate: 'no' }, detail.note) : h('p', { class: 'muted' }, t('merchant.no_note')),
    h('dl', { class: 'facts' },
      h('dt', null, t('merchant.found_at')), h('dd', null, dateTime(detail.created_at)),
      inspector ? [h('dt', null, t('merchant.inspector')), h('dd', { id: 'merchant-inspector' }, h('span', { translate: 'no' }, inspector.display_name),
        inspector.phone ? [' · ', h('a', { href: `tel:${inspector.phone}`, id: 'inspector-phone', translate: 'no' }, inspector.phone)] : null)] : null),
    instruction ? [h('h3', null, t('merchant.instruction')), h('blockquote', { class: 'note', id: 'office-instruction', translate: 'no' }, instruction)] : null);
  const major = det?.conclusion === 'major' || sup ? h('section', { class: 'card bad-card', id: 'merchant-major' },
    h('h2', null, t('merchant.major_title')),
    det?.measures ? [h('h3', null, t('det.measures')), h('p', { id: 'merchant-measures', translate: 'no' }, det.measures)] : null,
    sup ? h('dl', { class: 'facts', id: 'merchant-supervision' },
      h('dt', null, t('hazard.listed_supervision')), h('dd', null, t('merchant.supervised_since', { at: dateTime(sup.created_at) })),
      h('dt', null, t('det.supervising_unit')), h('dd', { id: 'merchant-supervisor', translate: 'no' }, sup.supervising_unit_name || ''),
      h('dt', null, t('det.deadline')), h('dd', { id: 'merchant-supervision-deadline' }, dateTime(sup.deadline))) : null) : null;
  replace(root,
    h('header', { class: 'page-head' },
      h('a', { href: '/merchant', class: 'back' }, t('nav.back')),
      h('p', { class: 'muted' }, h('span', { translate: 'no' }, m.site_name), ' · ', h('span', { translate: 'no' }, m.site_address)),
      h('h1', null, problemTitle(m)),
      m.finding ? h('p', { class: 'muted', id: 'merchant-requirement' }, t('merchant.requirement', { title: m.title })) : null,
      h('p', { class: 'row wrap' }, merchantStateChip(m.state), m.severity !== 'general' ? h('span', { class: 'chip bad' }, t(`severity.${m.severity}`)) : null)),
    m.state === 'rectification_submitted' ? h('p', { class: 'card ok-text', id: 'proof-submitted', role: 'status' }, t('merchant.proof_submitted')) : null,
    sentBack,
    // The rating asked for on the home screen is the first thing on the page.
    m.can_rate ? rating : null,
    CLOSED.includes(m.state) ? null : h('section', { class: 'card deadline' }, h('h2', null, t('merchant.deadline')), countdownEl(m, ctx)),
    finding,
    major,
    proof,
    evidenceSection(detail),
    paperworkLinks(id),
    h('section', { class: 'card' }, h('h2', null, t('merchant.what')), h('p', null, m.explanation)),
    h('section', { class: 'card' }, h('h2', null, t('merchant.legal_basis')),
      m.legal_basis?.length ? h('ul', { class: 'basis-list' }, m.legal_basis.map((b) => h('li', { translate: 'no' }, b))) : h('p', { class: 'muted' }, t('merchant.no_basis'))),
    m.can_rate ? null : rating,
    h('section', { class: 'card' }, h('h2', null, t('merchant.progress')),
      h('ol', { class: 'timeline' }, events.map((ev) => h('li', { class: 'event' }, h('strong', null, tOr(`event.kind.${ev.kind}`, t('event.kind.other'))), ' · ', h('time', { datetime: ev.at }, dateTime(ev.at)))))));
  return root;
}

/** problemTitle words the hazard as the problem found: the inspector's words
 * when they wrote some ("发现：门口停放电动车"), else the requirement as not met
 * ("未做到：…"), never the requirement alone. The finding is what people typed. */
function problemTitle(m) {
  if (m.finding) return h('span', null, t('merchant.found'), h('span', { translate: 'no' }, m.finding));
  return t('merchant.problem_title', { title: m.title });
}

function errorText(e) {
  if (e.network) return t('error.network');
  return apiErrorText(e);
}
