// End to end for the admin: the mini-program's own utils against a live server, logged in with
// the demo admin's code. What an admin does from the phone: every activity and its attendance,
// the 帮扶记录卡 confirmed for both sides at once, the summaries (chart included), the 通报 tables,
// every post and one returned to its author, the console's scan login; messages and notices.
// Usage: node scripts/e2e-admin.js BASE_URL PLAN_JSON   (PLAN_JSON: ids made by the pytest test)
// Prints one JSON object with what each step answered (tests/miniprogram/test_e2e_admin.py).
const fs = require('fs')
const path = require('path')
const { pageWx } = require('./render/wx')

async function failure(promise) {
  try {
    await promise
    return 'accepted'
  } catch (err) {
    return { code: err.code, status: err.status, message: err.message }
  }
}

/** Width and height of a PNG file, from its IHDR chunk. */
function pngSize(file) {
  const bytes = fs.readFileSync(file)
  return bytes.slice(1, 4).toString() === 'PNG' ? [bytes.readUInt32BE(16), bytes.readUInt32BE(20)] : null
}

async function main() {
  const [base, planText] = process.argv.slice(2)
  const plan = JSON.parse(planText)
  global.wx = pageWx('demo-admin')
  const config = require(path.join(__dirname, '..', 'config'))
  config.apiBase = base
  const api = require('../utils/api')
  const { entriesFor } = require('../utils/roles')
  const out = {}
  const aid = { activity_id: plan.activity_id }

  const me = await api.call('me')
  out.me = { name: me.name, roles: me.roles.map(r => `${r.role}:${r.scope_name}`) }
  out.entries = entriesFor(me).map(e => e.label)

  // Activities: all of them, and any one's attendance and record card.
  const listed = await api.call('activities', { query: { limit: 50 } })
  out.activities = { total: listed.total, shown: listed.items.length }
  const activity = await api.call('activity', { params: aid })
  out.activity = { title: activity.title, can_manage: activity.can_manage }
  const attendance = await api.call('attendance', { params: aid })
  out.attendance = { expected: attendance.counts.expected, absent: attendance.absent.map(p => p.person_id).sort() }
  const before = await api.call('recordCard', { params: aid })
  out.cardBefore = { locked: before.locked, states: [before.sides.supporting.state, before.sides.supported.state] }
  const card = await api.call('confirmRecordCard', { params: aid, data: {} })
  out.cardAfter = {
    locked: card.locked,
    state_label: card.state_label,
    states: [card.sides.supporting.state, card.sides.supported.state],
    by: [card.sides.supporting.confirmed_by && card.sides.supporting.confirmed_by.name, card.sides.supported.confirmed_by && card.sides.supported.confirmed_by.name]
  }

  // 工作简报: the latest (its chart too), the list, one by id.
  const latest = await api.call('latestSummary')
  const chart = await api.download('summaryChart', { params: { summary_id: latest.id } })
  const history = await api.call('summaries', { query: { limit: 50 } })
  const one = await api.call('summary', { params: { summary_id: history.items[0].id } })
  out.summary = { scope: latest.scope.name, chart: pngSize(chart), listed: history.items.map(s => s.id), one: one.id, targets: one.targets.items.length }

  // 通报: by alliance and by pairing.
  const byAlliance = await api.call('rankings', { query: { by: 'alliance' } })
  const byPairing = await api.call('rankings', { query: { by: 'pairing' } })
  out.rankings = { alliances: byAlliance.items.length, pairings: byPairing.items.length, by: [byAlliance.by, byPairing.by] }

  // 推文: every post; one under review sent back with a comment.
  const posts = await api.call('posts')
  out.posts = { count: posts.items.length, statuses: Array.from(new Set(posts.items.map(p => p.status))).sort() }
  const reviewing = posts.items.find(p => p.id === plan.reviewing_post)
  const post = await api.call('post', { params: { post_id: reviewing.id } })
  out.post = { can: post.can, photos: post.photos.length, steps: post.steps.map(s => s.step) }
  const back = await api.call('sendBackPost', { params: { post_id: reviewing.id }, data: { comment: '标题请写明活动地点' } })
  out.sentBack = { status: back.status, comment: back.comment, last: back.steps[back.steps.length - 1].label }
  out.emptyComment = await failure(api.call('sendBackPost', { params: { post_id: plan.signing_post }, data: { comment: '' } }))

  // 电脑登录: a made-up code has expired.
  out.scan = await failure(api.call('confirmWebLogin', { params: { token: 'AbCdEfGh12345678' } }))

  // Messages and notices: what is hers, and the subscription templates.
  const inbox = await api.call('inbox', { query: { limit: 50 } })
  const notices = await api.call('myNotices', { query: { limit: 50 } })
  const subs = await api.call('subscriptions')
  out.mine = { inbox: inbox.total, unread: inbox.unread, notices: notices.total, kinds: subs.items.map(s => s.kind).sort() }
  process.stdout.write(JSON.stringify(out), () => process.exit(0))
}

main().catch(err => {
  process.stderr.write(`${err.stack || err}\n${JSON.stringify(err)}\n`)
  process.exit(1)
})
