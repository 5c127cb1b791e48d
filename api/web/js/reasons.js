// Why a checklist item applies, in the user's language. The checklist gives each
// reason as the site attribute and value that made the rule apply
// ("floors = 4 (> 3)", "site_type = hotel", "equipment_rooms has pump"); the app
// names the attribute and the value from its catalogs and never shows the raw
// expression.

import { t, tOr, number } from './i18n.js';

const ENUMS = { site_type: 'site.type', gas: 'gas', ebike_parking: 'ebike_parking', equipment_rooms: 'equipment_room' };
const OPS = { '==': 'op.eq', '!=': 'op.ne', '<': 'op.lt', '<=': 'op.le', '>': 'op.gt', '>=': 'op.ge' };

function attrName(a) { return tOr(`attr.${a}`, t('attr.unknown')); }

function value(a, v) {
  if (v === 'true') return t('value.yes');
  if (v === 'false') return t('value.no');
  if (/^-?[0-9.]+$/.test(v)) return number(Number(v), 2);
  if (ENUMS[a]) return v.split(/\s*,\s*/).map((x) => tOr(`${ENUMS[a]}.${x}`, t('value.other'))).join(t('common.list_sep'));
  if (a === 'jurisdiction') return tOr(`jurisdiction.${v}`, t('value.other'));
  return t('value.other');
}

/** reasonText renders one reason, or '' when it has a shape the app does not know. */
export function reasonText(r) {
  let m = r.match(/^([a-z_0-9]+) (has|lacks) (.+)$/);
  if (m) return t(m[2] === 'has' ? 'because.has' : 'because.lacks', { attr: attrName(m[1]), value: value(m[1], m[3]) });
  m = r.match(/^jurisdiction = ([a-z_0-9-]+) \((not )?within (.+)\)$/);
  if (m) return t(m[2] ? 'because.outside' : 'because.within', { value: value('jurisdiction', m[1]), area: value('jurisdiction', m[3]) });
  m = r.match(/^([a-z_0-9]+) = ([^ ]+) \((==|!=|<=|>=|<|>) (?:[a-z_0-9]+ = )?([-0-9.]+)\)$/);
  if (m) return t('because.cmp', { attr: attrName(m[1]), value: value(m[1], m[2]), op: t(OPS[m[3]]), limit: number(Number(m[4]), 2) });
  m = r.match(/^([a-z_0-9]+) = ([^ ]+)(?: \(([a-z_0-9]+) = ([-0-9.]+)\))?$/);
  if (m) {
    const base = t('because.is', { attr: attrName(m[1]), value: value(m[1], m[2]) });
    return m[3] ? t('because.derived', { base, attr: attrName(m[3]), value: value(m[3], m[4]) }) : base;
  }
  return '';
}

/** reasonsText joins the reasons that could be rendered. */
export function reasonsText(list) {
  return (list || []).map(reasonText).filter(Boolean).join(t('common.list_sep'));
}
