// Server errors in the user's language: the app never shows the server's English
// message; it renders the error's code, the field it names and, for a lock-out,
// the wait the server asks for (Retry-After).

import { t, tOr } from './i18n.js';

/** apiErrorText says what went wrong with an API call, in the user's language. */
export function apiErrorText(e) {
  if (!e) return t('error.generic');
  if (e.network) return t('error.network');
  switch (e.code) {
    case 'unauthorized': return t('error.unauthorized');
    case 'forbidden': return t('error.forbidden');
    case 'not_found': return t('error.not_found');
    case 'conflict': return t('error.conflict');
    case 'too_large': return t('error.too_large');
    case 'unsupported': return t('error.unsupported');
    case 'too_many': return t('error.too_many', { wait: waitText(e.retryAfter) });
    case 'unavailable': return t('error.unavailable');
    case 'invalid':
      return e.field ? t('error.invalid_field', { field: fieldName(e.field) }) : t('error.invalid');
    default: return e.status >= 500 ? t('error.server') : t('error.generic');
  }
}

/** fieldName names a field of an error in the user's language: its own message
 * (field.sign_within), a policy's rectification limit by level and severity
 * (rectify.grid.general), the n-th entry of a list (remind_before[1]), or "one
 * field" for a field the catalogs do not know. */
export function fieldName(field) {
  const own = tOr(`field.${field}`, null);
  if (own) return own;
  const rectify = /^rectify\.(\w+)\.(\w+)$/.exec(field);
  if (rectify) {
    const level = tOr(`level.${rectify[1]}`, null);
    const severity = tOr(`severity.${rectify[2]}`, null);
    if (level && severity) return t('field.rectify_at', { level, severity });
  }
  const nth = /^(\w+)\[(\d+)\]$/.exec(field);
  if (nth && tOr(`field.${nth[1]}`, null)) return t('field.nth', { field: tOr(`field.${nth[1]}`, ''), n: Number(nth[2]) + 1 });
  return t('field.unknown');
}

/** waitText words a Retry-After in seconds as minutes or seconds. */
export function waitText(secs) {
  const s = Number(secs) || 0;
  if (s >= 90) return t('time.minutes', { m: Math.ceil(s / 60) });
  return t('time.seconds', { s: Math.max(1, s) });
}
