const fs = require('fs')
const path = require('path')
const { ROOT, freshWx, fakeServer, loggedInAs, openPage, settle, text, TEACHER, DIRECTOR, LEADER, PARENT, UNBOUND, SUBSCRIPTIONS, loginBody } = require('./helpers')
const { tap } = require('./ui')

beforeEach(() => freshWx())

function entries(page) {
  return page.querySelectorAll('.entry').map(e => e.dom.textContent.trim())
}

describe('home by role', () => {
  test.each([
    [TEACHER, ['扫码签到', '帮扶活动', '我的学时', '通知', '电脑登录', '我的']],
    [DIRECTOR, ['扫码签到', '帮扶活动', '我的学时', '通知', '本园概况', '推文审核', '电脑登录', '我的']],
    [LEADER, ['帮扶活动', '通知', '工作简报', '推文审核', '通报排名', '电脑登录', '我的']],
    [PARENT, ['扫码签到', '通知', '我的']]
  ])('%#: entries follow the roles', async (person, expected) => {
    loggedInAs(person)
    fakeServer({ 'GET /api/v1/me': () => [200, person] })
    const page = await openPage('pages/home/index')
    expect(page.dom.textContent).toContain(`${person.name}，您好`)
    expect(entries(page)).toEqual(expected)
  })

  test('an unbound person is sent to binding', async () => {
    fakeServer({ 'POST /api/v1/auth/login': () => [200, loginBody(UNBOUND)], 'GET /api/v1/me': () => [200, UNBOUND] })
    await openPage('pages/home/index')
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/bind/index' })
  })

  test('the news button asks for subscriptions on the tap and reports the answers', async () => {
    loggedInAs(PARENT)
    const server = fakeServer({ 'GET /api/v1/me': () => [200, PARENT], 'POST /api/v1/subscriptions': () => [200, { items: SUBSCRIPTIONS }] })
    wx.requestSubscribeMessage.mockImplementation(o => Promise.resolve().then(() => o.success({ errMsg: 'ok', 'tpl-notice': 'accept', 'tpl-notice-updated': 'reject', 'tpl-notice-reminder': 'accept' })))
    const page = await openPage('pages/home/index')
    await tap(page, '.ask-news')
    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1) // inside the tap's handler
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tpl-notice', 'tpl-notice-updated', 'tpl-notice-reminder'])
    await settle()
    const report = server.calls.find(c => c.method === 'POST' && c.path === '/api/v1/subscriptions')
    expect(report.data).toEqual({ results: { 'tpl-notice': 'accept', 'tpl-notice-updated': 'reject', 'tpl-notice-reminder': 'accept' } })
  })
})

test('binding redeems the scanned invitation code and keeps the new session', async () => {
  fakeServer({ 'POST /api/v1/auth/login': () => [200, loginBody(UNBOUND)], 'POST /api/v1/invitations/redeem': req => [200, { ...loginBody(PARENT), access_token: 'bound-token', echo: req.data }] })
  wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: 'https://songjiao.example.cn/bind?code=AB23CD45' })))
  const page = await openPage('pages/bind/index')
  page.instance.scan()
  await settle()
  expect(wx.scanCode.mock.calls[0][0].onlyFromCamera).toBe(true)
  expect(page.instance.data.code).toBe('AB23CD45')
  page.instance.setData({ relation: '爸爸' })
  await page.instance.submit()
  expect(wx.getStorageSync('sjt.session').access_token).toBe('bound-token')
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('binding shows the server reason for a wrong code', async () => {
  loggedInAs(UNBOUND)
  fakeServer({ 'POST /api/v1/invitations/redeem': () => [404, { error: 'invitation_not_found', message: '邀请码不存在，请核对后重新输入' }] })
  const page = await openPage('pages/bind/index', { code: 'ZZZZ9999' })
  await page.instance.submit()
  await settle()
  expect(text(page, '.error')).toBe('邀请码不存在，请核对后重新输入')
})

const ACTIVITY = { id: 5, title: '送教下乡示范课', kind: '送教下乡', status_label: '进行中', host_name: '湘江县实验幼儿园', address: '建设北路66号', starts_at: '2026-11-27T08:00:00+08:00', ends_at: '2026-11-27T10:00:00+08:00', can_manage: true, rotate_seconds: 15 }
const ATTENDANCE = {
  counts: { expected: 3, checked_in: 1, late: 0, absent: 2, flagged: 0, adults: 0, children: 0 },
  checkins: [
    { id: 1, name: '郑洁', method: 'static', late: false, outside_geofence: false, no_location: false, annulled: false, concerns: [] },
    { id: 2, name: '林晓红', method: 'static', late: false, outside_geofence: true, no_location: false, annulled: true, concerns: ['超出签到范围：距活动地点约 900 米（范围 300 米）'] },
    { id: 3, name: '刘敏', method: 'dynamic', late: false, outside_geofence: true, no_location: false, annulled: false, concerns: ['离线扫码（08:03 扫码，联网后同步）', '超出签到范围：距活动地点约 3336 米（范围 300 米）'] }
  ],
  absent: [{ person_id: 43, name: '林晓红' }, { person_id: 45, name: '王芳' }]
}

describe('activity detail for organizers', () => {
  afterEach(() => jest.useRealTimers())

  test('shows the live count, refreshes it, checks in by hand and shows the rotating code', async () => {
    loggedInAs(DIRECTOR)
    let counts = ATTENDANCE
    const server = fakeServer({
      'GET /api/v1/activities/5': () => [200, ACTIVITY],
      'GET /api/v1/activities/5/attendance': () => [200, counts],
      'POST /api/v1/activities/5/checkins': () => [200, { status: 'checked_in', message: '补签成功' }],
      'GET /api/v1/activities/5/rotating-code': () => [200, { scene: 'd.x.1.y', step: 99, expires_in: 12, rotate_seconds: 15, image_url: '/api/v1/activities/5/rotating-code.png?step=99', checkin_open: true }]
    })
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
    const page = await openPage('pages/activity/index', { id: '5' })
    expect(text(page, '.live-count')).toBe('1')
    expect(page.querySelectorAll('.absent').map(a => a.dom.textContent.replace(/\s+/g, ''))).toEqual(['林晓红补签', '王芳补签'])
    // Whose check-in needs a look, and why, as the server says it.
    expect(page.querySelectorAll('.concern').map(c => c.dom.textContent.trim())).toEqual(['离线扫码（08:03 扫码，联网后同步）；超出签到范围：距活动地点约 3336 米（范围 300 米）'])

    counts = { ...ATTENDANCE, counts: { ...ATTENDANCE.counts, checked_in: 2 } }
    jest.advanceTimersByTime(5000)
    await settle(20)
    expect(text(page, '.live-count')).toBe('2')

    wx.showModal.mockImplementation(o => Promise.resolve().then(() => o.success({ confirm: true, content: '手机没电' })))
    page.instance.manualCheckIn({ currentTarget: { dataset: { id: 43, name: '林晓红' } } })
    await settle(20)
    const manual = server.calls.find(c => c.method === 'POST' && c.path === '/api/v1/activities/5/checkins')
    expect(manual.data).toEqual({ person_id: 43, reason: '手机没电' })

    await tap(page, '.toggle-code')
    expect(wx.downloadFile.mock.calls[0][0].url).toBe('http://127.0.0.1:8000/api/v1/activities/5/rotating-code.png?step=99')
    expect(page.querySelector('.code-image')).toBeTruthy()
    jest.advanceTimersByTime(12000)
    await settle(20)
    expect(server.calls.filter(c => c.path === '/api/v1/activities/5/rotating-code')).toHaveLength(2)
    page.instance.onUnload()
  })

  test('a teacher sees the detail without organizer tools', async () => {
    loggedInAs(TEACHER)
    const server = fakeServer({ 'GET /api/v1/activities/5': () => [200, { ...ACTIVITY, can_manage: false }] })
    const page = await openPage('pages/activity/index', { id: '5' })
    expect(page.dom.textContent).toContain('送教下乡示范课')
    expect(page.querySelector('.live-count')).toBeFalsy()
    expect(server.calls.some(c => c.path.endsWith('/attendance'))).toBe(false)
  })
})

describe('check-out from the activity page', () => {
  const MINE = { id: 31, activity_id: 5, title: '送教下乡示范课', kind: '送教下乡', scanned_at: '2026-11-27T08:02:00+08:00', late: false, offline: false, annulled: false, checkout_at: null }

  test('the person who checked in taps 签退, confirms, and hears her time and 课时', async () => {
    loggedInAs(TEACHER)
    const server = fakeServer({
      'GET /api/v1/activities/5': () => [200, { ...ACTIVITY, can_manage: false }],
      'GET /api/v1/me/checkins': () => [200, [{ ...MINE, id: 30, activity_id: 4 }, MINE]],
      'POST /api/v1/checkins/31/checkout': () => [200, { ...MINE, checkout_at: '2026-11-27T08:40:00+08:00', minutes_on_site: 38, hours: 0.5, message: '签退成功：在场约 38 分钟，计参与课时 0.5' }]
    })
    const page = await openPage('pages/activity/index', { id: '5' })
    expect(text(page, '.mine-state')).toBe('11月27日 08:02 已签到')
    expect(text(page, '.check-out')).toBe('签退')
    wx.showModal.mockImplementation(o => Promise.resolve().then(() => o.success && o.success({ confirm: true })))
    await tap(page, '.check-out')
    const calls = server.calls.filter(c => c.method === 'POST' && c.path.endsWith('/checkout'))
    expect(calls.map(c => c.path)).toEqual(['/api/v1/checkins/31/checkout'])
    expect(wx.showModal.mock.calls[1][0].content).toBe('签退成功：在场约 38 分钟，计参与课时 0.5')
    expect(text(page, '.mine-state')).toBe('11月27日 08:02 已签到，11月27日 08:40 已签退')
    expect(page.querySelector('.check-out')).toBeFalsy()
  })

  test('no 签退 for someone who did not check in here, or who cancelled the dialog', async () => {
    loggedInAs(TEACHER)
    const server = fakeServer({
      'GET /api/v1/activities/5': () => [200, { ...ACTIVITY, can_manage: false }],
      'GET /api/v1/me/checkins': () => [200, [{ ...MINE, activity_id: 4 }, { ...MINE, id: 32, annulled: true }]]
    })
    const page = await openPage('pages/activity/index', { id: '5' })
    expect(page.querySelector('.check-out')).toBeFalsy()
    expect(page.querySelector('.mine')).toBeFalsy()

    freshWx()
    loggedInAs(TEACHER)
    const again = fakeServer({ 'GET /api/v1/activities/5': () => [200, { ...ACTIVITY, can_manage: false }], 'GET /api/v1/me/checkins': () => [200, [MINE]] })
    const other = await openPage('pages/activity/index', { id: '5' })
    wx.showModal.mockImplementation(o => Promise.resolve().then(() => o.success({ confirm: false })))
    await tap(other, '.check-out')
    expect(again.calls.some(c => c.path.endsWith('/checkout'))).toBe(false)
    expect(server.calls.some(c => c.path.endsWith('/checkout'))).toBe(false)
    expect(text(other, '.check-out')).toBe('签退')
  })
})

test('my hours this semester and my check-ins', async () => {
  loggedInAs(TEACHER)
  fakeServer({
    'GET /api/v1/me/hours': () => [200, { semester: '2026秋', presenter_hours: 0, attendee_hours: 2, total_hours: 2, entries: [{ activity_id: 1, title: '送教下乡示范课', kind: '送教下乡', role: 'attendee', hours: 2 }] }],
    'GET /api/v1/me/checkins': () => [200, [{ id: 1, activity_id: 1, title: '送教下乡示范课', kind: '送教下乡', scanned_at: '2026-11-27T07:53:48+08:00', late: true, offline: false, annulled: false }]]
  })
  const page = await openPage('pages/hours/index')
  expect(text(page, '.total')).toBe('2 课时')
  expect(page.dom.textContent).toContain('2026秋学期')
  expect(page.dom.textContent).toContain('迟到')
})

test('activities list marks the ones I checked in to', async () => {
  loggedInAs(TEACHER)
  fakeServer({
    'GET /api/v1/activities': () => [200, { items: [{ ...ACTIVITY, id: 1 }, { ...ACTIVITY, id: 2, title: '专题讲座' }], total: 2 }],
    'GET /api/v1/me/checkins': () => [200, [{ id: 9, activity_id: 1, annulled: false }]]
  })
  const page = await openPage('pages/activities/index')
  const rows = page.querySelectorAll('.activity').map(a => a.dom.textContent.replace(/\s+/g, ''))
  expect(rows[0]).toContain('已签到')
  expect(rows[1]).toContain('进行中')
})

describe('notices', () => {
  test('the list shows unread first with their state', async () => {
    loggedInAs(PARENT)
    fakeServer({ 'GET /api/v1/me/notices': () => [200, { items: [{ id: 1, title: '家长开放日通知', kindergarten_name: '石桥村幼儿园', ack_mode: 'rsvp', status: 'published', published_at: '2026-11-27T07:53:57+08:00', read: false, confirmed: false, rsvp_status: null }], total: 1, unread: 1 }] })
    const page = await openPage('pages/notices/index')
    expect(page.dom.textContent).toContain('未读 1 条')
    expect(text(page, '.state')).toBe('未读')
  })
})

const SUMMARY = {
  id: 4, kind_label: '工作周报', period_label: '2026年11月16日—11月22日', scope: { kind: 'region', id: 1, name: '湘江县' },
  happened: { activities: 3, checkins: 40, send_hours: 6, attendance_rate: 0.9, posts_published: 2 },
  targets: { items: [{ key: 'send_hours', label: '送教课时', unit: '课时', done: 6, target: 100, rate: 0.06, status: 'at_risk', status_label: '进度落后' }] },
  alerts: { count: 1, items: [{ pairing_id: 1, message: '实验幼儿园 → 机关幼儿园：本学期已有 3 个月无人到被帮扶园指导' }] }
}

test("leader's summary shows the chart, figures, targets and alerts", async () => {
  loggedInAs(LEADER)
  fakeServer({ 'GET /api/v1/reports/summaries/latest': () => [200, SUMMARY] })
  const page = await openPage('pages/summary/index')
  expect(wx.downloadFile.mock.calls[0][0].url).toBe('http://127.0.0.1:8000/api/v1/reports/summaries/4/chart.png')
  expect(page.querySelector('.chart')).toBeTruthy()
  expect(page.dom.textContent).toContain('湘江县 工作周报')
  expect(page.dom.textContent).toContain('90%')
  expect(page.dom.textContent).toContain('2 篇')
  expect(page.dom.textContent).toContain('本学期已有 3 个月无人到被帮扶园指导')
  expect(page.dom.innerHTML).toContain('进度落后')
})

test('a pushed summary opens that summary, not the latest', async () => {
  loggedInAs(LEADER)
  const server = fakeServer({
    'GET /api/v1/reports/summaries/9': () => [200, { ...SUMMARY, id: 9, kind_label: '学期总结' }],
    'GET /api/v1/reports/summaries/latest': () => [200, SUMMARY]
  })
  const page = await openPage('pages/summary/index', { id: '9' })
  expect(page.dom.textContent).toContain('湘江县 学期总结')
  expect(server.calls.map(c => c.path)).not.toContain('/api/v1/reports/summaries/latest')
  expect(wx.downloadFile.mock.calls[0][0].url).toBe('http://127.0.0.1:8000/api/v1/reports/summaries/9/chart.png')
})

test('a pairing alert opens the pairing with the targets behind', async () => {
  loggedInAs(DIRECTOR)
  const server = fakeServer({
    'GET /api/v1/reports/pairings/3': () => [200, {
      pairing_id: 3, name: '实验幼儿园 → 石桥村幼儿园', supporting: { id: 2, name: '实验幼儿园' }, supported: { id: 5, name: '石桥村幼儿园' },
      period: '2026秋', behind: ['visit_months'], figures: { activities: 4, teachers_reached: 11, attendance_rate: 0.8 },
      targets: { visit_months: { key: 'visit_months', label: '每月到园指导', unit: '个月', done: 1, target: 4, rate: 0.25, status: 'at_risk', status_label: '进度落后' } }
    }]
  })
  const page = await openPage('pages/pairing/index', { id: '3', semester: encodeURIComponent('2026秋') })
  expect(server.calls.find(c => c.path === '/api/v1/reports/pairings/3').query).toEqual({ semester: '2026秋' })
  expect(page.dom.textContent).toContain('实验幼儿园 帮扶 石桥村幼儿园')
  expect(page.dom.textContent).toContain('进度落后：每月到园指导')
  expect(page.dom.textContent).toContain('80%')
  expect(page.dom.innerHTML).toContain('每月到园指导')
})

test('a pairing link without an id says so', async () => {
  loggedInAs(DIRECTOR)
  fakeServer({})
  const page = await openPage('pages/pairing/index', {})
  expect(text(page, '.error')).toContain('缺少结对编号')
})

test("director's view shows her kindergarten's targets", async () => {
  loggedInAs(DIRECTOR)
  fakeServer({
    'GET /api/v1/me': () => [200, DIRECTOR],
    'GET /api/v1/reports/kindergartens': () => [200, { period: '2026秋', items: [
      { kindergarten_id: 7, name: '别的园', targets: {}, figures: {} },
      { kindergarten_id: 2, name: '湘江县实验幼儿园', targets: { lectures: { key: 'lectures', label: '专题讲座', unit: '次', done: 1, target: 8, rate: 0.125, status: 'at_risk', status_label: '进度落后' } }, figures: { activities: 2, teachers_reached: 12, attendance_rate: 0.75, pairings_given: 4 } }
    ] }],
    'GET /api/v1/reports/alerts': () => [200, { items: [] }]
  })
  const page = await openPage('pages/kindergarten/index')
  expect(page.dom.textContent).toContain('湘江县实验幼儿园')
  expect(page.dom.textContent).toContain('75%')
  expect(page.dom.innerHTML).toContain('专题讲座')
  expect(page.dom.textContent).not.toContain('别的园')
})

test('settings shows my data and unbinding clears the phone after logout', async () => {
  loggedInAs(TEACHER)
  wx.setStorageSync('sjt.offlineCheckins', [{ scene: 'd.a', nonce: 'aaaaaaaaaaaa' }])
  const server = fakeServer({ 'GET /api/v1/me': () => [200, TEACHER], 'POST /api/v1/auth/logout': () => [200, { ok: true }] })
  const page = await openPage('pages/settings/index')
  expect(text(page, '.name')).toBe('郑洁')
  expect(page.dom.textContent).toContain('教师（青山镇石桥村幼儿园）')
  expect(page.dom.textContent).toContain('通知公告')
  page.instance.unbind()
  await settle(20)
  expect(wx.showModal.mock.calls[0][0].content).toContain('1 条未提交的离线签到')
  expect(server.calls.some(c => c.path === '/api/v1/auth/logout')).toBe(true)
  expect(wx.getStorageSync('sjt.session')).toBe('')
  expect(wx.getStorageSync('sjt.offlineCheckins')).toBe('')
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/bind/index' })
})

test('settings shows her own 公众号 follow code to long-press, or that she is linked', async () => {
  loggedInAs(TEACHER)
  let linked = false
  const server = fakeServer({
    'GET /api/v1/me': () => [200, TEACHER],
    'GET /api/v1/me/follow-qrcode': () => [200, { linked, url: 'http://weixin.qq.com/q/abc', expires_at: '2027-01-05T00:00:00+00:00', image_path: '/api/v1/me/follow-qrcode.png' }]
  })
  wx.downloadFile.mockImplementation(options => Promise.resolve().then(() => options.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/follow.png' })))
  wx.previewImage = jest.fn()
  const page = await openPage('pages/settings/index')
  expect(page.dom.textContent).toContain('关注公众号接收通知')
  expect(server.calls.some(c => c.path === '/api/v1/me/follow-qrcode')).toBe(false) // only on a tap
  await page.instance.showFollow()
  await settle()
  const downloaded = wx.downloadFile.mock.calls[0][0]
  expect(downloaded.url).toMatch(/\/api\/v1\/me\/follow-qrcode\.png$/)
  expect(downloaded.header.authorization).toBe('Bearer access-1')
  const image = page.querySelector('.follow-qr')
  expect(image).toBeTruthy()
  expect(page.instance.data.followImage).toBe('wxfile://tmp/follow.png')
  // The simulator drops a built-in image's attributes: the template is read for them.
  const wxml = fs.readFileSync(path.join(ROOT, 'pages/settings/index.wxml'), 'utf8')
  expect(wxml).toMatch(/<image class="follow-qr" src="\{\{followImage\}\}"[^>]*show-menu-by-longpress="\{\{true\}\}"/)
  expect(text(page, '.follow-state')).toBe('未关联')
  expect(text(page, '.follow-tip')).toContain('长按二维码')
  page.instance.previewFollow()
  expect(wx.previewImage).toHaveBeenCalledWith({ urls: ['wxfile://tmp/follow.png'], showmenu: true })

  linked = true
  await page.instance.showFollow()
  await settle()
  expect(text(page, '.follow-state')).toBe('已关联')
  expect(text(page, '.follow-linked')).toContain('通过公众号发送')
  expect(page.querySelector('.follow-qr')).toBeFalsy()
  expect(wx.downloadFile).toHaveBeenCalledTimes(1)
})

describe('the project', () => {
  const files = dir => fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap(d => (d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)]))
  const sources = ['pages', 'components', 'utils'].flatMap(files).concat(['app.js'])

  test('only the API client calls wx.request and only the endpoint table names server paths', () => {
    // utils/files.js also moves files: uploads (multipart) and a notice's attachment links.
    const movers = [path.join('utils', 'api.js'), path.join('utils', 'files.js')]
    for (const file of sources.filter(f => f.endsWith('.js'))) {
      const code = fs.readFileSync(path.join(ROOT, file), 'utf8')
      if (!movers.includes(file)) expect([file, /wx\.(request|downloadFile|uploadFile)\(/.test(code)]).toEqual([file, false])
      if (file !== path.join('utils', 'endpoints.js')) expect([file, code.includes('/api/v1')]).toEqual([file, false])
    }
  })

  test('app.json lists every page, WeUI, the location permission and the privacy check', () => {
    const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
    for (const page of app.pages) {
      for (const ext of ['js', 'json', 'wxml']) expect(fs.existsSync(path.join(ROOT, `${page}.${ext}`))).toBe(true)
    }
    const pageDirs = fs.readdirSync(path.join(ROOT, 'pages')).map(d => `pages/${d}/index`)
    expect(pageDirs.sort()).toEqual([...app.pages].sort())
    expect(app.useExtendedLib).toEqual({ weui: true })
    expect(app.requiredPrivateInfos).toEqual(['getLocation'])
    expect(app.permission['scope.userLocation'].desc).toMatch(/[\u4e00-\u9fa5]/)
    expect(app.__usePrivacyCheck__).toBe(true)
  })

  test('user-facing text in templates is Chinese', () => {
    for (const file of sources.filter(f => f.endsWith('.wxml'))) {
      const textOnly = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/<[^>]*>/g, ' ').replace(/\{\{[^}]*\}\}/g, ' ')
      const latinWords = textOnly.match(/[A-Za-z]{3,}/g) || []
      expect([file, latinWords]).toEqual([file, []])
    }
  })
})
