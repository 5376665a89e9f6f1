// End to end for what a teacher's pages do beyond the check-in itself (scripts/e2e.js): home's
// overview (next activity, 课时, targets), her own check-out from the activity page, the inbox
// where messages land without a subscription, read on the server.
// Usage: node scripts/e2e-teacher.js BASE_URL PLAN_JSON   (PLAN_JSON: ids made by the pytest test)
// Prints one JSON object with what each step answered (tests/miniprogram/test_e2e_teacher.py).
const path = require('path')
const { pageWx } = require('./render/wx')

async function main() {
  const [base, planText] = process.argv.slice(2)
  const plan = JSON.parse(planText)
  global.wx = pageWx('demo-teacher')
  const config = require(path.join(__dirname, '..', 'config'))
  config.apiBase = base
  const api = require('../utils/api')
  const checkin = require('../utils/checkin')
  const out = {}

  const before = await api.call('overview')
  out.before = { next: before.next_activity && { id: before.next_activity.id, checked_in: before.next_activity.checked_in }, hours: before.hours.total_hours, targets: before.targets.map(t => t.key) }
  const scanned = await checkin.checkInScene(plan.scene)
  out.scanned = { status: scanned.status, activity: scanned.activity && scanned.activity.title, hours: scanned.hours }
  const mine = (await api.call('myCheckins')).find(c => c.activity_id === plan.activity_id)
  const left = await api.call('checkOut', { params: { checkin_id: mine.id } })
  out.left = { message: left.message, hours: left.hours, minutes: left.minutes_on_site, checked_out: !!left.checkout_at }
  const after = await api.call('overview')
  out.after = { next: after.next_activity && { id: after.next_activity.id, checked_in: after.next_activity.checked_in }, hours: after.hours.total_hours }
  const again = await api.call('checkOut', { params: { checkin_id: mine.id } })
  out.again = { checkout_at: again.checkout_at === left.checkout_at }

  const inbox = await api.call('inbox', { query: { limit: 50 } })
  const message = inbox.items.find(m => m.page && m.page.includes(`id=${plan.notice_id}`))
  out.inbox = { total: inbox.total, unread: inbox.unread, title: message && message.title, page: message && message.page }
  const read = await api.call('readMessage', { params: { delivery_id: message.id } })
  const later = await api.call('inbox', { query: { limit: 50 } })
  out.read = { read: read.read, unread: later.unread }
  process.stdout.write(JSON.stringify(out), () => process.exit(0))
}

main().catch(err => {
  process.stderr.write(`${err.stack || err}\n${JSON.stringify(err)}\n`)
  process.exit(1)
})
