// A parent's notice, acted on through the page's WXML: pictures, attachments, the activity's time
// and place, RSVP, the open-day check-in with the headcount, and the rating form after attending.
const { freshWx, fakeServer, loggedInAs, openPage, settle, text, PARENT, TEACHER, DIRECTOR } = require('./helpers')
const { tap, type, texts, ALL_SUBSCRIPTIONS, acceptEveryPrompt, prompts, withFileApis } = require('./ui')

beforeEach(() => {
  freshWx()
  withFileApis()
})

const OPEN_DAY = {
  id: 7,
  title: '小一班家长开放日',
  body: '欢迎家长走进课堂',
  images: ['https://img.example.cn/a.jpg', 'https://img.example.cn/b.jpg'],
  attachments: [
    { name: '开放日安排.pdf', url: 'https://files.example.cn/plan.pdf' },
    { name: '注意事项.txt', url: 'https://files.example.cn/notes.txt' }
  ],
  kindergarten_name: '青山镇石桥村幼儿园',
  ack_mode: 'rsvp',
  ack_mode_label: '需报名回执',
  deadline: '2026-11-29T18:00:00+08:00',
  status: 'published',
  status_label: '已发布',
  cancel_reason: '',
  rsvp_closed: null,
  max_adults: 3,
  max_children: 3,
  activity: { id: 3, title: '家长开放日', kind: '家长开放日', status: 'published', address: '青山镇石桥村幼儿园多功能厅', starts_at: '2026-12-02T09:00:00+08:00', ends_at: '2026-12-02T11:30:00+08:00' },
  me: { read_at: '2026-11-27T08:00:00+08:00', confirmed_at: null, rsvp: null, feedback: null, attended: false },
  totals: { recipients: 30, read: 12, rsvp_yes: 4, rsvp_waitlisted: 0, places_left: 20 }
}

const CONFIRMED = { status: 'confirmed', status_label: '报名成功', answer: 'yes', adults: 2, children: 1, waitlist_position: null }

function routes(state, extra = {}) {
  return {
    'GET /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }],
    'POST /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }],
    'GET /api/v1/notices/7': () => [200, { ...OPEN_DAY, ...state.notice, me: { ...OPEN_DAY.me, ...state.me } }],
    ...extra
  }
}

test('pictures preview full screen, a PDF attachment downloads and opens, other types copy their link', async () => {
  loggedInAs(PARENT)
  fakeServer(routes({}))
  wx.downloadFile.mockImplementation(o => Promise.resolve().then(() => o.success({ statusCode: 200, tempFilePath: 'wxfile://tmp/plan.pdf' })))
  const page = await openPage('pages/notice/index', { id: '7' })

  expect(page.querySelectorAll('.notice-image')).toHaveLength(2)
  await tap(page, '.notice-image', 1)
  expect(wx.previewImage).toHaveBeenCalledWith({ urls: OPEN_DAY.images, current: 'https://img.example.cn/b.jpg' })

  expect(texts(page, '.attachment')).toEqual(['开放日安排.pdf打开', '注意事项.txt打开'])
  await tap(page, '.attachment', 0)
  expect(wx.downloadFile.mock.calls[0][0].url).toBe('https://files.example.cn/plan.pdf')
  expect(wx.openDocument).toHaveBeenCalledWith(expect.objectContaining({ filePath: 'wxfile://tmp/plan.pdf', fileType: 'pdf', showMenu: true }))

  await tap(page, '.attachment', 1)
  expect(wx.downloadFile).toHaveBeenCalledTimes(1) // a .txt cannot be opened on the phone
  expect(wx.setClipboardData.mock.calls[0][0].data).toBe('https://files.example.cn/notes.txt')
  expect(wx.showModal.mock.calls[0][0].content).toContain('链接已复制')
})

test('a failed attachment download says so in Chinese and opens nothing', async () => {
  loggedInAs(PARENT)
  fakeServer(routes({}))
  wx.downloadFile.mockImplementation(o => Promise.resolve().then(() => o.success({ statusCode: 404, tempFilePath: 'wxfile://tmp/x' })))
  const page = await openPage('pages/notice/index', { id: '7' })
  await tap(page, '.attachment', 0)
  expect(wx.openDocument).not.toHaveBeenCalled()
  expect(wx.showModal.mock.calls.concat(wx.showToast.mock.calls).map(c => c[0].content || c[0].title)).toContain('文件下载失败，请稍后重试')
})

test("the linked activity's time and place are shown; a cancelled notice gives its reason", async () => {
  loggedInAs(PARENT)
  fakeServer(routes({ notice: { status: 'cancelled', cancel_reason: '因降温改期，另行通知', rsvp_closed: '通知已取消，无需再回复' } }))
  const page = await openPage('pages/notice/index', { id: '7' })
  expect(text(page, '.activity-when')).toBe('12月2日 09:00—11:30')
  expect(text(page, '.activity-place')).toBe('青山镇石桥村幼儿园多功能厅')
  expect(text(page, '.cancelled')).toBe('本通知已取消：因降温改期，另行通知')
  expect(page.querySelector('.rsvp-yes')).toBeFalsy()
  expect(page.querySelector('.arrive-scan')).toBeFalsy()
})

test('opened straight from a push, the page loads the template ids; 参加 asks for the activity reminders before answering', async () => {
  loggedInAs(PARENT)
  const state = {}
  let promptsBeforeAnswer = null
  const server = fakeServer(routes(state, {
    'POST /api/v1/notices/7/rsvp': req => {
      promptsBeforeAnswer = wx.requestSubscribeMessage.mock.calls.length
      state.me = { rsvp: { ...CONFIRMED, adults: req.data.adults, children: req.data.children } }
      return [200, { rsvp: state.me.rsvp, message: `报名成功：成人 ${req.data.adults} 人，幼儿 ${req.data.children} 人`, totals: OPEN_DAY.totals }]
    }
  }))
  acceptEveryPrompt()
  const page = await openPage('pages/notice/index', { id: '7' })
  expect(server.calls.some(c => c.method === 'GET' && c.path === '/api/v1/subscriptions')).toBe(true)
  expect(wx.requestSubscribeMessage).not.toHaveBeenCalled() // nothing is asked without a tap

  await tap(page, '.adults-plus')
  await tap(page, '.children-plus')
  await tap(page, '.rsvp-yes')
  expect(promptsBeforeAnswer).toBe(1)
  expect(prompts()).toEqual([['tpl-activity_reminder', 'tpl-activity_changed', 'tpl-activity_cancelled']])
  const answer = server.calls.find(c => c.method === 'POST' && c.path === '/api/v1/notices/7/rsvp')
  expect(answer.data).toEqual({ answer: 'yes', adults: 2, children: 1 })
  const report = server.calls.find(c => c.method === 'POST' && c.path === '/api/v1/subscriptions')
  expect(report.data.results).toEqual({ 'tpl-activity_reminder': 'accept', 'tpl-activity_changed': 'accept', 'tpl-activity_cancelled': 'accept' })
  expect(text(page, '.rsvp-state').replace(/\s+/g, '')).toBe('报名成功：成人2人，幼儿1人')
})

test('a notice to confirm asks for notice messages on the tap, three at most', async () => {
  loggedInAs(TEACHER)
  const state = { notice: { ack_mode: 'confirm', ack_mode_label: '需确认', activity: null, images: [], attachments: [] } }
  fakeServer(routes(state, {
    'POST /api/v1/notices/7/confirm': () => {
      state.me = { confirmed_at: '2026-11-27T08:10:00+08:00' }
      return [200, { ok: true }]
    }
  }))
  const page = await openPage('pages/notice/index', { id: '7' })
  await tap(page, '.confirm')
  expect(prompts()).toEqual([['tpl-notice', 'tpl-notice_updated', 'tpl-notice_reminder']])
  expect(text(page, '.done')).toBe('您已确认收到')
  expect(texts(page, '.section-title')).not.toContain('活动评价')
  expect(page.querySelector('.arrive-scan')).toBeFalsy()
})

describe('the open-day check-in from the notice', () => {
  const SCENE = 'a.Ab3dE9'

  function checkinRoutes(state, seen) {
    return routes(state, {
      'POST /api/v1/checkins': req => {
        seen.push(req.data)
        state.me = { ...state.me, attended: true }
        return [200, { status: 'checked_in', reason: null, message: '签到成功', checkin: { id: 51, activity_id: 3, method: 'static', late: false, offline: false, adults: req.data.adults, children: req.data.children, annulled: false } }]
      }
    })
  }

  test('sends the RSVP headcount when nothing is changed (2 adults + 1 child stay 2 + 1)', async () => {
    loggedInAs(PARENT)
    const state = { me: { rsvp: CONFIRMED } }
    const seen = []
    fakeServer(checkinRoutes(state, seen))
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: '', path: `pages/checkin/index?scene=${encodeURIComponent(SCENE)}` })))
    const page = await openPage('pages/notice/index', { id: '7' })
    expect(text(page, '.arrive-adults')).toBe('2')
    expect(text(page, '.arrive-children')).toBe('1')
    await tap(page, '.arrive-scan')
    expect(wx.scanCode.mock.calls[0][0].onlyFromCamera).toBe(true)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toEqual(expect.objectContaining({ scene: SCENE, adults: 2, children: 1 }))
    expect(seen[0].nonce).toMatch(/^[A-Za-z0-9]{20}$/)
    expect(text(page, '.arrival-title')).toBe('签到成功')
    expect(text(page, '.arrival-headcount')).toBe('到场：成人 2 人，幼儿 1 人')
    // Checked in: no second scan offered, and the family may rate now.
    expect(page.querySelector('.arrive-scan')).toBeFalsy()
    expect(page.querySelector('.send-feedback')).toBeTruthy()
  })

  test('the headcount on the day can differ from the RSVP, within the limits', async () => {
    loggedInAs(PARENT)
    const state = { me: { rsvp: CONFIRMED } }
    const seen = []
    fakeServer(checkinRoutes(state, seen))
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: `https://songjiao.example.cn/c?scene=${SCENE}` })))
    const page = await openPage('pages/notice/index', { id: '7' })
    await tap(page, '.arrive-adults-minus')
    await tap(page, '.arrive-adults-minus') // never below the one who scans
    await tap(page, '.arrive-children-plus')
    await tap(page, '.arrive-children-plus')
    expect(text(page, '.arrive-adults')).toBe('1')
    expect(text(page, '.arrive-children')).toBe('3')
    await tap(page, '.arrive-scan')
    expect(seen[0]).toEqual(expect.objectContaining({ adults: 1, children: 3 }))
  })

  test('a refusal is shown with the server reason and the page stays ready to scan again', async () => {
    loggedInAs(PARENT)
    fakeServer(routes({ me: { rsvp: CONFIRMED } }, {
      'POST /api/v1/checkins': () => [422, { status: 'refused', reason: 'not_open_yet', error: 'not_open_yet', message: '签到尚未开始，请在活动开始前30分钟内签到', checkin: null }]
    }))
    wx.scanCode.mockImplementation(o => Promise.resolve().then(() => o.success({ result: SCENE })))
    const page = await openPage('pages/notice/index', { id: '7' })
    await tap(page, '.arrive-scan')
    expect(text(page, '.arrival-title')).toBe('签到未成功')
    expect(text(page, '.arrival-message')).toBe('签到尚未开始，请在活动开始前30分钟内签到')
    expect(page.querySelector('.arrive-scan')).toBeTruthy()
  })

  test('a family on the waitlist or without an answer is not offered the check-in', async () => {
    loggedInAs(PARENT)
    fakeServer(routes({ me: { rsvp: { ...CONFIRMED, status: 'waitlisted', status_label: '候补中', waitlist_position: 2 } } }))
    const page = await openPage('pages/notice/index', { id: '7' })
    expect(page.querySelector('.arrive-scan')).toBeFalsy()
    freshWx()
    withFileApis()
    loggedInAs(PARENT)
    fakeServer(routes({}))
    const other = await openPage('pages/notice/index', { id: '7' })
    expect(other.querySelector('.arrive-scan')).toBeFalsy()
  })
})

describe('rating the activity', () => {
  test('before attending the page says how to rate and shows no form', async () => {
    loggedInAs(PARENT)
    fakeServer(routes({ me: { rsvp: CONFIRMED } }))
    const page = await openPage('pages/notice/index', { id: '7' })
    expect(page.querySelector('.send-feedback')).toBeFalsy()
    expect(page.querySelector('.star')).toBeFalsy()
    expect(text(page, '.rating-note')).toBe('签到参加活动后，即可在这里为活动评价')
  })

  test('a cancelled activity needs no rating', async () => {
    loggedInAs(PARENT)
    fakeServer(routes({ notice: { activity: { ...OPEN_DAY.activity, status: 'cancelled' } }, me: { attended: false } }))
    const page = await openPage('pages/notice/index', { id: '7' })
    expect(text(page, '.rating-note')).toBe('活动已取消，无需评价')
    expect(text(page, '.activity-cancelled')).toBe('活动已取消')
  })

  test('after attending: stars, a comment and 提交评价 through the form; 稍后评价 asks for the invitation', async () => {
    loggedInAs(PARENT)
    const state = { me: { rsvp: CONFIRMED, attended: true } }
    const server = fakeServer(routes(state, {
      'POST /api/v1/notices/7/feedback': req => {
        state.me = { ...state.me, feedback: { stars: req.data.stars, comment: req.data.comment } }
        return [200, { stars: req.data.stars, comment: req.data.comment, message: '感谢您的评价' }]
      }
    }))
    const page = await openPage('pages/notice/index', { id: '7' })
    await tap(page, '.ask-feedback')
    expect(prompts()).toEqual([['tpl-feedback_request']])

    await tap(page, '.send-feedback')
    expect(server.calls.some(c => c.path === '/api/v1/notices/7/feedback')).toBe(false) // no stars yet
    await tap(page, '.star-4')
    expect(page.querySelectorAll('.star.on')).toHaveLength(4)
    await type(page, '.comment', '孩子很喜欢')
    await tap(page, '.send-feedback')
    expect(server.calls.find(c => c.path === '/api/v1/notices/7/feedback').data).toEqual({ stars: 4, comment: '孩子很喜欢' })
    expect(text(page, '.send-feedback')).toBe('修改评价')
    expect(page.querySelector('.ask-feedback')).toBeFalsy()
    await settle()
  })
})

test('opening an unread notice marks it read; the steppers stop at the notice limits; 取消报名 after confirming', async () => {
  loggedInAs(PARENT)
  const state = { me: { read_at: null } }
  const server = fakeServer(routes(state, {
    'POST /api/v1/notices/7/read': () => [200, { notice_id: 7, read_at: '2026-11-27T08:00:00+08:00' }],
    'POST /api/v1/notices/7/rsvp': req => {
      state.me = { ...state.me, rsvp: { ...CONFIRMED, adults: req.data.adults, children: req.data.children } }
      return [200, { rsvp: state.me.rsvp, message: '报名成功', totals: OPEN_DAY.totals }]
    },
    'DELETE /api/v1/notices/7/rsvp': () => {
      state.me = { ...state.me, rsvp: { ...state.me.rsvp, status: 'cancelled', status_label: '已取消', answer: 'no' } }
      return [200, { rsvp: state.me.rsvp, message: '已取消报名' }]
    }
  }))
  const page = await openPage('pages/notice/index', { id: '7' })
  expect(server.calls.filter(c => c.method === 'POST' && c.path === '/api/v1/notices/7/read')).toHaveLength(1)
  expect(page.dom.textContent).toContain('欢迎家长走进课堂')

  for (let i = 0; i < 4; i += 1) await tap(page, '.adults-plus') // max_adults is 3
  await tap(page, '.adults-minus')
  await tap(page, '.children-minus') // never below 0
  expect([text(page, '.adults'), text(page, '.children')]).toEqual(['2', '0'])
  await tap(page, '.rsvp-yes')
  expect(server.calls.find(c => c.path === '/api/v1/notices/7/rsvp').data).toEqual({ answer: 'yes', adults: 2, children: 0 })

  wx.showModal.mockImplementation(o => Promise.resolve().then(() => o.success && o.success({ confirm: true })))
  await tap(page, '.rsvp-cancel')
  expect(server.calls.some(c => c.method === 'DELETE' && c.path === '/api/v1/notices/7/rsvp')).toBe(true)
  expect(page.querySelector('.rsvp-cancel')).toBeFalsy()
  expect(page.querySelector('.rsvp-no')).toBeTruthy()
})

test('a refused answer shows the server reason in Chinese', async () => {
  loggedInAs(PARENT)
  fakeServer(routes({}, { 'POST /api/v1/notices/7/rsvp': () => [400, { error: 'rsvp_closed', message: '报名已截止' }] }))
  const page = await openPage('pages/notice/index', { id: '7' })
  await tap(page, '.rsvp-no')
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '报名已截止' }))
})

test('an RSVP for a cancelled activity says it is closed and offers no buttons', async () => {
  loggedInAs(PARENT)
  fakeServer(routes({ notice: { rsvp_closed: '活动已取消，报名已关闭', activity: { ...OPEN_DAY.activity, status: 'cancelled' } } }))
  const page = await openPage('pages/notice/index', { id: '7' })
  expect(text(page, '.rsvp-closed')).toBe('活动已取消，报名已关闭')
  expect(page.querySelector('.rsvp-yes')).toBeFalsy()
  expect(page.querySelector('.rsvp-no')).toBeFalsy()
})

test('the director who sent it reads the notice without the families’ rating or check-in parts', async () => {
  loggedInAs(DIRECTOR)
  const sender = { ...OPEN_DAY, me: undefined, counts: { recipients: 30 }, can_manage: true }
  fakeServer({ 'GET /api/v1/subscriptions': () => [200, { items: ALL_SUBSCRIPTIONS }], 'GET /api/v1/notices/7': () => [200, sender] })
  const page = await openPage('pages/notice/index', { id: '7' })
  expect(text(page, '.activity-place')).toBe('青山镇石桥村幼儿园多功能厅')
  expect(page.querySelector('.rating-note')).toBeFalsy()
  expect(page.querySelector('.arrive-scan')).toBeFalsy()
})
