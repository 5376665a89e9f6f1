// The teacher's 学时证明 from her hours page, tapped through its WXML: the certificate is issued
// for the tapped period, downloaded with her token and opened as a PDF (with the menu to forward
// or print it); a refusal shows the server's Chinese reason and opens nothing.
const { freshWx, fakeServer, loggedInAs, openPage, TEACHER } = require('./helpers')
const { tap, texts, withFileApis } = require('./ui')

beforeEach(() => {
  freshWx()
  withFileApis()
})

const HOURS = { semester: '2026秋', presenter_hours: 1, attendee_hours: 4.5, total_hours: 5.5, entries: [{ activity_id: 1, title: '绘本教学示范课', kind: '送教下乡', role: 'attendee', hours: 2 }] }
const CERTIFICATE = { id: 7, number: '2026000007', period: '2026秋', period_label: '2026秋季学期', total_hours: 5.5, verify_url: 'https://sjt.example.cn/verify/abc.def' }

function routes(extra = {}) {
  return {
    'GET /api/v1/me/hours': () => [200, HOURS],
    'GET /api/v1/me/checkins': () => [200, []],
    'POST /api/v1/me/certificates': req => [201, { ...CERTIFICATE, period: req.data.period, period_label: req.data.period === '2026' ? '2026年度' : '2026秋季学期' }],
    ...extra
  }
}

test('tapping 开具 issues the semester certificate and opens its PDF', async () => {
  loggedInAs(TEACHER)
  const server = fakeServer(routes())
  wx.downloadFile.mockImplementation(o => Promise.resolve().then(() => o.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/certificate.pdf' })))
  const page = await openPage('pages/hours/index')
  expect(texts(page, '.issue-semester')).toEqual(['开具2026秋学期学时证明'])
  expect(texts(page, '.issue-year')).toEqual(['开具2026年度学时证明'])

  await tap(page, '.issue-semester')
  const issued = server.calls.filter(c => c.method === 'POST' && c.path === '/api/v1/me/certificates')
  expect(issued.map(c => c.data)).toEqual([{ period: '2026秋' }])
  const download = wx.downloadFile.mock.calls[0][0]
  expect(download.url).toMatch(/\/api\/v1\/certificates\/7\/certificate\.pdf$/)
  expect(download.header.authorization).toBe('Bearer access-1')
  expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://tmp/certificate.pdf', fileType: 'pdf', showMenu: true }))
  expect(texts(page, '.issued')).toEqual(['已开具2026秋季学期学时证明（编号 2026000007，合计 5.5 学时）'])

  await tap(page, '.issue-year')
  expect(server.calls.filter(c => c.method === 'POST' && c.path === '/api/v1/me/certificates').map(c => c.data)).toEqual([{ period: '2026秋' }, { period: '2026' }])
  expect(wx.openDocument).toHaveBeenCalledTimes(2)
  expect(texts(page, '.issued')[0]).toContain('2026年度')
})

test('no hours: the server says so in Chinese and nothing is downloaded', async () => {
  loggedInAs(TEACHER)
  fakeServer(routes({ 'POST /api/v1/me/certificates': () => [422, { error: 'no_hours', message: '您在2026年度还没有学时记录，暂不能开具学时证明' }] }))
  const page = await openPage('pages/hours/index')
  await tap(page, '.issue-year')
  expect(wx.downloadFile).not.toHaveBeenCalled()
  expect(wx.openDocument).not.toHaveBeenCalled()
  const shown = wx.showModal.mock.calls.concat(wx.showToast.mock.calls).map(c => c[0].content || c[0].title)
  expect(shown).toContain('您在2026年度还没有学时记录，暂不能开具学时证明')
  expect(page.querySelectorAll('.issued')).toHaveLength(0)
})

test('a failed download says so and opens nothing', async () => {
  loggedInAs(TEACHER)
  fakeServer(routes())
  wx.downloadFile.mockImplementation(o => Promise.resolve().then(() => o.success({ statusCode: 500, tempFilePath: 'wxfile://tmp/x' })))
  const page = await openPage('pages/hours/index')
  await tap(page, '.issue-semester')
  expect(wx.openDocument).not.toHaveBeenCalled()
  const shown = wx.showModal.mock.calls.concat(wx.showToast.mock.calls).map(c => c[0].content || c[0].title)
  expect(shown).toContain('文件下载失败，请稍后重试')
})
