// Render mini-program pages with real data for screenshots (tests/miniprogram/test_render_pages.py).
// Each page runs in miniprogram-simulate (jsdom) exactly as the jest tests run it, but its `wx`
// talks to the live server, logged in as the role the plan names; once its requests are
// answered, the rendered tree is written as an HTML file (scripts/render/html.js) that
// tests/miniprogram/shoot_pages.js shows in Chromium at a phone's size.
// Usage: node scripts/render-pages.js BASE_URL PLAN_FILE OUT_DIR
//   PLAN_FILE: { "renders": [{ "name", "login", "page": "pages/x/index", "query": {…}, "privacy" }] }
//   (`privacy`: WeChat asks for privacy authorisation first, so the page shows its popup.)
// Prints one JSON object: { renders: [{ name, page, login, html, calls, answers, wxCalls, error }] }
// (`answers`: each JSON request's call, method, path, status and body);
// `error` says why a page could not be drawn, or the load error it shows.
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const { JSDOM } = require('jsdom')
// miniprogram-simulate's own j-component (the one it registers definitions with).
const SIMULATE = path.dirname(require.resolve('miniprogram-simulate/package.json'))

const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true })
global.window = dom.window
for (const key of ['document', 'navigator', 'Node', 'Element', 'HTMLElement', 'Event', 'CustomEvent', 'MutationObserver', 'getComputedStyle', 'requestAnimationFrame', 'cancelAnimationFrame']) {
  global[key] = dom.window[key]
}

const { pageWx } = require('./render/wx')
const { pageHtml } = require('./render/html')

/** Every definition miniprogram-simulate registers, so the styles know each component's options. */
const jComponent = require(require.resolve('j-component', { paths: [SIMULATE] }))
const registered = []
const register = jComponent.register.bind(jComponent)
jComponent.register = definition => {
  registered.push(definition)
  return register(definition)
}
const simulate = require('miniprogram-simulate')

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** The endpoints.js name of a request, or its method and path when no entry matches. */
function callName(CALLS, base, { method, url }) {
  const pathOnly = url.slice(base.length).split('?')[0]
  for (const [name, call] of Object.entries(CALLS)) {
    const re = new RegExp(`^${call.path.replace(/\{\w+\}/g, '[^/]+')}$`)
    if (call.method === method && re.test(pathOnly)) return name
  }
  return `${method} ${pathOnly}`
}

/** Wait until no request has been in flight for a while (the page has what it asked for). */
async function settle(wx, limitMs = 20000) {
  let quiet = 0
  for (let waited = 0; waited < limitMs; waited += 50) {
    await sleep(50)
    quiet = wx.pending() === 0 ? quiet + 1 : 0
    if (quiet >= 4) return true
  }
  return false
}

async function renderOne(entry, wxFor, base, outDir, CALLS) {
  global.wx = wxFor(entry.login)
  const wx = global.wx
  const before = wx.requests.length
  const pagePath = path.join(ROOT, entry.page)
  const pageJson = JSON.parse(fs.readFileSync(`${pagePath}.json`, 'utf8'))
  registered.length = 0
  const id = simulate.load(pagePath, { compiler: 'simulate', rootPath: ROOT })
  const components = {}
  for (const def of registered) {
    if (def.path && def.path !== pagePath) {
      components[def.tagName] = { path: def.path, options: def.options, json: JSON.parse(fs.readFileSync(`${def.path}.json`, 'utf8')) }
    }
  }
  if (entry.privacy) wx.privacyListener(() => null)
  const page = simulate.render(id)
  const parent = document.createElement('parent-wrapper')
  document.body.appendChild(parent)
  page.attach(parent)
  const out = { name: entry.name, page: entry.page, login: entry.login, error: null }
  try {
    const query = Object.fromEntries(Object.entries(entry.query || {}).map(([k, v]) => [k, String(v)]))
    if (page.instance.onLoad) await page.instance.onLoad(query)
    if (page.instance.onShow) await page.instance.onShow()
    if (!(await settle(wx))) out.error = 'requests still pending after 20 s'
    // utils/page.js load(): a page that could not load its data says why in `error`.
    else if (page.data.error) out.error = `the page shows its load error: ${page.data.error}`
    const html = pageHtml({ tree: page.toJSON(), pagePath, components, pageJson })
    out.html = path.join(outDir, `${entry.name}.html`)
    fs.writeFileSync(out.html, html)
  } catch (err) {
    out.error = `${err.stack || err}`
  } finally {
    // Stop the page's timers (the rotating code) as leaving the page does.
    if (page.instance.onHide) page.instance.onHide()
    if (page.instance.onUnload) page.instance.onUnload()
    page.detach()
    parent.remove()
    if (entry.privacy) require('../utils/privacy').answer('disagree')
  }
  const made = wx.requests.slice(before)
  out.calls = made.map(r => callName(CALLS, base, r))
  out.answers = made.filter(r => r.answer).map(r => ({ call: callName(CALLS, base, r), method: r.method, path: r.url.slice(base.length), ...r.answer }))
  out.wxCalls = Array.from(new Set(wx.calls))
  return out
}

async function main() {
  const [base, planFile, outDir] = process.argv.slice(2)
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'))
  fs.mkdirSync(outDir, { recursive: true })
  const config = require('../config')
  config.apiBase = base
  const { CALLS } = require('../utils/endpoints')

  // One phone per login, kept across its pages (its session and what it stored stay).
  const phones = {}
  const wxFor = login => {
    if (!phones[login]) phones[login] = pageWx(login)
    phones[login].calls.length = 0
    return phones[login]
  }
  // The app's own launch, once per phone: privacy listener, network sync.
  global.App = definition => {
    global.__app = definition
  }
  require('../app')

  const renders = []
  for (const entry of plan.renders) {
    const first = !phones[entry.login]
    const wx = wxFor(entry.login)
    if (first && global.__app.onLaunch) {
      global.wx = wx
      global.__app.onLaunch()
    }
    renders.push(await renderOne(entry, wxFor, base, outDir, CALLS))
  }
  // Exit once written (a pipe takes large writes asynchronously); the pages' timers stop here.
  process.stdout.write(JSON.stringify({ renders }), () => process.exit(0))
}

main().catch(err => {
  process.stderr.write(`${err.stack || err}\n`)
  process.exit(1)
})
