// Evidence photos on the device and on the server: the camera button, the tiles
// with each photo's upload state, and AI flags once the server has looked.

import { apiErrorText } from './errors.js';
import { h, replace, svg, uuid4 } from './dom.js';
import { api, items } from './api.js';
import { t, tOr, number } from './i18n.js';
import { outbox } from './outbox.js';
import { openViewer } from './evidence.js';

export const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp'];

/** cameraButton is a large label around a file input that opens the rear camera on a phone. */
export function cameraButton({ id, label, onFiles, disabled }) {
  const input = h('input', {
    id, type: 'file', accept: 'image/*', capture: 'environment', multiple: true, class: 'visually-hidden', disabled,
    onchange: async () => {
      const files = [...input.files];
      input.value = '';
      if (files.length) await onFiles(files);
    },
  });
  return h('label', { class: `camera${disabled ? ' disabled' : ''}`, for: id }, input, cameraIcon(), h('span', null, label));
}

function cameraIcon() {
  return svg('svg', { viewBox: '0 0 24 24', width: 22, height: 22, 'aria-hidden': 'true', class: 'icon' },
    svg('path', { d: 'M4 7h3l2-3h6l2 3h3a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1z', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linejoin': 'round' }),
    svg('circle', { cx: 12, cy: 13, r: 4, fill: 'none', stroke: 'currentColor', 'stroke-width': 2 }));
}

/** queuePhotos stores each file in the outbox for target; it returns the problems
 * found, as elements (a file's name is no word of the app's language). */
export async function queuePhotos(files, target, extra) {
  const problems = [];
  for (const f of files) {
    if (f.type && !ACCEPTED.includes(f.type)) {
      const [before, after = ''] = t('photo.unsupported', { name: '\u0001' }).split('\u0001');
      problems.push(h('span', null, before, h('span', { translate: 'no' }, f.name), after));
      continue;
    }
    await outbox.addPhoto(f, target, { ...extra, id: uuid4() });
  }
  return problems;
}

/** PHOTO_REFUSAL words the refusals a retry cannot change, saying what to do instead. */
const PHOTO_REFUSAL = { too_large: 'photo.refused.too_large', unsupported: 'photo.refused.unsupported' };

const STATE_CLASS = { queued: 'wait', uploading: 'busy', uploaded: 'ok', failed: 'warn', rejected: 'bad' };

/** photoState is the visible label of a photo's upload state. */
export function photoState(p) {
  if (p.state === 'failed') {
    if (p.error === 'offline' || p.error === 'network') return t('photo.state.failed_offline');
    if (p.error === 'login') return t('photo.state.failed_login');
    return t('photo.state.failed');
  }
  return t(`photo.state.${p.state}`);
}

export function thumbURL(id) { return `/api/v1/photos/${id}/content?variant=thumb`; }
export function originalURL(id) { return `/api/v1/photos/${id}/content`; }

/** photoTile shows one device photo with its state and, once uploaded, its AI flags. */
export function photoTile(p, { flags, onManualFlag } = {}) {
  const src = p.state === 'uploaded' ? thumbURL(p.id) : outbox.objectURL(p);
  const img = src ? h('img', { src, alt: t('photo.alt'), loading: 'lazy', width: 96, height: 96 }) : h('span', { class: 'noimg' }, '—');
  const actions = [];
  // The same bytes sent again are refused again for their size or kind: only a
  // new photo helps, so those offer no retry.
  const hopeless = p.state === 'rejected' && PHOTO_REFUSAL[p.error];
  if ((p.state === 'failed' || p.state === 'rejected') && !hopeless) {
    actions.push(h('button', { type: 'button', class: 'small', onclick: () => outbox.retryNow(p.id) }, t('photo.retry')));
  }
  if (p.state === 'rejected') {
    actions.push(h('button', { type: 'button', class: 'small danger', onclick: () => { if (confirm(t('photo.discard_confirm'))) outbox.discardPhoto(p.id); } }, t('photo.discard')));
  }
  if (p.state === 'uploaded' && onManualFlag) {
    // One tap marks what the model cannot see; a hazard already marked on this
    // photo has no button. The dialog adds one with a note.
    const marked = new Set((flags || []).filter((f) => f.manual).map((f) => f.code));
    const quick = MANUAL_CODES.filter((c) => !marked.has(c)).map((c) => h('button', {
      type: 'button', class: 'small quick-flag', dataset: { action: 'quick-flag', code: c, photoId: p.id },
      onclick: async (e) => { const b = e.currentTarget; b.disabled = true; await onManualFlag(p, c); b.disabled = false; },
    }, t('flag.quick', { label: tOr(`flag.code.${c}`, t('flag.unknown_code')) })));
    if (quick.length) actions.push(h('div', { class: 'quick-flags', role: 'group', 'aria-label': t('flag.quick_group') }, quick));
    actions.push(h('button', { type: 'button', class: 'small', dataset: { action: 'manual-flag', photoId: p.id }, onclick: () => onManualFlag(p) }, t('flag.add_manual')));
  }
  if (p.state !== 'uploaded' && p.state !== 'uploading' && !p.server) {
    // A photo not sent yet can be deleted (and taken again).
    if (p.state === 'queued' || p.state === 'failed') actions.push(h('button', { type: 'button', class: 'small', dataset: { action: 'delete-photo' }, onclick: () => { if (confirm(t('photo.discard_confirm'))) outbox.discardPhoto(p.id); } }, t('photo.discard')));
  }
  return h('figure', { class: `photo ${STATE_CLASS[p.state] || ''}`, dataset: { photoId: p.id, state: p.state } },
    // An uploaded photo opens in the app's viewer (the AI's boxes for the inspector).
    p.state === 'uploaded' ? h('button', { type: 'button', class: 'zoom-open', 'aria-label': t('photo.open'), onclick: () => openViewer(p.id, { staff: !!onManualFlag }) }, img) : img,
    h('figcaption', null,
      h('span', { class: `chip ${STATE_CLASS[p.state] || ''}`, role: 'status' }, photoState(p)),
      p.state === 'rejected' && p.error ? h('span', { class: 'small-text' }, hopeless ? t(PHOTO_REFUSAL[p.error]) : apiErrorText({ code: p.error, field: p.errorField })) : null,
      flags?.length ? h('span', { class: 'flags' }, flags.map(flagChip)) : null,
      actions),
  );
}

/** flagScore shows a flag's score as the detector's score (0.84), not a
 * percentage that reads as the chance of a hazard. */
export function flagScore(f) { return number(f.score, 2); }

/** boxLabel names what the detector saw in a box, with its score. */
export function boxLabel(b) { return `${tOr(`object.${b.class}`, t('object.unknown'))} ${number(b.score, 2)}`; }

/** scoreMeaning says what a flag's status and score mean: "flag" when the
 * check's condition holds with the detections sure enough to flag; "needs review"
 * when it holds only counting weaker or look-alike detections, so even a high
 * score (that of the clearest object) needs a person's look. */
export function scoreMeaning(f) {
  return t(f.status === 'flag' ? 'flag.meaning.flag' : 'flag.meaning.needs_review', { s: flagScore(f) });
}

/** flagChip names an AI flag in plain words: a suspicion, never a finding, with
 * its score, and what the score means in its title. */
export function flagChip(f) {
  const label = tOr(`flag.code.${f.code}`, t('flag.unknown_code'));
  const cls = f.review === 'rejected' ? 'muted' : (f.status === 'flag' ? 'bad' : 'warn');
  const review = f.review && f.review !== 'pending' ? ` · ${t(`flag.review.${f.review}`)}` : '';
  const what = f.manual ? t('flag.chip_manual', { label }) : t(f.status === 'flag' ? 'flag.chip_suspected' : 'flag.chip_unsure', { label, s: flagScore(f) });
  return h('span', { class: `chip ${cls} flag-chip`, title: f.manual ? '' : scoreMeaning(f), dataset: { code: f.code, status: f.status } }, `${what}${review}`);
}

/** photoFlags fetches a photo's flags; an API without the route gives none. */
export async function photoFlags(id) {
  try {
    return items(await api.get(`/api/v1/photos/${id}/flags`));
  } catch {
    return null;
  }
}

/** serverPhotos shows photos already on the server (ids from a hazard). */
export function serverPhotos(ids) {
  if (!ids?.length) return h('p', { class: 'muted' }, t('photo.none'));
  return h('div', { class: 'photos' }, ids.map((id) => h('figure', { class: 'photo ok' },
    h('a', { href: originalURL(id), target: '_blank', rel: 'noopener' }, h('img', { src: thumbURL(id), alt: t('photo.alt'), loading: 'lazy', width: 96, height: 96 })))));
}

/** renderDevicePhotos fills el with the device's photos for target. */
export async function renderDevicePhotos(el, target, flagCache) {
  const list = await devicePhotos(target);
  fillDevicePhotos(el, list, flagCache);
  return list;
}

/** devicePhotos lists the device's photos for target, oldest first. */
export async function devicePhotos(target) {
  return (await outbox.photos(target)).sort((a, b) => a.createdAt - b.createdAt);
}

/** fillDevicePhotos shows photos already read, so a redraw never blinks empty. */
export function fillDevicePhotos(el, list, flagCache, onManualFlag) {
  replace(el, list.map((p) => photoTile(p, { flags: flagCache?.get(p.id), onManualFlag })));
}

/** MANUAL_CODES are the hazards an inspector may mark by hand on a photo
 * (inspect.ManualHazards): what the model cannot see. */
export const MANUAL_CODES = ['combustibles_stacked', 'ebike_charging_indoor', 'escape_route_obstructed', 'two_wheeler_indoor'];

/** addManualFlag stores on the server a hazard the inspector marked by hand on
 * their photo; it resolves to the flag, which joins the office's review queue. */
export function addManualFlag(photoId, code, note = '') {
  return api.post(`/api/v1/photos/${photoId}/flags`, { code, note });
}

/** manualFlagDialog asks which hazard the photo shows and adds the flag; it
 * resolves to the flag stored, or null when cancelled. */
export function manualFlagDialog(photoId) {
  return new Promise((resolve) => {
    const radios = MANUAL_CODES.map((c) => h('input', { type: 'radio', name: 'manual-code', id: `manual-${c}`, value: c }));
    const note = h('textarea', { id: 'manual-note', rows: 2 });
    const err = h('p', { class: 'form-error', role: 'alert' });
    const ok = h('button', { type: 'submit', class: 'primary', id: 'manual-submit' }, t('flag.add_manual_submit'));
    const cancel = h('button', { type: 'button', class: 'link' }, t('common.cancel'));
    let result = null;
    const form = h('form', { method: 'dialog' },
      h('h2', null, t('flag.add_manual_title')),
      h('p', { class: 'muted' }, t('flag.add_manual_help')),
      h('fieldset', null, h('legend', null, t('flag.add_manual_what')), radios.map((r) => h('label', { class: 'radio', for: r.id }, r, t(`flag.code.${r.value}`)))),
      h('label', { for: 'manual-note' }, t('flag.confirm_note')), note, err,
      h('div', { class: 'row' }, ok, cancel));
    const dlg = h('dialog', { class: 'card manual-flag', id: 'manual-flag', 'aria-labelledby': 'manual-flag-title' }, form);
    form.querySelector('h2').id = 'manual-flag-title';
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const code = radios.find((r) => r.checked)?.value;
      if (!code) { replace(err, t('flag.add_manual_choose')); return; }
      ok.disabled = true;
      try {
        result = await addManualFlag(photoId, code, note.value.trim());
        dlg.close();
      } catch (ex) {
        replace(err, apiErrorText(ex));
        ok.disabled = false;
      }
    });
    document.body.appendChild(dlg);
    dlg.showModal();
  });
}
