// Evidence, labelled and comparable: a hazard's photos in three groups side by
// side — taken at the inspection, sent as proof of the fix, taken at the
// re-inspection — each opening in an in-app viewer where the AI's boxes can be
// shown or hidden.

import { h, replace } from './dom.js';
import { api, items } from './api.js';
import { t, tOr } from './i18n.js';
import { thumbURL, originalURL, boxLabel } from './photos.js';

const PROOF = new Set(['submit_proof']);
const REINSPECTION = new Set(['reinspect_fixed', 'reinspect_present']);

function payload(ev) {
  try { return typeof ev.payload === 'string' ? JSON.parse(ev.payload) : (ev.payload || {}); } catch { return {}; }
}

/** evidenceGroups sorts a hazard's photos by when they were taken: the events
 * that name photos say which are proof and which re-inspection; the rest come
 * from the inspection (the items that recorded it, and confirmed AI flags). */
export function evidenceGroups(hz) {
  const groups = { inspection: [], proof: [], reinspection: [] };
  const placed = new Set();
  for (const ev of hz.events || []) {
    const ids = payload(ev).photo_ids || [];
    const g = PROOF.has(ev.kind) ? 'proof' : REINSPECTION.has(ev.kind) ? 'reinspection' : null;
    if (!g) continue;
    for (const id of ids) if (!placed.has(id)) { placed.add(id); groups[g].push(id); }
  }
  for (const id of hz.photo_ids || []) if (!placed.has(id)) { placed.add(id); groups.inspection.push(id); }
  return groups;
}

/** evidenceSection shows the three groups side by side (stacked on a phone). */
export function evidenceSection(hz, { staff = false } = {}) {
  const g = evidenceGroups(hz);
  const col = (key) => h('section', { class: 'evidence-group', id: `evidence-${key}`, 'aria-labelledby': `evidence-${key}-title`, dataset: { count: g[key].length } },
    h('h3', { id: `evidence-${key}-title` }, t(`gallery.group.${key}`), ' ', h('span', { class: 'count' }, g[key].length)),
    g[key].length
      ? h('div', { class: 'photos' }, g[key].map((id, i) => h('figure', { class: 'photo ok', dataset: { photoId: id, state: 'uploaded' } },
        h('button', { type: 'button', class: 'zoom-open', 'aria-label': t('gallery.open', { n: i + 1, group: t(`gallery.group.${key}`) }), onclick: () => openViewer(id, { staff }) },
          h('img', { src: thumbURL(id), alt: t('gallery.photo_alt', { n: i + 1, group: t(`gallery.group.${key}`) }), loading: 'lazy', width: 96, height: 96 })))))
      : h('p', { class: 'muted' }, t('photo.none')));
  return h('section', { class: 'card evidence', id: 'evidence' },
    h('h2', null, t('gallery.title')),
    h('div', { class: 'evidence-groups' }, col('inspection'), col('proof'), col('reinspection')),
    staff ? proofChecksSection(hz, g, { staff }) : null);
}

const VERDICT_CHIP = { hazard_gone: 'ok', different_place: 'warn', still_present: 'bad' };

/** proofChecksSection shows the AI's before/after check of each proof photo: the
 * evidence photo and the proof side by side with the verdict, labelled as a
 * suggestion — the office decides, nothing closes on it. */
export function proofChecksSection(hz, groups, { staff = false } = {}) {
  const checks = hz.proof_checks || [];
  if (!checks.length) {
    return groups.proof.length
      ? h('p', { class: 'muted small-text', id: 'proof-checks-pending' }, t('gallery.verdict_pending'))
      : null;
  }
  const pct = (x) => `${Math.round(100 * x)}%`;
  const thumb = (id, label) => h('figure', { class: 'photo ok', dataset: { photoId: id } },
    h('button', { type: 'button', class: 'zoom-open', 'aria-label': label, onclick: () => openViewer(id, { staff }) },
      h('img', { src: thumbURL(id), alt: label, loading: 'lazy', width: 96, height: 96 })),
    h('figcaption', { class: 'small-text muted' }, label));
  return h('section', { class: 'proof-checks', id: 'proof-checks', 'aria-labelledby': 'proof-checks-title' },
    h('h3', { id: 'proof-checks-title' }, t('proofcheck.title')),
    h('p', { class: 'muted small-text' }, t('proofcheck.decide')),
    h('ul', { class: 'proof-check-list' }, checks.map((c) => h('li', { class: 'proof-check', dataset: { verdict: c.verdict, proofPhotoId: c.proof_photo_id, evidencePhotoId: c.evidence_photo_id } },
      h('div', { class: 'row wrap proof-check-photos' },
        thumb(c.evidence_photo_id, t('proofcheck.before')),
        thumb(c.proof_photo_id, t('proofcheck.after'))),
      h('div', { class: 'proof-check-verdict' },
        h('span', { class: 'chip muted' }, t('proofcheck.suggestion')), ' ',
        h('span', { class: `chip ${VERDICT_CHIP[c.verdict] ?? ''}`, dataset: { verdict: c.verdict } }, tOr(`proofcheck.verdict.${c.verdict}`, c.verdict)), ' ',
        h('span', { class: 'muted small-text' }, t('proofcheck.scores', { same: pct(c.same_place_score), still: pct(c.still_present_score) }))),
      (c.reasons || []).length
        ? h('ul', { class: 'proof-check-reasons small-text' }, c.reasons.map((r) => h('li', { dataset: { reason: r } }, tOr(`proofcheck.reason.${r}`, r))))
        : null))));
}

/** openViewer shows one photo large, in the app, with the AI's boxes toggleable. */
export async function openViewer(id, { staff = false } = {}) {
  document.getElementById('viewer')?.remove();
  // Escape or the close button hands the keyboard back to the photo that opened it.
  const opener = document.activeElement;
  const openerPhoto = opener?.closest?.('[data-photo-id]')?.dataset.photoId;
  const frame = h('div', { class: 'viewer-frame' });
  const img = h('img', { src: originalURL(id), alt: t('gallery.viewer_alt') });
  frame.appendChild(img);
  const boxes = h('div', { class: 'viewer-boxes' });
  frame.appendChild(boxes);
  const toggle = h('input', { type: 'checkbox', id: 'viewer-boxes', checked: true, onchange: () => { boxes.hidden = !toggle.checked; } });
  const toggleRow = h('label', { class: 'inline', for: 'viewer-boxes', hidden: true }, toggle, ' ', t('gallery.show_boxes'));
  const close = h('button', { type: 'button', class: 'primary', id: 'viewer-close' }, t('common.close'));
  const dlg = h('dialog', { id: 'viewer', class: 'viewer', 'aria-label': t('gallery.viewer_alt') },
    h('div', { class: 'row wrap viewer-tools' }, toggleRow, h('span', { class: 'muted', id: 'viewer-flags' }), close), frame);
  close.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => {
    dlg.remove();
    // The page may have drawn the photo again meanwhile (its AI flags arrived).
    const back = opener?.isConnected ? opener : openerPhoto && document.querySelector(`[data-photo-id="${openerPhoto}"] .zoom-open`);
    back?.focus?.();
  });
  document.body.appendChild(dlg);
  dlg.showModal();
  if (!staff) return dlg;
  try {
    const [flags, meta] = await Promise.all([api.get(`/api/v1/photos/${id}/flags`).then(items), api.get(`/api/v1/photos/${id}`)]);
    const withBoxes = flags.filter((f) => f.boxes?.length);
    if (!withBoxes.length || !meta.width) return dlg;
    toggleRow.hidden = false;
    replace(dlg.querySelector('#viewer-flags'), flags.map((f) => tOr(`flag.code.${f.code}`, t('flag.unknown_code'))).join(t('common.list_sep')));
    for (const f of withBoxes) {
      for (const b of f.boxes) {
        const box = h('span', { class: 'box' }, h('span', null, boxLabel(b)));
        Object.assign(box.style, { left: `${(100 * b.x1) / meta.width}%`, top: `${(100 * b.y1) / meta.height}%`, width: `${(100 * (b.x2 - b.x1)) / meta.width}%`, height: `${(100 * (b.y2 - b.y1)) / meta.height}%` });
        boxes.appendChild(box);
      }
    }
    dlg.dataset.boxes = String(boxes.children.length);
  } catch { /* the photo alone still helps */ }
  return dlg;
}
