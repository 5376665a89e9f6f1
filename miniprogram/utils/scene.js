// Where a check-in scene comes from: a scanned mini-program code, a plain QR link, or the
// `scene` launch option. Scenes are ≤ 32 characters of WeChat's scene alphabet.
const SCENE_RE = /^[0-9A-Za-z!#$&'()*+,/:;=?@._~-]{1,64}$/

function queryParam(text, key) {
  const idx = text.indexOf('?')
  if (idx < 0) return null
  const pairs = text.slice(idx + 1).split('#')[0].split('&')
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    const k = eq < 0 ? pair : pair.slice(0, eq)
    if (k === key) return decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1))
  }
  return null
}

/** The scene of a launch: WeChat passes it URI-encoded in options.scene. */
function sceneFromOptions(options) {
  if (!options) return null
  if (options.scene) return decodeURIComponent(options.scene)
  if (options.q) return queryParam(decodeURIComponent(options.q), 'scene')
  return null
}

/** The scene in a wx.scanCode answer, or null when the code is not one of ours. */
function sceneFromScan(res) {
  if (!res) return null
  if (res.path) {
    const fromPath = queryParam(res.path, 'scene')
    if (fromPath) return fromPath
  }
  const text = (res.result || '').trim()
  if (!text) return null
  if (text.includes('scene=')) return queryParam(text, 'scene')
  return SCENE_RE.test(text) ? text : null
}

/** The one-time code of the web console's scan login (…/console/m/login?t=…), or null. */
function webLoginToken(res) {
  const text = ((res && res.result) || '').trim()
  if (!text.includes('/console/m/login?')) return null
  const token = queryParam(text, 't')
  return token && /^[A-Za-z0-9_-]{8,64}$/.test(token) ? token : null
}

module.exports = { sceneFromOptions, sceneFromScan, queryParam, webLoginToken }
