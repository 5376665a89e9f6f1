// Small display helpers shared by the pages.

/** "11月27日 07:48" from an ISO time (China time is what the server sends). */
function dateTime(iso) {
  if (!iso) return ''
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso)
  if (!m) return iso
  return `${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}`
}

function hours(value) {
  const n = Number(value || 0)
  return `${Number.isInteger(n) ? n : n.toFixed(1)} 课时`
}

function percent(rate) {
  if (rate === null || rate === undefined) return '—'
  return `${Math.round(Number(rate) * 100)}%`
}

/** Targets as rows for the target-list component, from a list or a keyed object. */
function targetRows(targets) {
  const items = Array.isArray(targets) ? targets : Object.values(targets || {})
  return items.map(t => ({
    key: t.key,
    label: t.label,
    progress: `${t.done} / ${t.target} ${t.unit || ''}`.trim(),
    percent: Math.max(0, Math.min(100, Math.round(Number(t.rate || 0) * 100))),
    status: t.status,
    statusLabel: t.status_label || ''
  }))
}

module.exports = { dateTime, hours, percent, targetRows }
