// 消息: the inbox, the delivery engine's last channel, as a tab with its unread count.
const fs = require('fs')
const path = require('path')
const { ROOT, freshWx, fakeServer, loggedInAs, openPage, text, PARENT, TEACHER } = require('./helpers')
const { tap, texts } = require('./ui')
const { goOffline } = require('./phone')
const { INBOX_TAB_INDEX, showBadge } = require('../utils/inbox')

beforeEach(() => freshWx())

const MESSAGES = [
  { id: 31, kind: 'notice', kind_name: '通知公告', title: '家长开放日通知', body: '12月8日上午9点，欢迎家长参加。', fields: {}, page: 'pages/notice/index?id=3', read: false, created_at: '2026-12-01T01:30:00+00:00', read_at: null },
  { id: 30, kind: 'summary', kind_name: '工作简报', title: '本周工作周报', body: '本周共开展活动 3 次。', fields: {}, page: null, read: false, created_at: '2026-11-30T00:00:00+00:00', read_at: null },
  { id: 29, kind: 'activity_reminder', kind_name: '活动开始提醒', title: '送教下乡示范课', body: '明天 08:00 开始', fields: {}, page: 'pages/home/index', read: true, created_at: '2026-11-29T00:00:00+00:00', read_at: '2026-11-29T01:00:00+00:00' }
]

function inboxServer(messages = MESSAGES) {
  let items = messages.map(m => ({ ...m }))
  const unread = () => items.filter(m => !m.read).length
  return fakeServer({
    'GET /api/v1/inbox': req => [200, { items: req.query.unread ? items.filter(m => !m.read).slice(0, Number(req.query.limit)) : items, total: items.length, unread: unread(), limit: 50, offset: 0 }],
    'POST /api/v1/inbox/31/read': () => {
      items = items.map(m => (m.id === 31 ? { ...m, read: true, read_at: '2026-12-01T02:00:00+00:00' } : m))
      return [200, items.find(m => m.id === 31)]
    },
    'POST /api/v1/inbox/30/read': () => {
      items = items.map(m => (m.id === 30 ? { ...m, read: true, read_at: '2026-12-01T02:00:00+00:00' } : m))
      return [200, items.find(m => m.id === 30)]
    }
  })
}

function lastBadge() {
  const set = wx.setTabBarBadge.mock.calls.map(c => ['set', c[0].index, c[0].text])
  const removed = wx.removeTabBarBadge.mock.calls.map(c => ['remove', c[0].index])
  const all = wx.setTabBarBadge.mock.invocationCallOrder.map((order, i) => [order, set[i]])
    .concat(wx.removeTabBarBadge.mock.invocationCallOrder.map((order, i) => [order, removed[i]]))
    .sort((a, b) => a[0] - b[0])
  return all.length ? all[all.length - 1][1] : null
}

test('消息 is a tab of app.json at the index the badge uses, within WeChat\'s 2 to 5 tabs', () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
  const tabs = app.tabBar.list
  expect(tabs.length).toBeGreaterThanOrEqual(2)
  expect(tabs.length).toBeLessThanOrEqual(5)
  expect(tabs[INBOX_TAB_INDEX]).toMatchObject({ pagePath: 'pages/inbox/index', text: '消息' })
  expect(app.pages).toContain('pages/inbox/index')
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'pages/inbox/index.json'), 'utf8'))
  expect(json.usingComponents).toEqual({})
  expect(json.enablePullDownRefresh).toBe(true)
})

test('the inbox lists her messages with the unread count on the tab; opening one reads it and opens its page', async () => {
  loggedInAs(PARENT)
  const server = inboxServer()
  const page = await openPage('pages/inbox/index')
  expect(texts(page, '.message-title')).toEqual(['家长开放日通知', '本周工作周报', '送教下乡示范课'])
  expect(texts(page, '.message .muted')[0]).toBe('通知公告 · 12月1日 09:30')
  expect(text(page, '.unread-count')).toBe('未读 2 条')
  expect(lastBadge()).toEqual(['set', INBOX_TAB_INDEX, '2'])

  await tap(page, '.message', 0)
  expect(server.calls.filter(c => c.method === 'POST').map(c => c.path)).toEqual(['/api/v1/inbox/31/read'])
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/notice/index?id=3' })
  expect(text(page, '.unread-count')).toBe('未读 1 条')
  expect(lastBadge()).toEqual(['set', INBOX_TAB_INDEX, '1'])

  // A message without a page is read where it is: its text is on the list.
  await tap(page, '.message', 1)
  expect(server.calls.filter(c => c.method === 'POST').map(c => c.path)).toEqual(['/api/v1/inbox/31/read', '/api/v1/inbox/30/read'])
  expect(texts(page, '.message-body')[1]).toBe('本周共开展活动 3 次。')
  expect(lastBadge()).toEqual(['remove', INBOX_TAB_INDEX])

  // Already read: no second POST; a tab page is switched to.
  await tap(page, '.message', 2)
  expect(server.calls.filter(c => c.method === 'POST')).toHaveLength(2)
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('home and the notices tab put the unread count on the 消息 tab', async () => {
  loggedInAs(PARENT)
  const server = inboxServer()
  server.routes['GET /api/v1/me'] = () => [200, PARENT]
  server.routes['GET /api/v1/me/notices'] = () => [200, { items: [], total: 0, unread: 0 }]
  await openPage('pages/home/index')
  expect(lastBadge()).toEqual(['set', INBOX_TAB_INDEX, '2'])
  const asked = server.calls.find(c => c.path === '/api/v1/inbox')
  expect(asked.query).toEqual({ unread: '1', limit: '1' })
  wx.setTabBarBadge.mockClear()
  await openPage('pages/notices/index')
  expect(lastBadge()).toEqual(['set', INBOX_TAB_INDEX, '2'])
})

test('more than 99 unread shows 99+ (WeChat shows a text over 4 characters as ...), none removes the badge', () => {
  showBadge(120)
  expect(lastBadge()).toEqual(['set', INBOX_TAB_INDEX, '99+'])
  showBadge(0)
  expect(lastBadge()).toEqual(['remove', INBOX_TAB_INDEX])
})

test('offline the kept messages show under the banner; opening one leaves it unread', async () => {
  loggedInAs(TEACHER)
  inboxServer()
  await openPage('pages/inbox/index')
  goOffline()
  const page = await openPage('pages/inbox/index')
  expect(text(page, '.offline-banner')).toContain('当前离线，显示的是')
  expect(texts(page, '.message-title')).toHaveLength(3)
  expect(page.dom.textContent).not.toContain('暂无消息')
  await tap(page, '.message', 1)
  expect(text(page, '.unread-count')).toBe('未读 2 条')
  expect(wx.showModal).not.toHaveBeenCalled()
})

test('an empty inbox says so', async () => {
  loggedInAs(TEACHER)
  inboxServer([])
  const page = await openPage('pages/inbox/index')
  expect(text(page, '.empty')).toBe('暂无消息')
  expect(lastBadge()).toEqual(['remove', INBOX_TAB_INDEX])
})
