// The check-in flow shared by the scan button, the launch by mini-program code and the queue.
const api = require('./api')
const config = require('../config')
const queue = require('./offline-queue')
const { sceneFromScan, webLoginToken } = require('./scene')
const { chinaDateTime } = require('./offline')
const { dateTime, hours } = require('./format')

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A fresh idempotency nonce: retries of one scan send the same one. */
function newNonce() {
  let out = ''
  for (let i = 0; i < 20; i += 1) out += NONCE_ALPHABET[Math.floor(Math.random() * NONCE_ALPHABET.length)]
  return out
}

function promisify(fn, options = {}) {
  return new Promise((resolve, reject) => fn({ ...options, success: resolve, fail: reject }))
}

/** Where the phone is, or null when the person said no or the phone cannot tell. */
async function currentLocation() {
  try {
    const setting = await promisify(wx.getSetting)
    if (setting.authSetting && setting.authSetting['scope.userLocation'] === false) return null
    const loc = await promisify(wx.getLocation, { type: 'gcj02' })
    return { lat: loc.latitude, lng: loc.longitude, accuracy: loc.accuracy || undefined }
  } catch (err) {
    return null
  }
}

async function isOnline() {
  try {
    const res = await promisify(wx.getNetworkType)
    return res.networkType !== 'none'
  } catch (err) {
    return true
  }
}

/** Send one scan; a refusal (HTTP 422) is an answer, not an error. */
function submit(scan) {
  return api.call('checkIn', { data: scan, retries: config.checkinRetries, accept: [422] })
}

/** Check in with a scene: online now, or queued for later when there is no network. */
async function checkInScene(scene, extra = {}) {
  const scan = { scene, nonce: newNonce(), scanned_at: new Date().toISOString() }
  const location = await currentLocation()
  if (location) scan.location = location
  if (extra.adults !== undefined) scan.adults = extra.adults
  if (extra.children !== undefined) scan.children = extra.children
  if (!(await isOnline())) return queueScan(scan)
  try {
    return await submit(scan)
  } catch (err) {
    if (err.isNetwork) return queueScan(scan)
    return { status: 'error', reason: err.code, message: err.message }
  }
}

function queueScan(scan) {
  const waiting = queue.add(scan)
  return { status: 'queued', reason: null, message: `当前网络不可用，签到已保存在手机上（共 ${waiting} 条），联网后将自动提交`, checkin: null }
}

/** Open the camera (codes only) and check in with what it saw. */
async function scanAndCheckIn() {
  let res
  try {
    res = await promisify(wx.scanCode, { onlyFromCamera: true, scanType: ['qrCode', 'wxCode'] })
  } catch (err) {
    return null // the person closed the camera
  }
  const token = webLoginToken(res)
  if (token) return confirmWebLogin(token)
  const scene = sceneFromScan(res)
  if (!scene) return { status: 'refused', reason: 'bad_code', message: '无法识别的签到码，请扫描活动现场的签到码', checkin: null }
  return checkInScene(scene)
}

/** The web console's login code was scanned: ask, then confirm it for this person. */
async function confirmWebLogin(token) {
  let answer
  try {
    answer = await promisify(wx.showModal, {
      title: '登录管理后台',
      content: '确认在电脑上以您的身份登录送教通管理后台？如非本人操作，请点取消。',
      confirmText: '确认登录'
    })
  } catch (err) {
    answer = { confirm: false }
  }
  if (!answer.confirm) return { status: 'cancelled', reason: null, message: '已取消，电脑上的管理后台不会登录', checkin: null }
  try {
    await api.call('confirmWebLogin', { params: { token } })
    return { status: 'web_login', reason: null, message: '已确认，电脑上的管理后台将自动登录', checkin: null }
  } catch (err) {
    return { status: 'error', reason: err.code, message: err.message, checkin: null }
  }
}

/** Send the offline queue now. */
function syncQueue() {
  return queue.flush(submit)
}

const VIEWS = {
  checked_in: { icon: 'success', title: '签到成功' },
  already_checked_in: { icon: 'info', title: '您已签到' },
  refused: { icon: 'warn', title: '签到未成功' },
  queued: { icon: 'waiting', title: '已离线保存' },
  web_login: { icon: 'success', title: '已确认登录' },
  cancelled: { icon: 'info', title: '已取消登录' },
  error: { icon: 'warn', title: '签到未完成' }
}

/** The answers that count as checked in. */
const ACCEPTED = ['checked_in', 'already_checked_in']

/** What the result page shows for a server answer. */
function describe(result) {
  const view = VIEWS[result.status] || VIEWS.error
  const c = result.checkin || {}
  const a = result.activity || null
  const notes = []
  if (c.late) notes.push('迟到签到')
  if (c.offline) notes.push('离线签到，已按签到码显示时间记录')
  if (c.no_location) notes.push('未获取位置')
  if (c.outside_geofence) notes.push('位置不在活动地点附近，组织者会核对')
  let earned = ''
  if (ACCEPTED.includes(result.status) && typeof result.hours === 'number' && result.hours > 0) {
    earned = `计参与课时 ${hours(result.hours)}，中途离开请签退（按在场时间计算）`
  }
  return {
    icon: view.icon,
    title: view.title,
    message: result.message || '',
    reason: result.reason || '',
    activity: a ? a.title : '',
    activityWhen: a ? `${dateTime(a.starts_at)} · ${a.address || ''}`.replace(/ · $/, '') : '',
    scannedAt: c.scanned_at ? `${dateTime(c.scanned_at)} 签到` : '',
    earned,
    notes
  }
}

/** One line of the offline results: which activity, when it was scanned, what became of it. */
function resultLine(kept) {
  const ok = ACCEPTED.includes(kept.status)
  return {
    ok,
    title: kept.activity_title || (ok ? '活动' : kept.reason === 'bad_code' ? '未能识别的签到码' : '未能确认的活动'),
    when: kept.scanned_at ? `${chinaDateTime(kept.scanned_at)} 扫码` : '',
    outcome: ok ? kept.message || '签到成功' : `未成功：${kept.message || '提交失败'}`
  }
}

/**
 * What to tell after sending the queue: how many were accepted, and for each refused scan its
 * activity, scan time and reason. Answers { toast } when all went through, else { modal }.
 */
function syncSummary(out) {
  const answered = (out && out.answered) || []
  if (!answered.length) return out && out.left ? { toast: '网络仍不可用，稍后自动重试' } : null
  const lines = answered.map(({ scan, result }) => resultLine({ ...result, scanned_at: scan.scanned_at, activity_title: result.activity ? result.activity.title : null }))
  const accepted = lines.filter(l => l.ok).length
  const refused = lines.filter(l => !l.ok)
  if (!refused.length) return { toast: `离线签到已提交，${accepted} 条签到成功` }
  const head = accepted ? `${accepted} 条签到成功，${refused.length} 条未成功：` : `${refused.length} 条签到未成功：`
  const body = refused.map(l => `${l.title}（${l.when}）${l.outcome.replace(/^未成功：/, '')}`).join('\n')
  const waiting = out.left ? `\n另有 ${out.left} 条等待网络。` : ''
  return { modal: { title: '离线签到结果', content: `${head}\n${body}${waiting}` } }
}

/**
 * Show syncSummary's answer: a toast (wx.showToast with icon none: "不显示图标，此时 title 文本最多可显示
 * 两行", 微信开放文档), or a dialog when a scan was refused, whose reasons do not fit two lines.
 */
function showSyncSummary(out) {
  const said = syncSummary(out)
  if (!said) return null
  if (said.toast) wx.showToast({ title: said.toast, icon: 'none', duration: 2500 })
  else wx.showModal({ ...said.modal, showCancel: false })
  return said
}

module.exports = { newNonce, currentLocation, isOnline, submit, checkInScene, scanAndCheckIn, confirmWebLogin, syncQueue, describe, resultLine, syncSummary, showSyncSummary }
