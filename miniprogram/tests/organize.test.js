// The organizer's 活动管理, through the WXML: the absent, 补签 (迟到, headcount), 作废 with a
// reason, 签退 for someone, and photos uploaded with their consent mark.
const { freshWx, fakeServer, loggedInAs, openPage, text, DIRECTOR, TEACHER } = require('./helpers')
const { tap, type, change, texts, withFileApis } = require('./ui')

beforeEach(() => {
  freshWx()
  withFileApis()
})

const ORGANIZER = { account_id: 5, bound: true, id: 9, name: '李娜', roles: [{ role: 'organizer', scope_kind: 'kindergarten', scope_id: 2, scope_name: '湘江县实验幼儿园' }] }
const ACTIVITY = { id: 5, title: '送教下乡示范课', kind: '送教下乡', status: 'ongoing', status_label: '进行中', host_name: '石桥村幼儿园', address: '石桥村', starts_at: '2026-11-27T08:00:00+08:00', ends_at: '2026-11-27T10:00:00+08:00', can_manage: true, rotate_seconds: 15 }

function checkin(id, name, extra = {}) {
  return { id, person_id: 40 + id, name, method: 'static', late: false, offline: false, scanned_at: '2026-11-27T07:58:00+08:00', outside_geofence: false, no_location: false, annulled: false, annul_reason: '', checkout_at: null, adults: 0, children: 0, concerns: [], ...extra }
}

/** A small stand-in for the server's attendance: the calls change what it answers. */
function attendanceServer(extraRoutes = {}, activity = ACTIVITY) {
  const state = {
    checkins: [checkin(1, '郑洁'), checkin(2, '刘敏', { concerns: ['超出签到范围：距活动地点约 900 米（范围 300 米）'] })],
    absent: [{ person_id: 43, name: '林晓红' }, { person_id: 45, name: '王芳' }],
    files: [{ id: 81, kind: 'photo', filename: '课堂.jpg', caption: '示范课', consent: false }, { id: 82, kind: 'attachment', filename: '教案.docx', caption: '', consent: false }]
  }
  const counts = () => {
    const present = state.checkins.filter(c => !c.annulled)
    return { expected: present.length + state.absent.length, checked_in: present.length, late: present.filter(c => c.late).length, absent: state.absent.length, flagged: 0, adults: present.reduce((n, c) => n + c.adults, 0), children: present.reduce((n, c) => n + c.children, 0) }
  }
  const server = fakeServer({
    'GET /api/v1/activities/5': () => [200, activity],
    'GET /api/v1/activities/5/attendance': () => [200, { counts: counts(), checkins: state.checkins, absent: state.absent, review: [] }],
    'GET /api/v1/activities/5/files': () => [200, { items: state.files }],
    'POST /api/v1/activities/5/checkins': req => {
      const person = state.absent.find(p => p.person_id === req.data.person_id)
      state.absent = state.absent.filter(p => p !== person)
      state.checkins.push(checkin(10 + state.checkins.length, person.name, { method: 'manual', late: req.data.late, adults: req.data.adults || 0, children: req.data.children || 0 }))
      return [201, { status: 'checked_in', message: '补签成功' }]
    },
    'POST /api/v1/checkins/1/annul': req => {
      const row = state.checkins.find(c => c.id === 1)
      Object.assign(row, { annulled: true, annul_reason: req.data.reason })
      return [200, { id: 1, annulled: true }]
    },
    'POST /api/v1/checkins/2/checkout': () => {
      state.checkins.find(c => c.id === 2).checkout_at = '2026-11-27T09:40:00+08:00'
      return [200, { id: 2, checkout_at: '2026-11-27T09:40:00+08:00', minutes_on_site: 100, hours: 2, message: '签退成功：在场约 100 分钟，计参与课时 2' }]
    },
    'PATCH /api/v1/files/81': req => {
      state.files[0].consent = req.data.consent
      return [200, { ...state.files[0] }]
    },
    ...extraRoutes
  })
  return { server, state }
}

test('shows the counts, who is absent and who checked in, with what needs a look', async () => {
  loggedInAs(ORGANIZER)
  attendanceServer()
  const page = await openPage('pages/organize/index', { id: '5' })
  expect([text(page, '.expected'), text(page, '.checked-in'), text(page, '.absent-count')]).toEqual(['4', '2', '2'])
  expect(texts(page, '.absent-name')).toEqual(['林晓红', '王芳'])
  expect(texts(page, '.present-name')).toEqual(['郑洁', '刘敏'])
  expect(texts(page, '.present-meta')).toEqual(['07:58', '07:58'])
  expect(texts(page, '.concern')).toEqual(['超出签到范围：距活动地点约 900 米（范围 300 米）'])
})

test('补签 a late arrival with a reason; an empty reason is refused on the phone', async () => {
  loggedInAs(ORGANIZER)
  const { server } = attendanceServer()
  const page = await openPage('pages/organize/index', { id: '5' })
  await tap(page, '.absent-item', 1)
  expect(text(page, '.form-title')).toBe('为王芳补签')
  await type(page, '.manual-reason', ' ')
  await tap(page, '.manual-submit')
  expect(server.calls.some(c => c.method === 'POST' && c.path === '/api/v1/activities/5/checkins')).toBe(false)
  expect(wx.showModal.mock.calls.concat(wx.showToast.mock.calls).map(c => c[0].content || c[0].title)).toContain('请填写补签原因（至少 2 个字）')

  await type(page, '.manual-reason', '手机没电')
  await change(page, '.manual-late', true)
  await tap(page, '.manual-submit')
  const manual = server.calls.find(c => c.method === 'POST' && c.path === '/api/v1/activities/5/checkins')
  expect(manual.data).toEqual({ person_id: 45, reason: '手机没电', late: true })
  expect(page.querySelector('.manual-form')).toBeFalsy()
  expect(texts(page, '.absent-name')).toEqual(['林晓红'])
  expect(texts(page, '.present-name')[2]).toBe('王芳')
  expect(texts(page, '.present-meta')[2]).toBe('07:58 · 补签 · 迟到')
  expect(text(page, '.late')).toBe('1')
})

test('at a family activity 补签 carries the headcount', async () => {
  loggedInAs(ORGANIZER)
  const { server } = attendanceServer({}, { ...ACTIVITY, kind: '家长开放日' })
  const page = await openPage('pages/organize/index', { id: '5' })
  await tap(page, '.absent-item', 0)
  await tap(page, '.manual-adults-plus')
  await tap(page, '.manual-children-plus')
  await tap(page, '.manual-children-plus')
  await type(page, '.manual-reason', '老人不会用手机')
  await tap(page, '.manual-submit')
  const manual = server.calls.find(c => c.method === 'POST' && c.path === '/api/v1/activities/5/checkins')
  expect(manual.data).toEqual({ person_id: 43, reason: '老人不会用手机', late: false, adults: 2, children: 2 })
  expect(text(page, '.family-count')).toBe('到场家庭共 成人 2 人，幼儿 2 人')
})

test('作废 a check-in with its reason; it moves to the annulled list', async () => {
  loggedInAs(DIRECTOR)
  const { server } = attendanceServer()
  const page = await openPage('pages/organize/index', { id: '5' })
  await tap(page, '.annul', 0)
  expect(text(page, '.annul-form .form-title')).toBe('作废郑洁的签到')
  await type(page, '.annul-reason', '代他人签到')
  await tap(page, '.annul-submit')
  expect(server.calls.find(c => c.path === '/api/v1/checkins/1/annul').data).toEqual({ reason: '代他人签到' })
  expect(texts(page, '.present-name')).toEqual(['刘敏'])
  expect(texts(page, '.annulled-row')).toEqual(['郑洁原因：代他人签到'])
})

test('签退 someone after confirming; cancelling the dialog sends nothing', async () => {
  loggedInAs(ORGANIZER)
  const { server } = attendanceServer()
  const page = await openPage('pages/organize/index', { id: '5' })
  wx.showModal.mockImplementationOnce(o => Promise.resolve().then(() => o.success({ confirm: false })))
  await tap(page, '.checkout', 1)
  expect(server.calls.some(c => c.path.endsWith('/checkout'))).toBe(false)
  await tap(page, '.checkout', 1)
  expect(wx.showModal.mock.calls[1][0].title).toBe('为刘敏签退')
  expect(server.calls.filter(c => c.method === 'POST' && c.path.endsWith('/checkout')).map(c => c.path)).toEqual(['/api/v1/checkins/2/checkout'])
  expect(texts(page, '.present-meta')[1]).toBe('07:58 · 09:40 签退')
  expect(page.querySelectorAll('.checkout')).toHaveLength(1)
})

describe('photos', () => {
  test('thumbnails are downloaded with the token; consent is marked after a confirmation and withdrawn at once', async () => {
    loggedInAs(ORGANIZER)
    const { server } = attendanceServer()
    const page = await openPage('pages/organize/index', { id: '5' })
    const download = wx.downloadFile.mock.calls[0][0]
    expect(download.url).toMatch(/\/api\/v1\/files\/81\/content$/)
    expect(download.header.authorization).toBe('Bearer access-1')
    expect(page.querySelectorAll('.photo')).toHaveLength(1) // the attachment is not a photo
    expect(text(page, '.photo-consent')).toBe('未同意公开')

    await tap(page, '.consent-toggle')
    expect(wx.showModal.mock.calls[0][0].content).toContain('同意公开发布')
    expect(server.calls.find(c => c.method === 'PATCH').data).toEqual({ consent: true })
    expect(text(page, '.photo-consent')).toBe('同意公开')

    await tap(page, '.consent-toggle')
    expect(wx.showModal).toHaveBeenCalledTimes(1) // withdrawing needs no confirmation
    expect(server.calls.filter(c => c.method === 'PATCH').map(c => c.data)).toEqual([{ consent: true }, { consent: false }])
    expect(text(page, '.photo-consent')).toBe('未同意公开')

    await tap(page, '.photo-image')
    expect(wx.previewImage).toHaveBeenCalledWith({ urls: ['wxfile://tmp/chart.png'], current: 'wxfile://tmp/chart.png' })
  })

  test('picked photos are uploaded one by one as multipart with the consent mark and caption', async () => {
    loggedInAs(ORGANIZER)
    const { state } = attendanceServer()
    const page = await openPage('pages/organize/index', { id: '5' })
    wx.chooseMedia.mockImplementation(o => Promise.resolve().then(() => o.success({ type: 'image', tempFiles: [{ tempFilePath: 'wxfile://tmp/p1.jpg', size: 1000 }, { tempFilePath: 'wxfile://tmp/p2.jpg', size: 2000 }] })))
    wx.uploadFile.mockImplementation(o => Promise.resolve().then(() => {
      state.files.push({ id: 90 + state.files.length, kind: 'photo', filename: 'x.jpg', caption: o.formData.caption, consent: o.formData.consent === 'true' })
      o.success({ statusCode: 201, data: JSON.stringify({ id: 90, kind: 'photo', consent: o.formData.consent === 'true' }) })
    }))
    await type(page, '.upload-caption', '幼儿户外游戏')
    await change(page, '.upload-consent', true)
    await tap(page, '.upload-photos')
    expect(wx.chooseMedia.mock.calls[0][0]).toEqual(expect.objectContaining({ mediaType: ['image'], count: 9 }))
    const uploads = wx.uploadFile.mock.calls.map(c => c[0])
    expect(uploads.map(u => u.filePath)).toEqual(['wxfile://tmp/p1.jpg', 'wxfile://tmp/p2.jpg'])
    expect(uploads[0].url).toBe('http://127.0.0.1:8000/api/v1/activities/5/files')
    expect(uploads[0].name).toBe('file')
    expect(uploads[0].header.authorization).toBe('Bearer access-1')
    expect(uploads[0].formData).toEqual({ kind: 'photo', consent: 'true', caption: '幼儿户外游戏' })
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已上传 2 张' }))
    expect(texts(page, '.photo-consent')).toEqual(['未同意公开', '同意公开', '同意公开'])
  })

  test("a refused upload shows the server's reason; a 401 refreshes the session once", async () => {
    loggedInAs(ORGANIZER)
    attendanceServer()
    const page = await openPage('pages/organize/index', { id: '5' })
    wx.chooseMedia.mockImplementation(o => Promise.resolve().then(() => o.success({ type: 'image', tempFiles: [{ tempFilePath: 'wxfile://tmp/p1.jpg' }] })))
    const answers = [{ statusCode: 401, data: '{"error":"unauthorized","message":"登录已过期"}' }, { statusCode: 409, data: '{"error":"record_locked","message":"帮扶记录卡已由双方确认并锁定，如需修改请先撤销确认"}' }]
    wx.uploadFile.mockImplementation(o => Promise.resolve().then(() => o.success(answers.shift())))
    await tap(page, '.upload-photos')
    expect(wx.uploadFile.mock.calls.map(c => c[0].header.authorization)).toEqual(['Bearer access-1', 'Bearer access-2'])
    expect(wx.showModal.mock.calls[0][0]).toEqual(expect.objectContaining({ title: '已上传 0 张，1 张未成功', content: '帮扶记录卡已由双方确认并锁定，如需修改请先撤销确认' }))
  })
})

test('someone who does not run the activity is told so and sees no tools', async () => {
  loggedInAs(TEACHER)
  const server = fakeServer({ 'GET /api/v1/activities/5': () => [200, { ...ACTIVITY, can_manage: false }] })
  const page = await openPage('pages/organize/index', { id: '5' })
  expect(text(page, '.error')).toBe('只有本活动的组织者或园长可以管理签到和照片')
  expect(page.querySelector('.absent-item')).toBeFalsy()
  expect(server.calls.some(c => c.path.endsWith('/attendance'))).toBe(false)
})

test('the 帮扶记录卡 button opens the card of this activity', async () => {
  loggedInAs(DIRECTOR)
  attendanceServer()
  const page = await openPage('pages/organize/index', { id: '5' })
  await tap(page, '.record-card')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/record-card/index?id=5' })
})
