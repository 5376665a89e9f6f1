// A leader's phone: 通报 rankings, the summary a push links to, the summaries before it, the
// subscribe prompt for summaries, and confirming a console login by scanning.
const { freshWx, fakeServer, loggedInAs, openPage, text, LEADER, TEACHER } = require('./helpers')
const { tap, texts, ALL_SUBSCRIPTIONS, acceptEveryPrompt, prompts, withFileApis } = require('./ui')

beforeEach(() => {
  freshWx()
  withFileApis()
})

const RANKED = {
  period: '2026秋',
  by: 'alliance',
  items: [
    { rank: 1, id: 3, name: '城东学前教育联盟', score: 0.92, targets: {}, behind: [] },
    { rank: 2, id: 5, name: '青山联盟', score: 0.61, targets: { visits: { label: '视导', done: 1, target: 4, rate: 0.25, status: 'at_risk' }, activities: { label: '联盟活动', done: 2, target: 8, rate: 0.25, status: 'at_risk' } }, behind: ['visits', 'activities'] },
    { rank: null, id: 7, name: '新建联盟', score: null, targets: {}, behind: [] }
  ]
}

test('rankings by alliance, then by pairing, with what each is behind on', async () => {
  loggedInAs(LEADER)
  const server = fakeServer({
    'GET /api/v1/reports/rankings': req => [200, req.query.by === 'pairing' ? { period: '2026秋', by: 'pairing', items: [{ rank: 1, id: 9, name: '实验幼儿园 → 石桥村幼儿园', score: 0.5, targets: {}, behind: [] }] } : RANKED]
  })
  const page = await openPage('pages/rankings/index')
  expect(server.calls[0].query).toEqual({ by: 'alliance' })
  expect(text(page, '.period')).toBe('2026秋 · 按目标完成度排名')
  expect(texts(page, '.rank')).toEqual(['1', '2', '—'])
  expect(texts(page, '.score')).toEqual(['92%', '61%', '未设目标'])
  expect(texts(page, '.behind')).toEqual(['落后：视导、联盟活动'])
  await tap(page, '.tab', 1)
  expect(server.calls.pop().query).toEqual({ by: 'pairing' })
  expect(texts(page, '.rank-name')).toEqual(['实验幼儿园 → 石桥村幼儿园'])
})

test('a teacher is refused with the server reason', async () => {
  loggedInAs(TEACHER)
  fakeServer({ 'GET /api/v1/reports/rankings': () => [403, { error: 'forbidden', message: '您没有权限查看通报排名' }] })
  const page = await openPage('pages/rankings/index')
  expect(text(page, '.error')).toBe('您没有权限查看通报排名')
})

const SUMMARY = {
  id: 9, kind_label: '学期总结', period_label: '2026年秋季学期', scope: { kind: 'region', id: 1, name: '湘江县' },
  happened: { activities: 30, checkins: 400, send_hours: 60, attendance_rate: 0.9, posts_published: 8 },
  targets: { items: [] },
  alerts: { count: 0, items: [] }
}

test('the summary a push links to, the history, and each earlier one opens by its id', async () => {
  loggedInAs(LEADER)
  const server = fakeServer({
    'GET /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }],
    'POST /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }],
    'GET /api/v1/reports/summaries/9': () => [200, SUMMARY],
    'GET /api/v1/reports/summaries/latest': () => [200, { ...SUMMARY, id: 11 }],
    'GET /api/v1/reports/summaries': req => [200, { items: [
      { id: 11, kind: 'weekly', kind_label: '工作周报', period: '2026-W48', period_label: '2026年11月23日—11月29日', scope: { kind: 'region', id: 1, name: '湘江县' } },
      { id: 9, kind: 'semester', kind_label: '学期总结', period: '2026秋', period_label: '2026年秋季学期', scope: { kind: 'region', id: 1, name: '湘江县' } }
    ].filter(s => !req.query.kind || s.kind === req.query.kind) }]
  })
  acceptEveryPrompt()
  const summary = await openPage('pages/summary/index', { id: '9' })
  expect(summary.dom.textContent).toContain('湘江县 学期总结')
  expect(server.calls.some(c => c.path === '/api/v1/reports/summaries/latest')).toBe(false)
  await tap(summary, '.ask-summary')
  expect(prompts()).toEqual([['tpl-summary']])
  await tap(summary, '.history')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/summaries/index' })

  const history = await openPage('pages/summaries/index')
  expect(server.calls.filter(c => c.path === '/api/v1/reports/summaries').pop().query).toEqual({ limit: '50' })
  expect(texts(history, '.summary-title')).toEqual(['湘江县 工作周报', '湘江县 学期总结'])
  await tap(history, '.tab', 2)
  expect(server.calls.filter(c => c.path === '/api/v1/reports/summaries').pop().query).toEqual({ kind: 'semester', limit: '50' })
  expect(texts(history, '.summary-period')).toEqual(['2026年秋季学期'])
  await tap(history, '.summary-item', 0)
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/summary/index?id=9' })
})

describe('电脑登录 by scanning the console code', () => {
  test('a leader scans, confirms, and the console is told', async () => {
    loggedInAs(LEADER)
    const server = fakeServer({ 'POST /api/v1/web-login/AbCdEf123456/confirm': () => [200, { confirmed: true }] })
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: 'https://songjiao.example.cn/console/m/login?t=AbCdEf123456', scanType: 'QR_CODE' })))
    const page = await openPage('pages/scan-login/index')
    await tap(page, '.scan')
    expect(wx.scanCode.mock.calls[0][0]).toEqual(expect.objectContaining({ onlyFromCamera: true }))
    expect(wx.showModal.mock.calls[0][0].title).toBe('登录管理后台')
    expect(server.calls.map(c => `${c.method} ${c.path}`)).toEqual(['POST /api/v1/web-login/AbCdEf123456/confirm'])
    expect(text(page, '.result')).toBe('已确认，电脑上的管理后台将自动登录')
  })

  test('cancelling confirms nothing; another code is named as not a login code', async () => {
    loggedInAs(LEADER)
    const server = fakeServer({})
    const page = await openPage('pages/scan-login/index')
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: 'https://songjiao.example.cn/console/m/login?t=AbCdEf123456' })))
    wx.showModal.mockImplementation(o => Promise.resolve().then(() => o.success({ confirm: false })))
    await tap(page, '.scan')
    expect(server.calls).toEqual([])
    expect(text(page, '.result')).toBe('已取消，电脑上的管理后台不会登录')
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: 'https://example.com/other' })))
    await tap(page, '.scan')
    expect(text(page, '.result')).toBe('这不是管理后台的登录二维码，请扫描电脑上管理后台登录页的二维码')
  })

  test('an expired code gets the server reason', async () => {
    loggedInAs(LEADER)
    fakeServer({ 'POST /api/v1/web-login/AbCdEf123456/confirm': () => [410, { error: 'scan_login_expired', message: '登录码已过期，请在网页上刷新后重新扫码' }] })
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: 'https://songjiao.example.cn/console/m/login?t=AbCdEf123456' })))
    const page = await openPage('pages/scan-login/index')
    await tap(page, '.scan')
    expect(text(page, '.result')).toBe('登录码已过期，请在网页上刷新后重新扫码')
  })
})
