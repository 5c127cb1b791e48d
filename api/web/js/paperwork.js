// Paperwork people sign: the inspection record (检查记录) and the rectification
// notice (整改通知书) of one hazard, laid out for printing, with a place for the
// merchant's acknowledgement. A signature drawn on the phone is stored as an
// event of the hazard (POST /hazards/{id}/acknowledgement).

import { h, replace } from './dom.js';
import { api, ApiError } from './api.js';
import { t, text, dateTime, dateOnly } from './i18n.js';
import { hazardPeople } from './hazard.js';
import { evidenceGroups } from './evidence.js';
import { thumbURL } from './photos.js';
import { apiErrorText } from './errors.js';

const DOCS = ['record', 'notice'];

function payload(ev) {
  try { return typeof ev.payload === 'string' ? JSON.parse(ev.payload) : (ev.payload || {}); } catch { return {}; }
}

/** paperworkLinks are the two documents' links for a hazard page. */
export function paperworkLinks(id) {
  return h('p', { class: 'row wrap paperwork-links' }, DOCS.map((d) => h('a', { href: `/hazards/${id}/print/${d}`, class: 'button-link', id: `print-${d}` }, t(`paper.${d}.link`))));
}

/** dossierLink downloads a site's file (一企一档) as the server's printable PDF. */
export function dossierLink(siteId) {
  return h('a', { href: `/api/v1/sites/${siteId}/dossier.pdf`, download: '', class: 'button-link dossier-link', dataset: { site: siteId }, title: t('site.dossier_help') }, t('site.dossier'));
}

export async function paperView(ctx) {
  const id = Number(ctx.params.id);
  const doc = ctx.params.doc;
  if (!DOCS.includes(doc)) throw new ApiError(404, 'not_found');
  const [hz, people] = await Promise.all([api.get(`/api/v1/hazards/${id}`), hazardPeople(id)]);
  const rule = typeof hz.rule === 'string' ? JSON.parse(hz.rule) : (hz.rule || {});
  const events = (hz.events || []).slice().sort((a, b) => a.seq - b.seq);
  const created = events.find((e) => e.kind === 'created');
  const notice = events.filter((e) => e.kind === 'notify').pop();
  const signed = events.filter((e) => e.kind === 'acknowledged' && payload(e).document === doc).pop();
  const photos = evidenceGroups(hz).inspection;
  const inspector = people.responsible;
  const back = ctx.user.role === 'merchant' ? `/merchant/hazards/${id}` : `/hazards/${id}`;
  const sigBox = h('section', { class: 'signature', id: 'signature' });
  const drawSigned = (ev) => {
    const p = payload(ev);
    replace(sigBox, h('h2', null, t('paper.ack_title')),
      h('p', null, t('paper.ack_text')),
      h('img', { src: p.signature, alt: t('paper.signature_alt', { name: p.name }), class: 'signature-img', id: 'signature-img' }),
      h('p', null, h('span', { translate: 'no' }, p.name), ' · ', dateTime(ev.at)));
  };
  if (signed) drawSigned(signed);
  else if (ctx.user.role === 'merchant') replace(sigBox, signaturePad(id, doc, drawSigned));
  else replace(sigBox, h('h2', null, t('paper.ack_title')), h('p', { class: 'muted' }, t('paper.not_signed')), h('div', { class: 'signature-blank' }));

  const facts = [
    [t('paper.site'), h('span', { translate: 'no' }, `${hz.site_name} · ${hz.site_address}`)],
    [t('paper.number'), t('hazard.number', { id })],
    [t('paper.found_at'), dateTime(created?.at || hz.created_at)],
    [t('paper.inspector'), inspector ? h('span', { translate: 'no' }, `${inspector.display_name}${inspector.phone ? ` · ${inspector.phone}` : ''}`) : '—'],
    [t('paper.item'), text(rule.title) || hz.rule_code],
    [t('hazard.col.severity'), t(`severity.${hz.severity}`)],
  ];
  if (doc === 'notice') facts.push([t('paper.deadline'), dateOnly(hz.deadline)]);
  return h('div', { class: 'page paper', dataset: { doc } },
    h('p', { class: 'no-print row wrap' }, h('a', { href: back, class: 'back' }, t('nav.back')),
      h('button', { type: 'button', class: 'primary', id: 'print', onclick: () => window.print() }, t('paper.print'))),
    h('h1', null, t(`paper.${doc}.title`)),
    h('dl', { class: 'facts paper-facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])),
    h('h2', null, t('paper.finding')),
    hz.note ? h('p', { translate: 'no' }, hz.note) : h('p', { class: 'muted' }, t('merchant.no_note')),
    h('p', null, text(rule.explanation)),
    doc === 'notice' ? [h('h2', null, t('paper.requirement')),
      h('p', null, t('paper.requirement_text', { at: dateOnly(hz.deadline) })),
      notice && payload(notice).note ? h('p', { translate: 'no' }, payload(notice).note) : null,
      h('h3', null, t('hazard.legal_basis')),
      h('ul', null, (rule.citations || []).map((c) => h('li', { translate: 'no' }, `《${c.source}》${c.clause || ''}`)))] : null,
    photos.length ? [h('h2', null, t('gallery.group.inspection')), h('div', { class: 'photos' }, photos.slice(0, 6).map((pid, i) => h('img', { src: thumbURL(pid), alt: t('gallery.photo_alt', { n: i + 1, group: t('gallery.group.inspection') }), width: 160, height: 120 })))] : null,
    sigBox);
}

/** signaturePad lets the merchant sign with a finger; the PNG goes to the server. */
function signaturePad(id, doc, done) {
  const canvas = h('canvas', { width: 600, height: 200, class: 'sig-canvas', id: 'sig-canvas', role: 'img', 'aria-label': t('paper.sign_here') });
  const name = h('input', { id: 'sig-name', autocomplete: 'name' });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'button', class: 'primary', id: 'sig-submit' }, t('paper.sign'));
  const clear = h('button', { type: 'button', class: 'link', id: 'sig-clear' }, t('paper.clear'));
  const c2d = canvas.getContext('2d');
  c2d.lineWidth = 3;
  c2d.lineCap = 'round';
  c2d.strokeStyle = '#111';
  let drawing = false;
  let strokes = 0;
  const at = (e) => { const r = canvas.getBoundingClientRect(); return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)]; };
  canvas.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    drawing = true;
    strokes++;
    try { canvas.setPointerCapture(e.pointerId); } catch { /* a pointer the browser does not track */ }
    c2d.beginPath();
    c2d.moveTo(...at(e));
  });
  canvas.addEventListener('pointermove', (e) => { if (!drawing) return; c2d.lineTo(...at(e)); c2d.stroke(); });
  canvas.addEventListener('pointerup', () => { drawing = false; });
  clear.addEventListener('click', () => { c2d.clearRect(0, 0, canvas.width, canvas.height); strokes = 0; });
  submit.addEventListener('click', async () => {
    replace(err);
    if (!name.value.trim()) { replace(err, t('paper.name_required')); name.focus(); return; }
    if (!strokes) { replace(err, t('paper.signature_required')); return; }
    submit.disabled = true;
    try {
      const hz = await api.post(`/api/v1/hazards/${id}/acknowledgement`, { document: doc, name: name.value.trim(), signature: canvas.toDataURL('image/png') });
      const ev = (hz.events || []).filter((e) => e.kind === 'acknowledged').pop();
      if (ev) done(ev);
    } catch (e) {
      replace(err, apiErrorText(e));
      submit.disabled = false;
    }
  });
  return [h('h2', null, t('paper.ack_title')), h('p', null, t('paper.ack_text')),
    h('label', { for: 'sig-name' }, t('paper.your_name')), name,
    h('p', { class: 'muted', id: 'sig-help' }, t('paper.sign_here')), canvas,
    h('div', { class: 'row wrap no-print' }, submit, clear), err];
}
