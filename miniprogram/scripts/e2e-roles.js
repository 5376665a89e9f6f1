// End to end for the organizer, director, leader and parent flows: the mini-program's own
// utils (api.js, files.js, checkin.js) against a live server, logged in with demo codes.
// Usage: node scripts/e2e-roles.js BASE_URL PLAN_JSON   (PLAN_JSON: ids made by the pytest test)
// Prints one JSON object with what each step answered (tests/miniprogram/test_e2e_roles.py).
const fs = require('fs')
const os = require('os')
const path = require('path')
const { makeWx } = require('./wx-shim')

/** The shim plus the file moves of utils/files.js, over fetch (multipart with FormData). */
function wxFor(loginCode) {
  const wx = makeWx({ loginCode })
  wx.uploadFile = ({ url, filePath, name, formData, header, success, fail }) => {
    const form = new FormData()
    for (const [key, value] of Object.entries(formData || {})) form.append(key, value)
    form.append(name, new Blob([fs.readFileSync(filePath)]), path.basename(filePath))
    fetch(url, { method: 'POST', headers: header, body: form })
      .then(async res => success({ statusCode: res.status, data: await res.text() }))
      .catch(() => fail({ errMsg: 'uploadFile:fail' }))
  }
  wx.downloadFile = ({ url, header, success, fail }) => {
    fetch(url, { headers: header })
      .then(async res => {
        const tempFilePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sjt-dl-')), 'file')
        fs.writeFileSync(tempFilePath, Buffer.from(await res.arrayBuffer()))
        success({ statusCode: res.status, tempFilePath })
      })
      .catch(() => fail({ errMsg: 'downloadFile:fail' }))
  }
  return wx
}

async function failure(promise) {
  try {
    await promise
    return 'accepted'
  } catch (err) {
    return { code: err.code, status: err.status, message: err.message }
  }
}

async function main() {
  const [base, planText] = process.argv.slice(2)
  const plan = JSON.parse(planText)
  const config = require(path.join(__dirname, '..', 'config'))
  config.apiBase = base
  const api = require('../utils/api')
  const files = require('../utils/files')
  const checkin = require('../utils/checkin')
  const as = code => {
    global.wx = wxFor(code)
  }
  const out = {}
  const aid = { activity_id: plan.activity_id }

  // ---- organizer: 活动管理 ----
  as('demo-organizer')
  const activity = await api.call('activity', { params: aid })
  const before = await api.call('attendance', { params: aid })
  out.before = { can_manage: activity.can_manage, absent: before.absent.map(p => p.person_id).sort(), counts: before.counts }
  const [first, second] = plan.invitee_ids
  out.manual = await api.call('manualCheckIn', { params: aid, data: { person_id: first, reason: '手机没电', late: true } })
  await api.call('manualCheckIn', { params: aid, data: { person_id: second, reason: '忘带手机' } })
  const mid = await api.call('attendance', { params: aid })
  const row = id => mid.checkins.find(c => c.person_id === id)
  out.annul = await api.call('annulCheckin', { params: { checkin_id: row(first).id }, data: { reason: '代他人签到' } })
  out.checkout = await api.call('checkOut', { params: { checkin_id: row(second).id } })
  out.shortReason = await failure(api.call('annulCheckin', { params: { checkin_id: row(second).id }, data: { reason: '错' } }))
  const after = await api.call('attendance', { params: aid })
  out.after = {
    counts: after.counts,
    absent: after.absent.map(p => p.person_id).sort(),
    rows: after.checkins.map(c => ({ person_id: c.person_id, method: c.method, late: c.late, annulled: c.annulled, annul_reason: c.annul_reason, checked_out: !!c.checkout_at }))
  }
  out.upload = await files.upload('uploadActivityFile', { params: aid, filePath: plan.photo_path, formData: { kind: 'photo', consent: 'true', caption: '课堂一角' } })
  const listed = await api.call('activityFiles', { params: aid })
  out.files = listed.items.map(f => ({ id: f.id, kind: f.kind, consent: f.consent, caption: f.caption }))
  out.withdrawn = await api.call('updateFile', { params: { file_id: out.upload.id }, data: { consent: false } })
  const thumb = await api.download('fileContent', { params: { file_id: out.upload.id } })
  out.thumbBytes = fs.statSync(thumb).size
  const card = await api.call('recordCard', { params: aid })
  out.card = { photo_count: card.photo_count, checked_in: card.attendance.checked_in, sides: Object.keys(card.sides), state_label: card.state_label }
  const confirmed = await api.call('confirmRecordCard', { params: aid, data: { side: 'supporting' } })
  out.confirmed = { supporting: confirmed.sides.supporting.state, state_label: confirmed.state_label }
  out.organizerRankings = await failure(api.call('rankings', { query: { by: 'pairing' } }))

  // ---- director: 审核 ----
  as('demo-director')
  const reviewing = await api.call('posts', { query: { status: 'reviewing' } })
  const toReview = await api.call('post', { params: { post_id: reviewing.items[0].id } })
  out.review = { title: !!toReview.title, can: toReview.can, photos: toReview.photos.map(p => typeof p.usable), steps: toReview.steps.length }
  const approved = await api.call('approvePost', { params: { post_id: toReview.id }, data: { comment: '同意发布' } })
  out.approved = { status: approved.status, status_label: approved.status_label, last: approved.steps[approved.steps.length - 1].label }
  out.directorScan = await failure(api.call('confirmWebLogin', { params: { token: 'AbCdEfGh12345678' } }))

  // ---- leader: 签发, 通报, 简报 ----
  as('demo-leader')
  const signing = await api.call('posts', { query: { status: 'signing' } })
  const ready = signing.items.find(p => p.id !== toReview.id) || signing.items[0]
  const back = await api.call('sendBackPost', { params: { post_id: toReview.id }, data: { comment: '请补充照片说明' } })
  out.sentBack = { status: back.status, comment: back.comment }
  out.signed = await api.call('signPost', { params: { post_id: ready.id }, data: { comment: '' } }).then(p => ({ status: p.status, status_label: p.status_label }))
  const ranked = await api.call('rankings', { query: { by: 'pairing' } })
  out.rankings = { by: ranked.by, period: !!ranked.period, first: ranked.items[0] && Object.keys(ranked.items[0]).sort() }
  const latest = await api.call('latestSummary')
  const listedSummaries = await api.call('summaries', { query: { limit: 50 } })
  const one = await api.call('summary', { params: { summary_id: listedSummaries.items[0].id } })
  out.summaries = { latest: latest.id, listed: listedSummaries.items.map(s => s.id), keys: Object.keys(listedSummaries.items[0]).sort(), one: one.id }
  out.leaderScan = await failure(api.call('confirmWebLogin', { params: { token: 'AbCdEfGh12345678' } }))

  // ---- parent: the open day ----
  as('demo-parent')
  const nid = { notice_id: plan.notice_id }
  const notice = await api.call('notice', { params: nid })
  out.notice = { images: notice.images, attachments: notice.attachments, activity: notice.activity && { title: notice.activity.title, address: notice.activity.address, status: notice.activity.status }, attended: notice.me.attended }
  await api.call('rsvp', { params: nid, data: { answer: 'yes', adults: 2, children: 1 } })
  const answered = await api.call('notice', { params: nid })
  const rsvp = answered.me.rsvp
  out.rateBefore = await failure(api.call('feedback', { params: nid, data: { stars: 5, comment: '' } }))
  const arrived = await checkin.checkInScene(plan.scene, { adults: rsvp.adults, children: rsvp.children })
  out.arrived = { status: arrived.status, adults: arrived.checkin && arrived.checkin.adults, children: arrived.checkin && arrived.checkin.children }
  const later = await api.call('notice', { params: nid })
  out.attended = later.me.attended
  out.rated = await api.call('feedback', { params: nid, data: { stars: 5, comment: '孩子很开心' } })
  out.parentScan = await failure(api.call('confirmWebLogin', { params: { token: 'AbCdEfGh12345678' } }))
  process.stdout.write(JSON.stringify(out))
}

main().catch(err => {
  process.stderr.write(`${err.stack || err}\n${JSON.stringify(err)}\n`)
  process.exit(1)
})
