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
      return e.field ? t('error.invalid_field', { field: tOr(`field.${e.field}`, t('field.unknown')) }) : t('error.invalid');
    default: return e.status >= 500 ? t('error.server') : t('error.generic');
  }
}

/** waitText words a Retry-After in seconds as minutes or seconds. */
export function waitText(secs) {
  const s = Number(secs) || 0;
  if (s >= 90) return t('time.minutes', { m: Math.ceil(s / 60) });
  return t('time.seconds', { s: Math.max(1, s) });
}
