// Weak signal: home and the lists render from what the phone kept, under a 离线 banner, and
// scanning and the waiting scans stay one tap away. Taps go through the rendered WXML.
const fs = require('fs')
const path = require('path')
const { ROOT, freshWx, fakeServer, loggedInAs, loginBody, openPage, settle, text, TEACHER, PARENT } = require('./helpers')
const { tap, texts } = require('./ui')
const { goOffline } = require('./phone')
const api = require('../utils/api')
const queue = require('../utils/offline-queue')

beforeEach(() => freshWx())

const OVERVIEW = {
  semester: '2026秋',
  hours: { presenter_hours: 2, attendee_hours: 1.5, total_hours: 3.5 },
  targets: [{ key: 'send_hours_received', label: '接受送教课时', unit: '课时', done: 4, target: 10, status_label: '进度正常', kindergarten_id: 9, kindergarten_name: '青山镇石桥村幼儿园' }],
  next_activity: { id: 7, title: '绘本教学示范课', starts_at: '2026-12-08T09:00:00+08:00', ends_at: '2026-12-08T11:00:00+08:00', address: '石桥村幼儿园', checked_in: false }
}
const NOTICES = { items: [{ id: 1, title: '家长开放日通知', kindergarten_name: '石桥村幼儿园', ack_mode: 'rsvp', status: 'published', published_at: '2026-11-27T07:53:57+08:00', read: false, confirmed: false, rsvp_status: null }], total: 1, unread: 1 }

function online(person = TEACHER) {
  return fakeServer({
    'GET /api/v1/me': () => [200, person],
    'GET /api/v1/me/overview': () => [200, OVERVIEW],
    'GET /api/v1/me/notices': () => [200, NOTICES],
    'GET /api/v1/inbox': () => [200, { items: [], total: 0, unread: 0 }]
  })
}

describe('the phone keeps answers for offline use', () => {
  test('a kept answer comes back offline with the time it was kept; other errors are not hidden', async () => {
    loggedInAs(TEACHER)
    online()
    const first = await api.cached('myNotices', { query: { limit: 50 } })
    expect(first).toMatchObject({ offline: false, data: NOTICES })
    goOffline()
    const kept = await api.cached('myNotices', { query: { limit: 50 } })
    expect(kept.offline).toBe(true)
    expect(kept.data).toEqual(NOTICES)
    expect(Date.parse(kept.savedAt)).not.toBeNaN()
    // Another query was never kept: the network error stands.
    await expect(api.cached('myNotices', { query: { limit: 10 } })).rejects.toMatchObject({ code: 'network' })
    // A refusal is an answer, never replaced by what was kept.
    fakeServer({ 'GET /api/v1/me/notices': () => [403, { error: 'forbidden', message: '无权查看' }] })
    await expect(api.cached('myNotices', { query: { limit: 50 } })).rejects.toMatchObject({ code: 'forbidden' })
  })

  test("one person's kept answers are never shown to the next person logged in on the phone", async () => {
    loggedInAs(TEACHER)
    online()
    await api.cached('myNotices', { query: { limit: 50 } })
    loggedInAs(PARENT)
    goOffline()
    await expect(api.cached('myNotices', { query: { limit: 50 } })).rejects.toMatchObject({ code: 'network' })
  })

  test('unbinding clears the kept answers with the rest', async () => {
    loggedInAs(TEACHER)
    fakeServer({ 'GET /api/v1/me': () => [200, TEACHER], 'GET /api/v1/subscriptions': () => [200, { items: [] }], 'POST /api/v1/auth/logout': () => [200, { ok: true }] })
    await api.cached('me')
    expect(wx.getStorageSync(api.CACHE_KEY)).toBeTruthy()
    const page = await openPage('pages/settings/index')
    await tap(page, '.unbind')
    expect(wx.getStorageSync(api.CACHE_KEY)).toBe('')
  })
})

describe('home without a network', () => {
  test('an offline start shows who she is, her tiles, the waiting scans and a 离线 banner, and scanning is a tap away', async () => {
    loggedInAs(TEACHER) // tokens and person from an earlier launch; nothing else kept
    queue.add({ scene: 'd.a.1.y', nonce: 'aaaaaaaaaaaa', scanned_at: '2026-11-20T08:00:00Z' })
    goOffline()
    const page = await openPage('pages/home/index')
    expect(text(page, '.offline-banner')).toContain('当前离线')
    expect(page.querySelector('.error')).toBeFalsy()
    expect(text(page, '.name')).toBe('郑洁，您好')
    expect(texts(page, '.entry')[0]).toBe('扫码签到')
    expect(text(page, '.queued')).toBe('有 1 条离线签到等待联网提交')
    await tap(page, '.entry', 0)
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/checkin/index' })
    await tap(page, '.queued-row')
    expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/checkin/index' })
    expect(wx.reLaunch).not.toHaveBeenCalled()
  })

  test('what was shown online comes back offline, with the time it was kept', async () => {
    loggedInAs(TEACHER)
    online()
    const first = await openPage('pages/home/index')
    expect(first.querySelector('.offline-banner')).toBeFalsy()
    expect(text(first, '.next-title')).toBe('绘本教学示范课')
    goOffline()
    const page = await openPage('pages/home/index')
    expect(text(page, '.offline-banner')).toMatch(/^当前离线，显示的是 \d+月\d+日 \d\d:\d\d 保存的内容/)
    expect(text(page, '.next-title')).toBe('绘本教学示范课')
    expect(text(page, '.hours-total')).toBe('3.5 课时')
    expect(texts(page, '.target-progress')).toEqual(['4 / 10 课时'])
    expect(page.querySelector('.ask-news')).toBeFalsy() // a prompt needs the network
  })

  test('with nothing on the phone at all, the banner says so and 扫码签到 is still there', async () => {
    wx.login.mockImplementation(o => Promise.resolve().then(() => o.success({ code: 'demo-teacher' })))
    goOffline()
    const page = await openPage('pages/home/index')
    expect(text(page, '.offline-banner')).toBe('当前离线，手机上还没有保存的内容。联网后下拉刷新。')
    expect(page.querySelector('.error')).toBeFalsy()
    expect(texts(page, '.entry')).toEqual(['扫码签到'])
  })

  test('pulling down when the network is back shows the live page and ends the refresh', async () => {
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'pages/home/index.json'), 'utf8'))
    expect(json.enablePullDownRefresh).toBe(true)
    loggedInAs(TEACHER)
    goOffline()
    const page = await openPage('pages/home/index')
    expect(page.querySelector('.offline-banner')).toBeTruthy()
    online()
    await page.instance.onPullDownRefresh() // WeChat calls it when she pulls the page down
    await settle()
    expect(page.querySelector('.offline-banner')).toBeFalsy()
    expect(text(page, '.next-title')).toBe('绘本教学示范课')
    expect(wx.stopPullDownRefresh).toHaveBeenCalled()
  })

  test('an unbound person is sent to binding only when the server said so', async () => {
    const unbound = { ...loginBody().person, bound: false, id: null, name: null, roles: [] }
    loggedInAs(unbound)
    goOffline()
    await openPage('pages/home/index')
    expect(wx.reLaunch).not.toHaveBeenCalled()
  })
})

describe('the notices tab without a network', () => {
  test('shows the kept list under the banner, never 暂无通知', async () => {
    loggedInAs(PARENT)
    online(PARENT)
    await openPage('pages/notices/index')
    goOffline()
    const page = await openPage('pages/notices/index')
    expect(text(page, '.offline-banner')).toContain('当前离线，显示的是')
    expect(texts(page, '.notice-title')).toEqual(['家长开放日通知'])
    expect(page.dom.textContent).toContain('未读 1 条')
    expect(page.dom.textContent).not.toContain('暂无通知')
    expect(page.querySelector('.error')).toBeFalsy()
    await tap(page, '.notice')
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/notice/index?id=1' })
  })

  test('with nothing kept it says so, not 暂无通知 beside an error', async () => {
    loggedInAs(PARENT)
    goOffline()
    const page = await openPage('pages/notices/index')
    expect(text(page, '.offline-banner')).toBe('当前离线，手机上还没有保存的内容。联网后下拉刷新。')
    expect(page.dom.textContent).not.toContain('暂无通知')
    expect(page.querySelector('.error')).toBeFalsy()
  })

  test('online and empty, it says 暂无通知', async () => {
    loggedInAs(PARENT)
    fakeServer({ 'GET /api/v1/me/notices': () => [200, { items: [], total: 0, unread: 0 }], 'GET /api/v1/inbox': () => [200, { items: [], total: 0, unread: 0 }] })
    const page = await openPage('pages/notices/index')
    expect(text(page, '.empty')).toBe('暂无通知')
    expect(page.querySelector('.offline-banner')).toBeFalsy()
  })
})

describe('the activities list without a network', () => {
  const LIST = { items: [{ id: 7, title: '绘本教学示范课', kind: '送教下乡', host_name: '石桥村幼儿园', starts_at: '2026-12-08T09:00:00+08:00', status_label: '已发布' }], total: 1 }

  test('shows the kept list with her check-ins marked, and opens an activity on a tap', async () => {
    loggedInAs(TEACHER)
    fakeServer({ 'GET /api/v1/activities': () => [200, LIST], 'GET /api/v1/me/checkins': () => [200, [{ id: 41, activity_id: 7, annulled: false }]] })
    await openPage('pages/activities/index')
    goOffline()
    const page = await openPage('pages/activities/index')
    expect(text(page, '.offline-banner')).toContain('当前离线，显示的是')
    expect(texts(page, '.activity .weui-cell__ft')).toEqual(['已签到'])
    expect(page.dom.textContent).not.toContain('暂无活动')
    await tap(page, '.activity')
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/activity/index?id=7' })
  })

  test('with nothing kept it says so', async () => {
    loggedInAs(TEACHER)
    goOffline()
    const page = await openPage('pages/activities/index')
    expect(text(page, '.offline-banner')).toBe('当前离线，手机上还没有保存的内容。联网后下拉刷新。')
    expect(page.dom.textContent).not.toContain('暂无活动')
    expect(page.querySelector('.error')).toBeFalsy()
  })
})
