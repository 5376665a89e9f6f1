// Pages that still show something without a network: what was kept on the phone, under a
// 离线 banner that says from when. Reads go through api.cached (utils/api.js).
const api = require('./api')

const NOTHING_KEPT = '当前离线，手机上还没有保存的内容。联网后下拉刷新。'

/** The wall-clock time in China of any ISO moment: "11月27日 08:03". */
function chinaDateTime(iso) {
  const ms = Date.parse(iso || '')
  if (Number.isNaN(ms)) return ''
  const d = new Date(ms + 8 * 3600 * 1000)
  const two = n => String(n).padStart(2, '0')
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`
}

/** The banner over kept content. */
function keptText(savedAt) {
  const when = chinaDateTime(savedAt)
  return `当前离线，显示的是${when ? ` ${when} ` : '手机上'}保存的内容。联网后下拉刷新。`
}

/**
 * Load a page through kept answers. `loader(ctx)` reads with `ctx.read(name, options)` (api.cached's
 * data) and returns the page data; `ctx.markOffline()` says it fell back on something else kept
 * (the session's person), `ctx.isOffline()` whether anything came from the phone so far. Any
 * answer from the phone turns on the 离线 banner; offline with nothing kept, the banner says so
 * and there is no error. Other errors show as before.
 */
async function loadKept(page, loader) {
  page.setData({ loading: true, error: '' })
  let oldest = null
  let offline = false
  const read = async (name, options) => {
    const out = await api.cached(name, options)
    if (out.offline) {
      offline = true
      if (!oldest || out.savedAt < oldest) oldest = out.savedAt
    }
    return out.data
  }
  const markOffline = () => {
    offline = true
  }
  try {
    const data = await loader({ read, markOffline, isOffline: () => offline })
    page.setData({ ...(data || {}), loading: false, offline, offlineText: offline ? keptText(oldest) : '' })
    return true
  } catch (err) {
    if (err && err.isNetwork) {
      page.setData({ loading: false, offline: true, offlineText: NOTHING_KEPT })
    } else {
      page.setData({ loading: false, offline: false, offlineText: '', error: (err && err.message) || '加载失败，请稍后重试' })
    }
    return false
  }
}

module.exports = { NOTHING_KEPT, chinaDateTime, keptText, loadKept }
