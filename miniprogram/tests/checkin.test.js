const { freshWx, fakeServer, loggedInAs, openPage, settle, text, TEACHER } = require('./helpers')
const { tap, texts } = require('./ui')
const checkin = require('../utils/checkin')
const queue = require('../utils/offline-queue')
const { sceneFromScan, sceneFromOptions } = require('../utils/scene')

// The reasons and messages of server/checkin/scan_rules.py, as the server answers them.
const REFUSALS = {
  bad_code: '无法识别的签到码，请扫描活动现场的签到码',
  code_expired: '签到码已过期，请扫描投影屏上的最新签到码',
  not_open_yet: '签到尚未开始',
  closed: '签到已结束',
  not_invited: '您不在本次活动的参加名单中，如有疑问请联系组织者',
  activity_cancelled: '活动已取消',
  not_published: '活动尚未发布',
  not_bound: '请先使用邀请码绑定身份后再签到'
}
const CHECKIN = { id: 1, activity_id: 1, method: 'static', late: false, offline: false, outside_geofence: false, no_location: false }

beforeEach(() => {
  freshWx()
  loggedInAs(TEACHER)
})

function answerWith(status, body) {
  return fakeServer({ 'POST /api/v1/checkins': () => [status, body] })
}

function resultOf(page) {
  const url = wx.navigateTo.mock.calls[wx.navigateTo.mock.calls.length - 1][0].url
  expect(url.startsWith('/pages/checkin-result/index?r=')).toBe(true)
  return url.slice(url.indexOf('?'))
}

async function showResult(query) {
  const options = { r: query.slice('?r='.length) }
  return openPage('pages/checkin-result/index', options)
}

test('scenes come from wxacode paths, plain QR links, raw text and launch options', () => {
  expect(sceneFromScan({ path: 'pages/checkin/index?scene=s.02kjvR2r' })).toBe('s.02kjvR2r')
  expect(sceneFromScan({ result: 'https://songjiao.example.cn/checkin?scene=d.02kjvR2r.1z9xba.fwlI1cqS' })).toBe('d.02kjvR2r.1z9xba.fwlI1cqS')
  expect(sceneFromScan({ result: 's.02kjvR2r' })).toBe('s.02kjvR2r')
  expect(sceneFromScan({ result: '这不是签到码 ' })).toBeNull()
  expect(sceneFromOptions({ scene: encodeURIComponent('d.02kjvR2r.1z9xba.fwl/I1c') })).toBe('d.02kjvR2r.1z9xba.fwl/I1c')
  // A plain QR link opening the mini-program arrives as options.q (the encoded link).
  expect(sceneFromOptions({ q: encodeURIComponent('https://songjiao.example.cn/checkin?scene=s.02kjvR2r') })).toBe('s.02kjvR2r')
})

test('scan button opens the camera only, sends the location and shows success', async () => {
  wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: '', path: 'pages/checkin/index?scene=s.02kjvR2r' })))
  const server = answerWith(200, { status: 'checked_in', reason: null, message: '签到成功', checkin: CHECKIN })
  const page = await openPage('pages/checkin/index')
  await tap(page, '.scan')
  expect(wx.scanCode.mock.calls[0][0].onlyFromCamera).toBe(true)
  const sent = server.calls.find(c => c.path === '/api/v1/checkins').data
  expect(sent).toMatchObject({ scene: 's.02kjvR2r', location: { lat: 28.2031, lng: 112.964, accuracy: 20 } })
  expect(sent.nonce).toMatch(/^[A-Za-z0-9]{20}$/)
  const result = await showResult(resultOf(page))
  expect(text(result, '#result >> .title')).toBe('签到成功')
})

test('launch by mini-program code checks in with the decoded scene, without location when refused', async () => {
  wx.getSetting.mockImplementation(o => Promise.resolve().then(() => o.success({ authSetting: { 'scope.userLocation': false } })))
  const server = answerWith(200, { status: 'checked_in', reason: null, message: '签到成功', checkin: { ...CHECKIN, no_location: true } })
  const page = await openPage('pages/checkin/index', { scene: encodeURIComponent('s.02kjvR2r') })
  const sent = server.calls.find(c => c.path === '/api/v1/checkins').data
  expect(sent.scene).toBe('s.02kjvR2r')
  expect(sent.location).toBeUndefined()
  expect(wx.getLocation).not.toHaveBeenCalled()
  const result = await showResult(resultOf(page))
  expect(result.dom.textContent).toContain('未获取位置')
})

test('a location failure still checks in', async () => {
  wx.getLocation.mockImplementation(o => Promise.resolve().then(() => o.fail({ errMsg: 'getLocation:fail auth deny' })))
  const server = answerWith(200, { status: 'checked_in', reason: null, message: '签到成功', checkin: CHECKIN })
  const out = await checkin.checkInScene('s.02kjvR2r')
  expect(out.status).toBe('checked_in')
  expect(server.calls.find(c => c.path === '/api/v1/checkins').data.location).toBeUndefined()
})

test('already checked in shows the server message', async () => {
  answerWith(200, { status: 'already_checked_in', reason: 'already_checked_in', message: '您已签到，无需重复签到', checkin: CHECKIN })
  const page = await openPage('pages/checkin/index', { scene: 's.02kjvR2r' })
  const result = await showResult(resultOf(page))
  expect(text(result, '#result >> .title')).toBe('您已签到')
  expect(text(result, '#result >> .message')).toBe('您已签到，无需重复签到')
})

test.each(Object.entries(REFUSALS))('refusal %s shows its Chinese reason', async (reason, message) => {
  answerWith(422, { status: 'refused', reason, message, checkin: null, error: reason })
  const page = await openPage('pages/checkin/index', { scene: 'd.02kjvR2r.1z9xba.fwlI1cqS' })
  const result = await showResult(resultOf(page))
  expect(text(result, '#result >> .title')).toBe('签到未成功')
  expect(text(result, '#result >> .message')).toBe(message)
  expect(result.dom.textContent).toContain('重新扫码')
  expect(queue.list()).toHaveLength(0)
})

test('a code that is not ours is refused on the phone', async () => {
  wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: '这不是签到码 ' })))
  const server = fakeServer({})
  const out = await checkin.scanAndCheckIn()
  expect(out).toMatchObject({ status: 'refused', reason: 'bad_code' })
  expect(server.calls.some(c => c.path === '/api/v1/checkins')).toBe(false)
})

test('the web console login code is confirmed after asking, never sent as a check-in', async () => {
  wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: 'https://sjt.example.cn/console/m/login?t=AbCdEfGh12345678' })))
  const server = fakeServer({ 'POST /api/v1/web-login/AbCdEfGh12345678/confirm': () => [200, { confirmed: true }] })
  const out = await checkin.scanAndCheckIn()
  expect(wx.showModal).toHaveBeenCalled()
  expect(out).toMatchObject({ status: 'web_login', message: '已确认，电脑上的管理后台将自动登录' })
  expect(server.calls.map(c => c.path)).toEqual(['/api/v1/web-login/AbCdEfGh12345678/confirm'])
  expect(checkin.describe(out).title).toBe('已确认登录')
})

test('a cancelled or expired web console login says so in Chinese', async () => {
  wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: 'https://sjt.example.cn/console/m/login?t=AbCdEfGh12345678' })))
  fakeServer({ 'POST /api/v1/web-login/AbCdEfGh12345678/confirm': () => [410, { error: 'scan_login_expired', message: '登录码已过期，请在网页上刷新后重新扫码' }] })
  const expired = await checkin.scanAndCheckIn()
  expect(expired).toMatchObject({ status: 'error', message: '登录码已过期，请在网页上刷新后重新扫码' })
  wx.showModal.mockImplementation(o => Promise.resolve().then(() => o.success({ confirm: false, cancel: true })))
  const cancelled = await checkin.scanAndCheckIn()
  expect(cancelled.status).toBe('cancelled')
})

test('closing the camera does nothing', async () => {
  wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.fail({ errMsg: 'scanCode:fail cancel' })))
  const page = await openPage('pages/checkin/index')
  await tap(page, '.scan')
  expect(wx.navigateTo).not.toHaveBeenCalled()
})

describe('offline queue', () => {
  test('a scan without network is kept and sent when the network returns', async () => {
    wx.getNetworkType.mockImplementation(o => Promise.resolve().then(() => o.success({ networkType: 'none' })))
    const server = answerWith(200, { status: 'checked_in', reason: null, message: '签到成功', checkin: { ...CHECKIN, offline: true } })
    const page = await openPage('pages/checkin/index', { scene: 'd.02kjvR2r.1z9xba.fwlI1cqS' })
    expect(server.calls.some(c => c.path === '/api/v1/checkins')).toBe(false)
    const result = await showResult(resultOf(page))
    expect(text(result, '#result >> .title')).toBe('已离线保存')
    expect(queue.list()).toHaveLength(1)
    const kept = queue.list()[0]
    expect(kept.scanned_at).toBeTruthy()

    // The queue lives in storage: a restarted app still has it.
    expect(JSON.parse(wx.__store.get(queue.QUEUE_KEY))).toHaveLength(1)

    // Network is back: app.js listens to onNetworkStatusChange and syncs.
    wx.getNetworkType.mockImplementation(o => Promise.resolve().then(() => o.success({ networkType: 'wifi' })))
    global.App = def => { global.__app = def }
    jest.isolateModules(() => require('../app.js'))
    global.__app.onLaunch()
    const onChange = wx.onNetworkStatusChange.mock.calls[0][0]
    onChange({ isConnected: true, networkType: 'wifi' })
    await settle(20)
    const sent = server.calls.filter(c => c.path === '/api/v1/checkins')
    expect(sent).toHaveLength(1)
    expect(sent[0].data).toEqual(kept)
    expect(queue.list()).toHaveLength(0)
    expect(queue.results()[0]).toMatchObject({ status: 'checked_in', message: '签到成功' })
    await page.instance.onShow()
    await settle()
    expect(page.dom.textContent).toContain('签到成功')
  })

  test('a request that loses the network mid-way is retried with the same nonce, then queued', async () => {
    const server = fakeServer({ 'POST /api/v1/checkins': () => 'network' })
    const out = await checkin.checkInScene('d.02kjvR2r.1z9xba.fwlI1cqS')
    expect(out.status).toBe('queued')
    const sent = server.calls.filter(c => c.path === '/api/v1/checkins')
    expect(sent).toHaveLength(3)
    expect(new Set(sent.map(c => c.data.nonce)).size).toBe(1)
    expect(queue.list()[0].nonce).toBe(sent[0].data.nonce)
  })

  test('a refusal of a queued scan leaves the queue with its reason', async () => {
    queue.add({ scene: 'd.x.1.y', nonce: 'abcdefghijkl', scanned_at: '2026-11-20T08:00:00Z' })
    answerWith(422, { status: 'refused', reason: 'code_expired', message: REFUSALS.code_expired, checkin: null, error: 'code_expired' })
    const out = await checkin.syncQueue()
    expect(out).toMatchObject({ sent: 1, left: 0 })
    expect(queue.results()[0]).toMatchObject({ reason: 'code_expired', message: REFUSALS.code_expired })
  })

  test('the check-in page shows waiting scans and sends them on a tap', async () => {
    queue.add({ scene: 'd.a.1.y', nonce: 'aaaaaaaaaaaa', scanned_at: '2026-11-20T08:00:00Z' })
    answerWith(200, { status: 'checked_in', reason: null, message: '签到成功', checkin: CHECKIN, activity: { id: 1, title: '送教下乡示范课', starts_at: '2026-11-20T15:30:00+08:00' }, hours: 2 })
    const page = await openPage('pages/checkin/index')
    expect(page.dom.textContent).toContain('有 1 条签到在等待网络')
    await tap(page, '.sync')
    expect(page.dom.textContent).not.toContain('等待网络')
    // Which activity, when it was scanned (China time), what became of it.
    expect(texts(page, '.synced-title')).toEqual(['送教下乡示范课'])
    expect(texts(page, '.synced .muted')).toEqual(['11月20日 16:00 扫码'])
    expect(texts(page, '.synced-outcome')).toEqual(['签到成功'])
  })

  test('a queue flushed while still offline keeps every scan', async () => {
    queue.add({ scene: 'd.a.1.y', nonce: 'aaaaaaaaaaaa', scanned_at: '2026-11-20T08:00:00Z' })
    queue.add({ scene: 'd.b.1.y', nonce: 'bbbbbbbbbbbb', scanned_at: '2026-11-20T08:00:00Z' })
    fakeServer({ 'POST /api/v1/checkins': () => 'network' })
    const out = await checkin.syncQueue()
    expect(out).toMatchObject({ sent: 0, left: 2 })
  })

  test('a queued scan the server asks to slow down for (429) stays queued', async () => {
    queue.add({ scene: 'd.a.1.y', nonce: 'aaaaaaaaaaaa', scanned_at: '2026-11-20T08:00:00Z' })
    queue.add({ scene: 'd.b.1.y', nonce: 'bbbbbbbbbbbb', scanned_at: '2026-11-20T08:00:00Z' })
    answerWith(429, { error: 'rate_limited', message: '操作太频繁，请稍后再试' })
    const out = await checkin.syncQueue()
    expect(out).toMatchObject({ sent: 0, left: 2 })
    expect(queue.list().map(s => s.nonce)).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb'])
  })

  test('the same code scanned twice offline is kept once', () => {
    queue.add({ scene: 'd.a.1.y', nonce: 'aaaaaaaaaaaa' })
    queue.add({ scene: 'd.a.1.y', nonce: 'cccccccccccc' })
    expect(queue.list()).toHaveLength(1)
  })
})
