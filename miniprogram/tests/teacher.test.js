// A teacher's day on the phone: home with her next activity, 课时 and waiting scans; a scan's
// result naming the activity and the 课时; what became of her offline scans; her own
// check-in on the activity page; and the organizer's rotating code across a screen lock.
const { freshWx, fakeServer, loggedInAs, openPage, settle, text, TEACHER, DIRECTOR, PARENT } = require('./helpers')
const { tap, texts } = require('./ui')
const { hide, show, screenKeptOn } = require('./phone')
const queue = require('../utils/offline-queue')

beforeEach(() => freshWx())
afterEach(() => jest.useRealTimers())

const OVERVIEW = {
  semester: '2026秋',
  hours: { presenter_hours: 2, attendee_hours: 1.5, total_hours: 3.5 },
  targets: [
    { key: 'send_hours', label: '送教课时', unit: '课时', done: 6, target: 10, status_label: '进度落后', kindergarten_id: 9, kindergarten_name: '青山镇石桥村幼儿园' }
  ],
  next_activity: { id: 7, title: '绘本教学示范课', starts_at: '2026-12-08T09:00:00+08:00', ends_at: '2026-12-08T11:00:00+08:00', address: '石桥村幼儿园', checked_in: false }
}
const ACTIVITY_BRIEF = { id: 7, title: '绘本教学示范课', starts_at: '2026-12-08T09:00:00+08:00', ends_at: '2026-12-08T11:00:00+08:00', address: '石桥村幼儿园' }
const CHECKIN = { id: 41, activity_id: 7, method: 'static', late: false, offline: false, outside_geofence: false, no_location: false, scanned_at: '2026-12-08T08:55:00+08:00' }

describe('home for staff', () => {
  test('shows the next activity, her 课时 against the target and the waiting scans, each a tap away', async () => {
    loggedInAs(TEACHER)
    queue.add({ scene: 'd.a.1.y', nonce: 'aaaaaaaaaaaa', scanned_at: '2026-12-08T01:00:00Z' })
    queue.add({ scene: 'd.b.1.y', nonce: 'bbbbbbbbbbbb', scanned_at: '2026-12-08T01:05:00Z' })
    fakeServer({ 'GET /api/v1/me': () => [200, TEACHER], 'GET /api/v1/me/overview': () => [200, OVERVIEW], 'GET /api/v1/inbox': () => [200, { items: [], total: 0, unread: 0 }] })
    const page = await openPage('pages/home/index')
    expect(text(page, '.next-title')).toBe('绘本教学示范课')
    expect(text(page, '.next-activity .muted')).toBe('12月8日 09:00 · 石桥村幼儿园')
    expect(text(page, '.hours-total')).toBe('3.5 课时')
    expect(text(page, '.my-hours .muted')).toBe('主讲 2 课时 · 参加 1.5 课时')
    expect(texts(page, '.target .weui-cell__bd')).toEqual(['青山镇石桥村幼儿园 送教课时进度落后'])
    expect(texts(page, '.target .muted')).toEqual(['进度落后'])
    expect(texts(page, '.target-progress')).toEqual(['6 / 10 课时'])
    expect(text(page, '.queued')).toBe('有 2 条离线签到等待联网提交')
    await tap(page, '.next-activity')
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/activity/index?id=7' })
    await tap(page, '.my-hours')
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/hours/index' })
    await tap(page, '.queued-row')
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/checkin/index' })
  })

  test('nothing coming up says so; a parent is not asked for a teacher\'s overview', async () => {
    loggedInAs(DIRECTOR)
    fakeServer({ 'GET /api/v1/me': () => [200, DIRECTOR], 'GET /api/v1/me/overview': () => [200, { ...OVERVIEW, next_activity: null, targets: [] }], 'GET /api/v1/inbox': () => [200, { items: [], total: 0, unread: 0 }] })
    const page = await openPage('pages/home/index')
    expect(page.dom.textContent).toContain('近期没有需要参加的活动')
    expect(page.querySelector('.target')).toBeFalsy()

    freshWx()
    loggedInAs(PARENT)
    const server = fakeServer({ 'GET /api/v1/me': () => [200, PARENT], 'GET /api/v1/inbox': () => [200, { items: [], total: 0, unread: 0 }] })
    const parentHome = await openPage('pages/home/index')
    expect(server.calls.some(c => c.path === '/api/v1/me/overview')).toBe(false)
    expect(parentHome.querySelector('.next-activity')).toBeFalsy()
  })
})

describe('a scan and its result', () => {
  test('the result names the activity, its time and place, and the 课时 earned', async () => {
    loggedInAs(TEACHER)
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: '', path: 'pages/checkin/index?scene=s.02kjvR2r' })))
    fakeServer({ 'POST /api/v1/checkins': () => [200, { status: 'checked_in', reason: null, message: '签到成功', checkin: CHECKIN, activity: ACTIVITY_BRIEF, hours: 2 }] })
    const page = await openPage('pages/checkin/index')
    await tap(page, '.scan')
    const url = wx.navigateTo.mock.calls[0][0].url
    const result = await openPage('pages/checkin-result/index', { r: url.slice(url.indexOf('?r=') + 3) })
    expect(text(result, '#result >> .title')).toBe('签到成功')
    expect(text(result, '#result >> .activity')).toBe('绘本教学示范课')
    expect(text(result, '#result >> .activity-when')).toBe('12月8日 09:00 · 石桥村幼儿园')
    expect(text(result, '#result >> .scanned-at')).toBe('12月8日 08:55 签到')
    expect(text(result, '#result >> .earned')).toBe('计参与课时 2 课时，中途离开请签退（按在场时间计算）')
    await tap(result, '.open-activity')
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/activity/index?id=7' })
  })

  test('a refusal names no 课时, and a code the server could not place names no activity', async () => {
    loggedInAs(TEACHER)
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: 's.unknown1' })))
    fakeServer({ 'POST /api/v1/checkins': () => [422, { status: 'refused', reason: 'bad_code', message: '无法识别的签到码，请扫描活动现场的签到码', checkin: null, activity: null, hours: null, error: 'bad_code' }] })
    const page = await openPage('pages/checkin/index')
    await tap(page, '.scan')
    const url = wx.navigateTo.mock.calls[0][0].url
    const result = await openPage('pages/checkin-result/index', { r: url.slice(url.indexOf('?r=') + 3) })
    expect(text(result, '#result >> .title')).toBe('签到未成功')
    expect(text(result, '#result >> .activity')).toBeNull()
    expect(text(result, '#result >> .earned')).toBeNull()
    expect(result.querySelector('.open-activity')).toBeFalsy()
    await tap(result, '.again')
    expect(wx.navigateBack).toHaveBeenCalled()
  })
})

describe('offline scans sent later', () => {
  function twoQueued() {
    queue.add({ scene: 'd.a.1.y', nonce: 'aaaaaaaaaaaa', scanned_at: '2026-12-08T00:55:00Z' })
    queue.add({ scene: 'd.b.1.y', nonce: 'bbbbbbbbbbbb', scanned_at: '2026-12-08T06:10:00Z' })
  }
  const answers = {
    'd.a.1.y': [200, { status: 'checked_in', reason: null, message: '签到成功（离线签到已同步）', checkin: { ...CHECKIN, offline: true }, activity: ACTIVITY_BRIEF, hours: 2 }],
    'd.b.1.y': [422, { status: 'refused', reason: 'code_expired', message: '签到码已过期，请扫描投影屏上的最新签到码', checkin: null, activity: { ...ACTIVITY_BRIEF, id: 8, title: '专题讲座：幼小衔接' }, hours: null, error: 'code_expired' }]
  }

  test('tapping 立即提交 says what was accepted and, for each refused scan, its activity, time and reason', async () => {
    loggedInAs(TEACHER)
    twoQueued()
    fakeServer({ 'POST /api/v1/checkins': req => answers[req.data.scene] })
    const page = await openPage('pages/checkin/index')
    await tap(page, '.sync')
    expect(wx.showToast).not.toHaveBeenCalledWith(expect.objectContaining({ title: expect.stringContaining('已提交 2') }))
    const dialog = wx.showModal.mock.calls[0][0]
    expect(dialog.title).toBe('离线签到结果')
    expect(dialog.content).toBe('1 条签到成功，1 条未成功：\n专题讲座：幼小衔接（12月8日 14:10 扫码）签到码已过期，请扫描投影屏上的最新签到码')
    expect(texts(page, '.synced-title')).toEqual(['专题讲座：幼小衔接', '绘本教学示范课'])
    expect(texts(page, '.synced .muted')).toEqual(['12月8日 14:10 扫码', '12月8日 08:55 扫码'])
    expect(texts(page, '.synced-outcome')).toEqual(['未成功：签到码已过期，请扫描投影屏上的最新签到码', '签到成功（离线签到已同步）'])
  })

  test('all accepted: a toast counts them; the app says the same when it syncs on its own', async () => {
    loggedInAs(TEACHER)
    queue.add({ scene: 'd.a.1.y', nonce: 'aaaaaaaaaaaa', scanned_at: '2026-12-08T00:55:00Z' })
    fakeServer({ 'POST /api/v1/checkins': req => answers[req.data.scene] })
    global.App = def => { global.__app = def }
    jest.isolateModules(() => require('../app.js'))
    await global.__app.syncOfflineCheckins()
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '离线签到已提交，1 条签到成功', icon: 'none' }))
    expect(wx.showModal).not.toHaveBeenCalled()

    twoQueued()
    wx.showToast.mockClear()
    await global.__app.syncOfflineCheckins()
    // The first scan was already answered; the second one's refusal is told, not counted as sent.
    expect(wx.showModal.mock.calls[0][0].content).toContain('1 条签到成功，1 条未成功')
    expect(wx.showToast).not.toHaveBeenCalled()
  })

  test('still offline: nothing is said to be sent', async () => {
    loggedInAs(TEACHER)
    twoQueued()
    fakeServer({ 'POST /api/v1/checkins': () => 'network' })
    const page = await openPage('pages/checkin/index')
    await tap(page, '.sync')
    // Each request is retried (same nonce) after a timer before the scan waits again.
    for (let i = 0; i < 50 && !wx.showToast.mock.calls.length; i += 1) {
      await new Promise(resolve => setTimeout(resolve, 1))
      await settle()
    }
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '网络仍不可用，稍后自动重试' }))
    expect(text(page, '.queued')).toContain('有 2 条签到在等待网络')
  })
})

describe('the activity page', () => {
  const ACTIVITY = { id: 7, title: '绘本教学示范课', kind: '送教下乡', status: 'ongoing', status_label: '进行中', host_name: '石桥村幼儿园', address: '石桥村', starts_at: '2026-12-08T09:00:00+08:00', ends_at: '2026-12-08T11:00:00+08:00', can_manage: false, rotate_seconds: 15 }
  const MINE = { id: 41, activity_id: 7, title: '绘本教学示范课', kind: '送教下乡', scanned_at: '2026-12-08T09:12:00+08:00', late: true, offline: true, annulled: false, checkout_at: null, hours: 2 }

  test('shows her own check-in: when, late or offline, and the 课时 it earned', async () => {
    loggedInAs(TEACHER)
    fakeServer({ 'GET /api/v1/activities/7': () => [200, ACTIVITY], 'GET /api/v1/me/checkins': () => [200, [MINE]] })
    const page = await openPage('pages/activity/index', { id: '7' })
    expect(text(page, '.mine-state')).toBe('12月8日 09:12 已签到')
    expect(text(page, '.mine-notes')).toBe('迟到，离线签到；计 2 课时')
    expect(page.querySelector('.go-checkin')).toBeFalsy()
  })

  test('not checked in to an activity under way: she is offered 扫码签到', async () => {
    loggedInAs(TEACHER)
    fakeServer({ 'GET /api/v1/activities/7': () => [200, ACTIVITY], 'GET /api/v1/me/checkins': () => [200, [{ ...MINE, annulled: true }]] })
    const page = await openPage('pages/activity/index', { id: '7' })
    expect(page.querySelector('.mine')).toBeFalsy()
    expect(text(page, '.not-mine .muted')).toBe('您还没有在本活动签到')
    await tap(page, '.go-checkin')
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/checkin/index' })
  })

  test('the rotating code keeps the screen on, stops when the screen locks and starts again on return', async () => {
    loggedInAs(DIRECTOR)
    let step = 100
    const server = fakeServer({
      'GET /api/v1/activities/7': () => [200, { ...ACTIVITY, can_manage: true }],
      'GET /api/v1/activities/7/attendance': () => [200, { counts: { expected: 3, checked_in: 1, late: 0, absent: 2, flagged: 0 }, checkins: [], absent: [] }],
      'GET /api/v1/me/checkins': () => [200, []],
      'GET /api/v1/activities/7/rotating-code': () => {
        step += 1
        return [200, { scene: `d.x.${step}.y`, step, expires_in: 12, rotate_seconds: 15, image_url: '', checkin_open: true }]
      }
    })
    const codes = () => server.calls.filter(c => c.path === '/api/v1/activities/7/rotating-code').length
    const lives = () => server.calls.filter(c => c.path === '/api/v1/activities/7/attendance').length
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] })
    const page = await openPage('pages/activity/index', { id: '7' })
    expect(screenKeptOn()).toBeUndefined()

    await tap(page, '.toggle-code')
    expect(screenKeptOn()).toBe(true)
    expect(codes()).toBe(1)
    expect(wx.downloadFile.mock.calls[0][0].url).toContain('/rotating-code.png?step=101')
    jest.advanceTimersByTime(12000)
    await settle(20)
    expect(codes()).toBe(2)

    // The screen locks: timers stop, the screen may sleep.
    await hide(page)
    expect(screenKeptOn()).toBe(false)
    const livesWhenHidden = lives()
    jest.advanceTimersByTime(120000)
    await settle(20)
    expect(codes()).toBe(2)
    expect(lives()).toBe(livesWhenHidden)

    // Back: a fresh code at once, the screen kept on, the live count and the rotation go on.
    await show(page)
    expect(screenKeptOn()).toBe(true)
    expect(codes()).toBe(3)
    expect(lives()).toBe(livesWhenHidden + 1)
    expect(wx.downloadFile.mock.calls[wx.downloadFile.mock.calls.length - 1][0].url).toContain('step=103')
    jest.advanceTimersByTime(12000)
    await settle(20)
    expect(codes()).toBe(4)
    jest.advanceTimersByTime(5000)
    await settle(20)
    expect(lives()).toBeGreaterThan(livesWhenHidden + 1)

    // Put away: no more codes, the screen may sleep again.
    await tap(page, '.toggle-code')
    expect(screenKeptOn()).toBe(false)
    jest.advanceTimersByTime(60000)
    await settle(20)
    expect(codes()).toBe(4)
    page.instance.onUnload()
  })

  test('without the code shown, a lock and return never touches the screen setting', async () => {
    loggedInAs(TEACHER)
    fakeServer({ 'GET /api/v1/activities/7': () => [200, ACTIVITY], 'GET /api/v1/me/checkins': () => [200, [MINE]] })
    const page = await openPage('pages/activity/index', { id: '7' })
    await hide(page)
    await show(page)
    expect(wx.setKeepScreenOn).not.toHaveBeenCalled()
    page.instance.onUnload()
  })
})
