// Message catalogs (i18n/zh-CN.json, i18n/en.json), the user's language and
// local-time formatting. zh-CN is the default; the choice is kept on the device.
// The labels of location tags, evidence kinds and AI checks are not in the
// catalogs: they come from the server's vocabulary (GET /api/v1/vocabulary, kept
// on the device for offline starts) as the messages location.*, evidence.* and
// flag.code.*.

const LANGS = ['zh-CN', 'en'];
let lang = 'zh-CN';
let catalog = {};
let fallback = {};

export function currentLang() { return lang; }
/** ruleLang is the key of the rule texts (title.zh / title.en) for the current language. */
export function ruleLang() { return lang === 'en' ? 'en' : 'zh'; }

async function fetchCatalog(l) {
  const res = await fetch(`/i18n/${l}.json`, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`catalog ${l}: HTTP ${res.status}`);
  return res.json();
}

let vocab = null;

async function fetchVocabulary() {
  try {
    const res = await fetch('/api/v1/vocabulary', { credentials: 'same-origin' });
    if (res.ok) {
      const v = await res.json();
      localStorage.setItem('safegrid.vocab', JSON.stringify(v));
      return v;
    }
  } catch { /* offline: the copy kept on the device */ }
  try { return JSON.parse(localStorage.getItem('safegrid.vocab')); } catch { return null; }
}

/** addVocabulary puts the vocabulary's labels into a catalog in language l. */
function addVocabulary(cat, l) {
  if (!vocab) return;
  const pick = (label) => (l === 'en' ? label.en : label.zh);
  for (const term of vocab.locations || []) cat[`location.${term.code}`] = pick(term.label);
  for (const term of vocab.ai_checks || []) cat[`flag.code.${term.code}`] = pick(term.label);
  const needed = cat['rule.evidence_needed'];
  for (const term of vocab.evidence || []) cat[`evidence.${term.code}`] = needed.replace('{what}', pick(term.label));
}

/** checkCodes lists the AI check codes of the vocabulary. */
export function checkCodes() { return (vocab?.ai_checks || []).map((c) => c.code); }

export async function initI18n() {
  const saved = localStorage.getItem('safegrid.lang');
  lang = LANGS.includes(saved) ? saved : 'zh-CN';
  vocab = vocab || await fetchVocabulary();
  fallback = await fetchCatalog('zh-CN');
  addVocabulary(fallback, 'zh-CN');
  catalog = lang === 'zh-CN' ? fallback : await fetchCatalog(lang);
  addVocabulary(catalog, lang);
  document.documentElement.lang = lang;
}

export async function setLang(l) {
  if (!LANGS.includes(l)) return;
  localStorage.setItem('safegrid.lang', l);
  await initI18n();
}

/** t returns the message for key with {name} placeholders filled from params;
 * {name|one|other} picks a word by whether params.name is 1 (English plurals). */
export function t(key, params) {
  // One of a count: the catalog may word it apart (key.one), as English needs.
  if (params && Number(params.n) === 1 && (catalog[`${key}.one`] ?? fallback[`${key}.one`]) !== undefined) key = `${key}.one`;
  let s = catalog[key] ?? fallback[key];
  if (s === undefined) {
    console.warn('missing message', key);
    return key;
  }
  if (params) {
    // {count|one|other}: the word for one, or for any other number, of params.count.
    s = s.replace(/\{(\w+)\|([^|{}]*)\|([^|{}]*)\}/g, (m, k, one, other) => (k in params ? (Number(params[k]) === 1 ? one : other) : m));
    s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] ?? m));
  }
  return s;
}

/** tOr returns the message for key, or def when the catalog has none (codes from the server). */
export function tOr(key, def) {
  return catalog[key] ?? fallback[key] ?? def;
}

/** text picks the current language from a {zh, en} object. */
export function text(obj) {
  if (!obj) return '';
  if (typeof obj === 'string') return obj;
  return obj[ruleLang()] || obj.zh || obj.en || '';
}

const fmtCache = new Map();
function fmt(opts) {
  const k = lang + JSON.stringify(opts);
  if (!fmtCache.has(k)) fmtCache.set(k, new Intl.DateTimeFormat(lang, opts));
  return fmtCache.get(k);
}

/** dateTime formats a timestamp in the device's local time. */
export function dateTime(v) {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2000) return '';
  return fmt({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

export function dateOnly(v) {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return '';
  return fmt({ year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** countdown says how long until (or since) a deadline, in days/hours/minutes. */
export function countdown(deadline, now = Date.now()) {
  const ms = new Date(deadline).getTime() - now;
  const abs = Math.abs(ms);
  const days = Math.floor(abs / 86400000);
  const hours = Math.floor((abs % 86400000) / 3600000);
  const mins = Math.floor((abs % 3600000) / 60000);
  let span;
  if (days > 0) span = t('time.days_hours', { d: days, h: hours });
  else if (hours > 0) span = t('time.hours_minutes', { h: hours, m: mins });
  else span = t('time.minutes', { m: Math.max(mins, ms >= 0 ? 1 : 0) });
  return { overdue: ms < 0, text: ms < 0 ? t('time.overdue_by', { span }) : t('time.left', { span }), ms };
}

/** percent formats a 0..1 share. */
export function percent(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(v);
}

export function number(v, digits = 0) {
  if (v === null || v === undefined) return '—';
  return new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(v);
}
