const { freshWx, fakeServer, loginBody, loggedInAs, TEACHER } = require('./helpers')
const api = require('../utils/api')

beforeEach(() => freshWx())

test('first call logs in with wx.login and keeps the tokens', async () => {
  const server = fakeServer({ 'GET /api/v1/me': req => [200, { ...TEACHER, seenToken: req.header.authorization }] })
  const me = await api.call('me')
  expect(wx.login).toHaveBeenCalledTimes(1)
  expect(server.calls[0]).toMatchObject({ method: 'POST', path: '/api/v1/auth/login', data: { code: 'demo-teacher' } })
  expect(me.seenToken).toBe('Bearer access-1')
  expect(api.getSession().refresh_token).toBe('refresh-1')
})

test('an expired access token is refreshed once and the call repeated', async () => {
  loggedInAs(TEACHER)
  let first = true
  const server = fakeServer({
    'GET /api/v1/me': req => {
      if (first) {
        first = false
        return [401, { error: 'token_expired', message: '登录已过期，请重新登录' }]
      }
      return [200, { ...TEACHER, token: req.header.authorization }]
    }
  })
  const me = await api.call('me')
  expect(me.token).toBe('Bearer access-2')
  expect(server.calls.map(c => c.path)).toEqual(['/api/v1/me', '/api/v1/auth/refresh', '/api/v1/me'])
  expect(server.calls[1].data).toEqual({ refresh_token: 'refresh-1' })
  expect(wx.login).not.toHaveBeenCalled()
})

test('a refused refresh falls back to wx.login', async () => {
  loggedInAs(TEACHER)
  let calls = 0
  fakeServer({
    'GET /api/v1/me': () => (calls++ === 0 ? [401, { error: 'token_invalid', message: '登录凭证无效，请重新登录' }] : [200, TEACHER]),
    'POST /api/v1/auth/refresh': () => [401, { error: 'token_invalid', message: '登录凭证无效，请重新登录' }]
  })
  await api.call('me')
  expect(wx.login).toHaveBeenCalledTimes(1)
})

test('server errors carry the Chinese message and are shown as is', async () => {
  loggedInAs(TEACHER)
  fakeServer({ 'POST /api/v1/invitations/redeem': () => [400, { error: 'invitation_not_found', message: '邀请码不存在，请核对后重新输入' }] })
  await expect(api.call('redeem', { data: { code: 'XXXX' } })).rejects.toMatchObject({ code: 'invitation_not_found', message: '邀请码不存在，请核对后重新输入', status: 400 })
  api.showError(new api.ApiError('invitation_not_found', '邀请码不存在，请核对后重新输入'))
  expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: '邀请码不存在，请核对后重新输入' }))
})

test('a lost connection is a Chinese network error', async () => {
  loggedInAs(TEACHER)
  fakeServer({ 'GET /api/v1/me': () => 'network' })
  await expect(api.call('me')).rejects.toMatchObject({ code: 'network', message: '网络不可用，请检查网络后重试' })
})

test('retries re-send the same body after network failures and 5xx', async () => {
  loggedInAs(TEACHER)
  const answers = ['network', [503, { error: 'busy', message: '服务繁忙' }], [200, { status: 'checked_in', message: '签到成功' }]]
  const server = fakeServer({ 'POST /api/v1/checkins': () => answers.shift() })
  const body = { scene: 's.abc', nonce: 'n0nce-123456' }
  const out = await api.call('checkIn', { data: body, retries: 2 })
  expect(out.status).toBe('checked_in')
  const sent = server.calls.filter(c => c.path === '/api/v1/checkins')
  expect(sent).toHaveLength(3)
  expect(new Set(sent.map(c => c.data.nonce))).toEqual(new Set(['n0nce-123456']))
})

test('login response is stored with the person', async () => {
  fakeServer({ 'POST /api/v1/auth/login': () => [200, loginBody(TEACHER)] })
  const session = await api.login()
  expect(session.person.name).toBe('郑洁')
})

test('images are downloaded with the access token', async () => {
  loggedInAs(TEACHER)
  const path = await api.download('summaryChart', { params: { summary_id: 7 } })
  expect(path).toBe('wxfile://tmp/chart.png')
  expect(wx.downloadFile.mock.calls[0][0]).toMatchObject({ url: 'http://127.0.0.1:8000/api/v1/reports/summaries/7/chart.png', header: { authorization: 'Bearer access-1' } })
})

test('a sandbox demo login code in config replaces the wx.login code', async () => {
  const config = require('../config')
  config.devLoginCode = 'demo-director'
  try {
    const server = fakeServer({})
    await api.login()
    expect(server.calls[0].data).toEqual({ code: 'demo-director' })
    expect(wx.login).not.toHaveBeenCalled()
  } finally {
    config.devLoginCode = ''
  }
})

test('concurrent calls with an expired token share one refresh', async () => {
  loggedInAs(TEACHER)
  const server = fakeServer({
    'GET /api/v1/me': req => (req.header.authorization === 'Bearer access-1' ? [401, { error: 'token_expired', message: '登录已过期，请重新登录' }] : [200, TEACHER]),
    'GET /api/v1/me/hours': req => (req.header.authorization === 'Bearer access-1' ? [401, { error: 'token_expired', message: '登录已过期，请重新登录' }] : [200, { semester: '2026秋' }])
  })
  await Promise.all([api.call('me'), api.call('myHours')])
  expect(server.calls.filter(c => c.path === '/api/v1/auth/refresh')).toHaveLength(1)
})
