// Directors review and leaders 签发 公众号 posts from the phone, through the pages' WXML.
const { freshWx, fakeServer, loggedInAs, openPage, text, DIRECTOR, LEADER } = require('./helpers')
const { tap, type, texts, withFileApis } = require('./ui')

beforeEach(() => {
  freshWx()
  withFileApis()
})

const SUMMARY = { id: 12, kind: 'activity', activity_id: 5, title: '送教下乡：实验幼儿园走进石桥村', digest: '示范课与评课', status: 'reviewing', status_label: '待园长审核', kindergarten_id: 2, updated_at: '2026-11-28T09:00:00+08:00' }

function post(status, can, extra = {}) {
  const labels = { reviewing: '待园长审核', signing: '待领导签发', publishing: '发布中', drafting: '撰稿中' }
  return {
    ...SUMMARY,
    status,
    status_label: labels[status],
    html: '<p>11月27日，实验幼儿园送教到石桥村。</p><p><img src="/files/81"></p><p>30 名教师参加。</p>',
    author_name: '湘江县实验幼儿园',
    comment: '',
    fail_message: null,
    photos: [
      { id: 81, caption: '课堂', src: 'x', usable: true, reason: null },
      { id: 83, caption: '户外', src: 'y', usable: false, reason: '照片未获公开同意，不能使用' }
    ],
    steps: [{ step: 'drafted', label: '生成草稿', actor: '李娜', comment: '', at: '2026-11-28T08:00:00+08:00' }, { step: 'submitted', label: '提交审核', actor: '李娜', comment: '请园长审核', at: '2026-11-28T08:30:00+08:00' }],
    can: { edit: false, submit: false, approve: false, sign: false, send_back: false, mass_send: false, ...can },
    ...extra
  }
}

test('a director lands on the posts waiting for 审核 and can see the others', async () => {
  loggedInAs(DIRECTOR)
  const server = fakeServer({
    'GET /api/v1/me': () => [200, DIRECTOR],
    'GET /api/v1/posts': req => [200, { items: req.query.status === 'reviewing' ? [SUMMARY] : [SUMMARY, { ...SUMMARY, id: 13, title: '亲子活动', status: 'published', status_label: '已发布' }] }]
  })
  const page = await openPage('pages/posts/index')
  expect(server.calls.find(c => c.path === '/api/v1/posts').query).toEqual({ status: 'reviewing' })
  expect(texts(page, '.post-title')).toEqual(['送教下乡：实验幼儿园走进石桥村'])
  await tap(page, '.tab', 2)
  expect(server.calls.filter(c => c.path === '/api/v1/posts').pop().query).toEqual({})
  expect(texts(page, '.post-status')).toEqual(['待园长审核', '已发布'])
  await tap(page, '.post-item', 1)
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/post/index?id=13' })
})

test('a leader lands on the posts waiting for 签发', async () => {
  loggedInAs(LEADER)
  const server = fakeServer({ 'GET /api/v1/me': () => [200, LEADER], 'GET /api/v1/posts': () => [200, { items: [] }] })
  const page = await openPage('pages/posts/index')
  expect(server.calls.find(c => c.path === '/api/v1/posts').query).toEqual({ status: 'signing' })
  expect(text(page, '.empty')).toBe('暂无推文')
  expect(text(page, '.tab.on')).toBe('待签发')
})

test('the director reads the post and approves it with a comment; only usable photos are downloaded', async () => {
  loggedInAs(DIRECTOR)
  let current = post('reviewing', { approve: true, send_back: true })
  const server = fakeServer({
    'GET /api/v1/posts/12': () => [200, current],
    'POST /api/v1/posts/12/approve': req => {
      current = post('signing', {}, { steps: [...current.steps, { step: 'approved', label: '园长审核通过', actor: '陈婷', comment: req.data.comment, at: '2026-11-28T10:00:00+08:00' }] })
      return [200, current]
    }
  })
  const page = await openPage('pages/post/index', { id: '12' })
  expect(page.instance.data.body).toBe('<p>11月27日，实验幼儿园送教到石桥村。</p><p></p><p>30 名教师参加。</p>')
  expect(wx.downloadFile.mock.calls.map(c => c[0].url)).toEqual(['http://127.0.0.1:8000/api/v1/files/81/content'])
  expect(text(page, '.photo-refused')).toBe('照片未获公开同意，不能使用')
  expect(texts(page, '.step-label')).toEqual(['生成草稿（李娜）', '提交审核（李娜）'])
  expect(page.querySelector('.sign')).toBeFalsy()

  await type(page, '.review-comment', '同意发布')
  await tap(page, '.approve')
  expect(server.calls.find(c => c.path === '/api/v1/posts/12/approve').data).toEqual({ comment: '同意发布' })
  expect(text(page, '.status')).toBe('待领导签发')
  expect(texts(page, '.step-label')[2]).toBe('园长审核通过（陈婷）')
  expect(page.querySelector('.approve')).toBeFalsy()
})

test('sending back needs a comment; the leader signs after confirming', async () => {
  loggedInAs(LEADER)
  let current = post('signing', { sign: true, send_back: true })
  const server = fakeServer({
    'GET /api/v1/posts/12': () => [200, current],
    'POST /api/v1/posts/12/send-back': req => {
      current = post('drafting', {}, { comment: req.data.comment })
      return [200, current]
    },
    'POST /api/v1/posts/12/sign': () => {
      current = post('publishing', {})
      return [200, current]
    }
  })
  const page = await openPage('pages/post/index', { id: '12' })
  await tap(page, '.send-back')
  expect(server.calls.some(c => c.path.endsWith('/send-back'))).toBe(false)
  expect(wx.showToast.mock.calls.concat(wx.showModal.mock.calls).map(c => c[0].title || c[0].content)).toContain('退回时请填写修改意见')

  wx.showModal.mockImplementationOnce(o => Promise.resolve().then(() => o.success({ confirm: false })))
  await tap(page, '.sign')
  expect(server.calls.some(c => c.path.endsWith('/sign'))).toBe(false)
  await tap(page, '.sign')
  expect(server.calls.find(c => c.path === '/api/v1/posts/12/sign').data).toEqual({ comment: '' })
  expect(text(page, '.status')).toBe('发布中')
  expect(page.querySelector('.sign')).toBeFalsy()
})

test('a leader sends a post back with the comment the author will read', async () => {
  loggedInAs(LEADER)
  let current = post('signing', { sign: true, send_back: true })
  const server = fakeServer({
    'GET /api/v1/posts/12': () => [200, current],
    'POST /api/v1/posts/12/send-back': req => {
      current = post('drafting', {}, { comment: req.data.comment })
      return [200, current]
    }
  })
  const page = await openPage('pages/post/index', { id: '12' })
  await type(page, '.review-comment', '请补充幼儿照片的说明')
  await tap(page, '.send-back')
  expect(server.calls.find(c => c.path === '/api/v1/posts/12/send-back').data).toEqual({ comment: '请补充幼儿照片的说明' })
  expect(text(page, '.sent-back')).toBe('退回意见：请补充幼儿照片的说明')
})
