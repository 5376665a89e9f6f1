// How each console role reaches its pages: home tiles by role, the activity page's way to
// 活动管理 or the 帮扶记录卡, and the prompts for reminders and 进度预警 on a tap.
const fs = require('fs')
const path = require('path')
const { ROOT, freshWx, fakeServer, loggedInAs, openPage, TEACHER, DIRECTOR, LEADER, PARENT } = require('./helpers')
const { tap, ALL_SUBSCRIPTIONS, acceptEveryPrompt, prompts } = require('./ui')
const { entriesFor } = require('../utils/roles')

beforeEach(() => freshWx())

const ORGANIZER = { account_id: 5, bound: true, id: 9, name: '李娜', roles: [{ role: 'organizer', scope_kind: 'kindergarten', scope_id: 2, scope_name: '湘江县实验幼儿园' }] }
const ACTIVITY = { id: 5, title: '送教下乡示范课', kind: '送教下乡', status: 'published', status_label: '已发布', host_name: '石桥村幼儿园', address: '石桥村', starts_at: '2026-12-02T08:00:00+08:00', ends_at: '2026-12-02T10:00:00+08:00', can_manage: false, rotate_seconds: 15 }

test('every console role (teachers too) gets 电脑登录; directors and leaders 推文审核; leaders 通报排名; each tile opens a page of app.json', () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
  const keys = person => entriesFor(person).map(e => e.key)
  expect(keys(ORGANIZER)).toEqual(expect.arrayContaining(['scan-login']))
  expect(keys(DIRECTOR)).toEqual(expect.arrayContaining(['scan-login', 'posts']))
  expect(keys(LEADER)).toEqual(expect.arrayContaining(['scan-login', 'posts', 'rankings', 'summary']))
  // A teacher's console is her 学时证明 page (issue 20); parents have none.
  expect(keys(TEACHER)).toEqual(expect.arrayContaining(['scan-login']))
  expect(keys(PARENT)).not.toEqual(expect.arrayContaining(['scan-login']))
  expect(keys(ORGANIZER)).not.toContain('rankings')
  for (const person of [TEACHER, ORGANIZER, DIRECTOR, LEADER, PARENT]) {
    for (const entry of entriesFor(person)) expect(app.pages).toContain(entry.url.slice(1))
  }
})

test('the organizer goes from the activity to 活动管理', async () => {
  loggedInAs(ORGANIZER)
  fakeServer({
    'GET /api/v1/activities/5': () => [200, { ...ACTIVITY, can_manage: true }],
    'GET /api/v1/activities/5/attendance': () => [200, { counts: { expected: 0, checked_in: 0, late: 0, absent: 0, flagged: 0 }, checkins: [], absent: [] }],
    'GET /api/v1/me/checkins': () => [200, []]
  })
  const page = await openPage('pages/activity/index', { id: '5' })
  expect(page.querySelector('.remind')).toBeFalsy()
  await tap(page, '.manage')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/organize/index?id=5' })
  page.instance.onUnload()
})

test('a director who does not run it opens its 帮扶记录卡', async () => {
  loggedInAs(DIRECTOR)
  fakeServer({ 'GET /api/v1/activities/5': () => [200, ACTIVITY], 'GET /api/v1/me/checkins': () => [200, []] })
  const page = await openPage('pages/activity/index', { id: '5' })
  expect(page.querySelector('.manage')).toBeFalsy()
  await tap(page, '.record-card')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/record-card/index?id=5' })
})

test('a teacher asks for the reminder, a move and a cancellation of the activity on one tap', async () => {
  loggedInAs(TEACHER)
  const server = fakeServer({
    'GET /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }],
    'POST /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }],
    'GET /api/v1/activities/5': () => [200, ACTIVITY],
    'GET /api/v1/me/checkins': () => [200, []]
  })
  acceptEveryPrompt()
  const page = await openPage('pages/activity/index', { id: '5' })
  expect(page.querySelector('.record-card')).toBeFalsy()
  expect(wx.requestSubscribeMessage).not.toHaveBeenCalled()
  await tap(page, '.remind')
  expect(prompts()).toEqual([['tpl-activity_reminder', 'tpl-activity_changed', 'tpl-activity_cancelled']])
  expect(server.calls.find(c => c.method === 'POST' && c.path === '/api/v1/subscriptions').data.results['tpl-activity_reminder']).toBe('accept')
})

test('no reminder is offered for a finished activity', async () => {
  loggedInAs(TEACHER)
  fakeServer({ 'GET /api/v1/activities/5': () => [200, { ...ACTIVITY, status: 'finished', status_label: '已结束' }], 'GET /api/v1/me/checkins': () => [200, []] })
  const page = await openPage('pages/activity/index', { id: '5' })
  expect(page.querySelector('.remind')).toBeFalsy()
})

test("a director asks for 进度预警 from her kindergarten's page", async () => {
  loggedInAs(DIRECTOR)
  fakeServer({
    'GET /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }],
    'POST /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }],
    'GET /api/v1/me': () => [200, DIRECTOR],
    'GET /api/v1/reports/kindergartens': () => [200, { period: '2026秋', items: [{ kindergarten_id: 2, name: '湘江县实验幼儿园', targets: {}, figures: {} }] }],
    'GET /api/v1/reports/alerts': () => [200, { items: [] }]
  })
  acceptEveryPrompt()
  const page = await openPage('pages/kindergarten/index')
  await tap(page, '.ask-alerts')
  expect(prompts()).toEqual([['tpl-alert']])
})
