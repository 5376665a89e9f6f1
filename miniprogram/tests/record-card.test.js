// A director confirms the 帮扶记录卡 for her side, through the page's WXML.
const { freshWx, fakeServer, loggedInAs, openPage, text, DIRECTOR, LEADER } = require('./helpers')
const { tap, texts, withFileApis } = require('./ui')

beforeEach(() => {
  freshWx()
  withFileApis()
})

function side(label, kindergartenId, state = 'pending', by = null) {
  return { label, kindergarten_id: kindergartenId, state, confirmed_by: by, confirmed_at: by ? '2026-11-28T10:05:00+08:00' : null }
}

const CARD = {
  activity_id: 5,
  title: '送教下乡示范课',
  kind: '送教下乡',
  starts_at: '2026-11-27T08:00:00+08:00',
  ends_at: '2026-11-27T10:00:00+08:00',
  record: { plan: '示范课《小兔乖乖》', measures: '', summary: '30 名教师参加', reflection: '' },
  files: [
    { id: 81, kind: 'photo', filename: '课堂.jpg', consent: true },
    { id: 83, kind: 'photo', filename: '户外.jpg', consent: false },
    { id: 82, kind: 'attachment', filename: '教案.docx', consent: false }
  ],
  photo_count: 2,
  attachment_count: 1,
  attendance: { checked_in: 30 },
  // DIRECTOR directs kindergarten 2, the 帮扶园 here.
  sides: { supporting: side('帮扶园', 2), supported: side('被帮扶园', 9, 'confirmed', { id: 70, name: '周丽' }) },
  locked: false,
  needs_reconfirmation: false,
  state_label: '被帮扶园已确认，待另一方确认',
  consent_withdrawals: [{ file_id: 83, by: '', role: '家长', reason: '不希望孩子上网', at: '2026-11-28T09:00:00+08:00' }]
}

test('the director confirms for her side after checking; the card then shows it locked', async () => {
  loggedInAs(DIRECTOR)
  const server = fakeServer({
    'GET /api/v1/me': () => [200, DIRECTOR],
    'GET /api/v1/activities/5/record-card': () => [200, CARD],
    'POST /api/v1/activities/5/record-card/confirm': req => [200, {
      ...CARD,
      sides: { ...CARD.sides, [req.data.side]: side('帮扶园', 2, 'confirmed', { id: 6, name: '陈婷' }) },
      locked: true,
      state_label: '已锁定（双方已确认）'
    }]
  })
  const page = await openPage('pages/record-card/index', { id: '5' })
  expect(text(page, '.state')).toBe('被帮扶园已确认，待另一方确认')
  expect(texts(page, '.side-state')).toEqual(['待确认', '已确认'])
  expect(texts(page, '.record-value')).toEqual(['示范课《小兔乖乖》', '未填写', '30 名教师参加', '未填写'])
  expect(text(page, '.photo-line')).toBe('照片 2 张（同意公开 1 张）')
  expect(texts(page, '.withdrawal')).toEqual(['家长 11月28日 09:00 撤回照片的公开同意：不希望孩子上网'])
  expect(texts(page, '.confirm-side')).toEqual(['代表帮扶园确认'])

  wx.showModal.mockImplementationOnce(o => Promise.resolve().then(() => o.success({ confirm: false })))
  await tap(page, '.confirm-side')
  expect(server.calls.some(c => c.method === 'POST')).toBe(false)
  await tap(page, '.confirm-side')
  expect(server.calls.find(c => c.method === 'POST').data).toEqual({ side: 'supporting' })
  expect(text(page, '.state')).toBe('已锁定（双方已确认）')
  expect(texts(page, '.side-by')).toEqual(['陈婷 11月28日 10:05', '周丽 11月28日 10:05'])
  expect(page.querySelector('.confirm-side')).toBeFalsy()
})

test("the server's refusal is shown (one person cannot confirm both sides)", async () => {
  loggedInAs(DIRECTOR)
  fakeServer({
    'GET /api/v1/me': () => [200, DIRECTOR],
    'GET /api/v1/activities/5/record-card': () => [200, CARD],
    'POST /api/v1/activities/5/record-card/confirm': () => [403, { error: 'same_person_both_sides', message: '您已代表被帮扶园确认，帮扶园一方须由另一位负责人确认（同一人不能代表双方确认）' }]
  })
  const page = await openPage('pages/record-card/index', { id: '5' })
  await tap(page, '.confirm-side')
  expect(wx.showModal.mock.calls[1][0].content).toBe('您已代表被帮扶园确认，帮扶园一方须由另一位负责人确认（同一人不能代表双方确认）')
  expect(texts(page, '.side-state')).toEqual(['待确认', '已确认'])
})

test('someone of neither side reads the card and is told who confirms it', async () => {
  loggedInAs(LEADER)
  fakeServer({ 'GET /api/v1/me': () => [200, LEADER], 'GET /api/v1/activities/5/record-card': () => [200, CARD] })
  const page = await openPage('pages/record-card/index', { id: '5' })
  expect(page.querySelector('.confirm-side')).toBeFalsy()
  expect(text(page, '.outsider')).toBe('只有帮扶园或被帮扶园的园长、组织者可以确认帮扶记录卡')
})

test('an attachment is downloaded with the token and opened', async () => {
  loggedInAs(DIRECTOR)
  fakeServer({ 'GET /api/v1/me': () => [200, DIRECTOR], 'GET /api/v1/activities/5/record-card': () => [200, CARD] })
  wx.downloadFile.mockImplementation(o => Promise.resolve().then(() => o.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/plan.docx' })))
  const page = await openPage('pages/record-card/index', { id: '5' })
  await tap(page, '.card-attachment')
  const download = wx.downloadFile.mock.calls[0][0]
  expect(download.url).toBe('http://127.0.0.1:8000/api/v1/files/82/content')
  expect(download.header.authorization).toBe('Bearer access-1')
  expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://tmp/plan.docx', fileType: 'docx', showMenu: true }))
})
