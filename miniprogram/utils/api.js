// The one API client: wx.login → session tokens, refresh, retries, Chinese errors.
const config = require('../config')
const { CALLS, pathOf } = require('./endpoints')

const SESSION_KEY = 'sjt.session'
const CACHE_KEY = 'sjt.cache'
// wx.setStorageSync: "单个 key 允许存储的最大数据长度为 1MB，所有数据存储上限为 10MB" (微信开放文档):
// the kept answers are lists of 50 rows at most, and only the latest few are kept.
const CACHE_ENTRIES = 30
const NETWORK_MESSAGE = '网络不可用，请检查网络后重试'

/** An error the user can read: `message` is Chinese, `code` the server's error code. */
class ApiError extends Error {
  constructor(code, message, status, data) {
    super(message)
    this.code = code
    this.status = status || 0
    this.data = data || null
  }

  get isNetwork() {
    return this.code === 'network'
  }
}

function getSession() {
  return wx.getStorageSync(SESSION_KEY) || null
}

function saveSession(body) {
  const session = {
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    person: body.person || null
  }
  wx.setStorageSync(SESSION_KEY, session)
  return session
}

function clearSession() {
  wx.removeStorageSync(SESSION_KEY)
}

function queryString(query) {
  const parts = Object.keys(query || {})
    .filter(k => query[k] !== undefined && query[k] !== null && query[k] !== '')
    .map(k => `${encodeURIComponent(k)}=${encodeURIComponent(query[k])}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function rawRequest({ method, url, data, token }) {
  return new Promise((resolve, reject) => {
    const header = { 'content-type': 'application/json' }
    if (token) header.authorization = `Bearer ${token}`
    wx.request({
      url,
      method,
      data: data === undefined ? undefined : data,
      header,
      timeout: config.timeout,
      success: res => resolve({ status: res.statusCode, data: res.data }),
      fail: () => reject(new ApiError('network', NETWORK_MESSAGE))
    })
  })
}

function pause(ms) {
  return new Promise(resolve => setTimeout(resolve, ms || 0))
}

function errorOf(res) {
  const body = res.data && typeof res.data === 'object' ? res.data : {}
  const message = body.message || (res.status >= 500 ? '服务器繁忙，请稍后重试' : '请求失败，请稍后重试')
  return new ApiError(body.error || 'error', message, res.status, body)
}

function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: res => (res.code ? resolve(res.code) : reject(new ApiError('login', '微信登录失败，请重试'))),
      fail: () => reject(new ApiError('login', '微信登录失败，请重试'))
    })
  })
}

let loginPromise = null

/** Log in with wx.login; concurrent callers share one login. */
function login() {
  if (!loginPromise) {
    loginPromise = (async () => {
      const code = config.devLoginCode || (await wxLogin())
      const res = await rawRequest({ method: 'POST', url: config.apiBase + CALLS.login.path, data: { code } })
      if (res.status !== 200) throw errorOf(res)
      return saveSession(res.data)
    })()
    loginPromise.then(() => { loginPromise = null }, () => { loginPromise = null })
  }
  return loginPromise
}

/** The stored session, logging in first when there is none. */
async function ensureSession() {
  return getSession() || login()
}

let refreshPromise = null

/** Trade the refresh token for new tokens (one at a time); falls back to a fresh wx.login. */
function refresh() {
  if (!refreshPromise) {
    refreshPromise = refreshOnce()
    refreshPromise.then(() => { refreshPromise = null }, () => { refreshPromise = null })
  }
  return refreshPromise
}

async function refreshOnce() {
  const session = getSession()
  if (session && session.refresh_token) {
    try {
      const res = await rawRequest({
        method: 'POST',
        url: config.apiBase + CALLS.refresh.path,
        data: { refresh_token: session.refresh_token }
      })
      if (res.status === 200) return saveSession({ ...res.data, person: res.data.person || session.person })
    } catch (err) {
      if (err.isNetwork) throw err
    }
  }
  clearSession()
  return login()
}

/**
 * Call one entry of the CALLS table.
 * options: params (path placeholders), query, data (JSON body), retries (re-send the same body
 * when the network fails or the server is busy), accept (extra statuses answered as data).
 */
async function call(name, options = {}) {
  const spec = CALLS[name]
  if (!spec) throw new Error(`unknown call ${name}`)
  const url = config.apiBase + pathOf(name, options.params) + queryString(options.query)
  const accept = options.accept || []
  let retriesLeft = options.retries || 0
  let refreshed = false
  let session = spec.auth === false ? null : await ensureSession()
  for (;;) {
    let res
    try {
      res = await rawRequest({ method: spec.method, url, data: options.data, token: session && session.access_token })
    } catch (err) {
      if (err.isNetwork && retriesLeft > 0) {
        retriesLeft -= 1
        await pause(config.retryDelayMs)
        continue
      }
      throw err
    }
    if (res.status === 401 && session && !refreshed) {
      refreshed = true
      session = await refresh()
      continue
    }
    if (res.status >= 500 && retriesLeft > 0) {
      retriesLeft -= 1
      await pause(config.retryDelayMs)
      continue
    }
    if ((res.status >= 200 && res.status < 300) || accept.includes(res.status)) return res.data
    throw errorOf(res)
  }
}

/** Download an authorised image (chart, rotating code) to a temp file for <image>. */
async function download(name, options = {}) {
  let session = await ensureSession()
  const url = config.apiBase + pathOf(name, options.params) + queryString(options.query)
  const once = token =>
    new Promise((resolve, reject) => {
      wx.downloadFile({
        url,
        header: { authorization: `Bearer ${token}` },
        success: res => resolve(res),
        fail: () => reject(new ApiError('network', NETWORK_MESSAGE))
      })
    })
  let res = await once(session.access_token)
  if (res.statusCode === 401) {
    session = await refresh()
    res = await once(session.access_token)
  }
  if (res.statusCode !== 200) throw new ApiError('download', '图片加载失败，请稍后重试', res.statusCode)
  return res.tempFilePath
}

// ---- answers kept on the phone for offline use ----------------------------------------------

/** Whose answers the cache may hold: the logged-in account (another person's are never shown). */
function cacheOwner() {
  const session = getSession()
  const person = session && session.person
  if (!person) return null
  return person.account_id !== undefined && person.account_id !== null ? `a${person.account_id}` : `p${person.id}`
}

function readCache() {
  const owner = cacheOwner()
  const kept = wx.getStorageSync(CACHE_KEY)
  if (owner && kept && kept.owner === owner && kept.entries) return kept
  return { owner, entries: {} }
}

function keep(key, data) {
  const cache = readCache()
  if (!cache.owner) return
  cache.entries[key] = { data, savedAt: new Date().toISOString() }
  const keys = Object.keys(cache.entries).sort((a, b) => (cache.entries[a].savedAt < cache.entries[b].savedAt ? 1 : -1))
  keys.slice(CACHE_ENTRIES).forEach(k => delete cache.entries[k])
  try {
    wx.setStorageSync(CACHE_KEY, cache)
  } catch (err) {
    // Storage full: the answer is still shown, just not kept.
  }
}

/**
 * A GET whose last answer is kept on the phone. Online: { data, offline: false } (and the
 * answer is kept); when the network fails: the kept answer as { data, offline: true, savedAt }.
 * Without a kept answer, or on any other error, it throws like call().
 */
async function cached(name, options = {}) {
  const key = pathOf(name, options.params) + queryString(options.query)
  try {
    const data = await call(name, options)
    keep(key, data)
    return { data, offline: false, savedAt: null }
  } catch (err) {
    if (!err.isNetwork) throw err
    const hit = readCache().entries[key]
    if (!hit) throw err
    return { data: hit.data, offline: true, savedAt: hit.savedAt }
  }
}

/** Forget every kept answer (unbinding clears the phone). */
function clearCache() {
  wx.removeStorageSync(CACHE_KEY)
}

/** Show an error to the user in Chinese: the server's own message when it gave one. */
function showError(err) {
  const message = (err && err.message) || '操作失败，请稍后重试'
  // A toast shows about two short lines; longer explanations get a dialog.
  if (message.length <= 14) wx.showToast({ title: message, icon: 'none', duration: 2500 })
  else wx.showModal({ title: '提示', content: message, showCancel: false })
  return message
}

module.exports = {
  ApiError,
  NETWORK_MESSAGE,
  SESSION_KEY,
  CACHE_KEY,
  call,
  cached,
  clearCache,
  download,
  login,
  refresh,
  ensureSession,
  getSession,
  saveSession,
  clearSession,
  showError
}
