// Test helpers: a fresh wx per test, a scripted server behind wx.request, page rendering.
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '..')

function freshWx() {
  global.wx = global.__makeWx()
  return global.wx
}

/**
 * Answer wx.request from a routing table: { 'POST /api/v1/checkins': (req) => [status, body] }.
 * A handler may return 'network' to fail the request as a lost connection. Every request is
 * recorded in server.calls as { method, path, query, data, header }.
 */
function fakeServer(routes) {
  const server = { calls: [], routes: { ...defaultRoutes(), ...routes } }
  global.wx.request.mockImplementation(options => {
    const url = new URL(options.url)
    const req = {
      method: options.method || 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      data: options.data,
      header: options.header
    }
    server.calls.push(req)
    const key = `${req.method} ${req.path}`
    const handler = server.routes[key]
    Promise.resolve().then(() => {
      if (!handler) return options.success({ statusCode: 404, data: { error: 'not_found', message: '接口不存在' } })
      const out = handler(req)
      if (out === 'network') return options.fail({ errMsg: 'request:fail' })
      const [statusCode, data] = out
      return options.success({ statusCode, data })
    })
  })
  return server
}

function loginBody(person) {
  return {
    access_token: 'access-1',
    refresh_token: 'refresh-1',
    token_type: 'Bearer',
    expires_in: 900,
    person: person || TEACHER
  }
}

const TEACHER = { account_id: 6, bound: true, id: 44, name: '郑洁', roles: [{ role: 'teacher', scope_kind: 'kindergarten', scope_id: 9, scope_name: '青山镇石桥村幼儿园' }] }
const DIRECTOR = {
  account_id: 4,
  bound: true,
  id: 6,
  name: '陈婷',
  roles: [
    { role: 'teacher', scope_kind: 'kindergarten', scope_id: 2, scope_name: '湘江县实验幼儿园' },
    { role: 'director', scope_kind: 'kindergarten', scope_id: 2, scope_name: '湘江县实验幼儿园' }
  ]
}
const LEADER = { account_id: 2, bound: true, id: 2, name: '周建国', roles: [{ role: 'leader', scope_kind: 'region', scope_id: 1, scope_name: '湘江县' }] }
const PARENT = { account_id: 8, bound: true, id: 133, name: '郭军', roles: [{ role: 'parent', scope_kind: 'child', scope_id: 73, scope_name: '小一班幼儿家长' }] }
const UNBOUND = { account_id: 9, bound: false, id: null, name: null, roles: [] }

function defaultRoutes() {
  return {
    'POST /api/v1/auth/login': () => [200, loginBody()],
    'POST /api/v1/auth/refresh': () => [200, { ...loginBody(), access_token: 'access-2', refresh_token: 'refresh-2' }],
    'GET /api/v1/subscriptions': () => [200, { items: SUBSCRIPTIONS }]
  }
}

const SUBSCRIPTIONS = [
  { kind: 'notice', name: '通知公告', template_id: 'tpl-notice', remaining: 0, banned: false },
  { kind: 'notice_updated', name: '通知变更提醒', template_id: 'tpl-notice-updated', remaining: 0, banned: false },
  { kind: 'notice_reminder', name: '通知回执提醒', template_id: 'tpl-notice-reminder', remaining: 0, banned: false },
  { kind: 'activity_published', name: '活动通知', template_id: 'tpl-activity', remaining: 0, banned: false },
  { kind: 'activity_reminder', name: '活动开始提醒', template_id: 'tpl-activity-reminder', remaining: 0, banned: false },
  { kind: 'summary', name: '工作简报', template_id: 'tpl-summary', remaining: 0, banned: false }
]

/** Log a person in ahead of the test (tokens in storage, as after an earlier launch). */
function loggedInAs(person) {
  global.wx.setStorageSync('sjt.session', { access_token: 'access-1', refresh_token: 'refresh-1', person })
}

/** Load and render a page or component (written with Component()), attached to a parent. */
const loaded = {}

function render(relPath, properties) {
  // Load once per test file: jest's module registry keeps the page's code, so a second
  // simulate.load would not run its Component() again; rendering again is what a test wants.
  if (!loaded[relPath]) loaded[relPath] = simulate.load(path.join(ROOT, relPath), { compiler: 'simulate', rootPath: ROOT })
  const id = loaded[relPath]
  const comp = simulate.render(id, properties)
  const parent = document.createElement('parent-wrapper')
  comp.attach(parent)
  return comp
}

/** Render a page and run its onLoad/onShow like WeChat does. */
async function openPage(relPath, options = {}) {
  const page = render(relPath)
  if (page.instance.onLoad) await page.instance.onLoad(options)
  if (page.instance.onShow) await page.instance.onShow()
  await settle()
  return page
}

/** Let pending promises and timers of mocked callbacks run. */
async function settle(times = 10) {
  // Microtasks only (the mocked wx APIs answer in microtasks), so fake timers do not block it.
  for (let i = 0; i < times * 10; i += 1) await Promise.resolve()
}

/** The text of the first node matching selector; 'a >> b' looks inside child component a. */
function text(comp, selector) {
  let node = comp
  for (const part of selector.split('>>').map(s => s.trim())) {
    node = node && node.querySelector(part)
  }
  return node ? node.dom.textContent.trim() : null
}

module.exports = { ROOT, freshWx, fakeServer, loginBody, loggedInAs, render, openPage, settle, text, TEACHER, DIRECTOR, LEADER, PARENT, UNBOUND, SUBSCRIPTIONS }
