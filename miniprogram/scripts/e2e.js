// End to end: the real API client and check-in flow against a live server with the sandbox.
// Usage: node scripts/e2e.js BASE_URL LOGIN_CODE SCENE NOTICE_ID
// Prints one JSON object with what each step answered (the pytest test asserts on it).
const path = require('path')
const { makeWx } = require('./wx-shim')

async function main() {
  const [base, loginCode, scene, noticeId] = process.argv.slice(2)
  global.wx = makeWx({ loginCode })
  const config = require(path.join(__dirname, '..', 'config'))
  config.apiBase = base
  const api = require('../utils/api')
  const checkin = require('../utils/checkin')
  const queue = require('../utils/offline-queue')
  const out = {}

  const me = await api.call('me') // logs in through wx.login first
  out.me = { name: me.name, bound: me.bound, roles: me.roles.map(r => r.role) }

  // Offline: the scan is kept, then sent when the network returns.
  wx.online = false
  const queued = await checkin.checkInScene(scene)
  out.queued = { status: queued.status, waiting: queue.list().length }
  wx.online = true
  const synced = await checkin.syncQueue()
  out.synced = { sent: synced.sent, left: synced.left, status: synced.answered[0] && synced.answered[0].result.status }

  const again = await checkin.checkInScene(scene)
  out.again = { status: again.status, reason: again.reason, message: again.message }

  const bad = await checkin.checkInScene('s.nonexistent')
  out.bad = { status: bad.status, reason: bad.reason, message: bad.message }

  // An expired access token: the client refreshes and repeats the call.
  const session = api.getSession()
  api.saveSession({ ...session, access_token: 'expired-or-forged' })
  const hours = await api.call('myHours')
  out.hours = { semester: hours.semester, attendee_hours: hours.attendee_hours }
  out.refreshed = api.getSession().access_token !== 'expired-or-forged'

  const notices = await api.call('myNotices')
  out.notices = notices.items.map(n => ({ id: n.id, title: n.title, read: n.read }))
  const notice = await api.call('notice', { params: { notice_id: noticeId } })
  await api.call('readNotice', { params: { notice_id: noticeId } })
  const after = await api.call('myNotices')
  out.notice = { title: notice.title, body: notice.body, read_after: after.items.find(n => String(n.id) === String(noticeId)).read }

  try {
    await api.call('redeem', { data: { code: 'XXXX9999' } })
    out.redeem = 'accepted?'
  } catch (err) {
    out.redeem = { code: err.code, message: err.message }
  }
  process.stdout.write(JSON.stringify(out))
}

main().catch(err => {
  process.stderr.write(`${err.stack || err}\n${JSON.stringify(err)}\n`)
  process.exit(1)
})
