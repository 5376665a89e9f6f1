// Acting on a rendered page as a person does: taps and typing go through the WXML's bindings
// (miniprogram-simulate dispatches them to the handler the template names), never to a method.
const { settle } = require('./helpers')

function nodes(page, selector) {
  const found = page.querySelectorAll(selector)
  if (!found.length) throw new Error(`nothing on the page matches ${selector}`)
  return found
}

/** Tap the n-th node matching selector (its bindtap runs with its data-* as dataset). */
async function tap(page, selector, n = 0) {
  const list = nodes(page, selector)
  if (!list[n]) throw new Error(`only ${list.length} nodes match ${selector}`)
  list[n].dispatchEvent('tap')
  await settle(20)
}

/** Type into an input or textarea: its bindinput gets { detail: { value } }. */
async function type(page, selector, value) {
  nodes(page, selector)[0].dispatchEvent('input', { detail: { value } })
  await settle(20)
}

/** A switch or checkbox group changed: its bindchange gets { detail: { value } }. */
async function change(page, selector, value) {
  nodes(page, selector)[0].dispatchEvent('change', { detail: { value } })
  await settle(20)
}

/** The trimmed texts of every node matching selector (whitespace squeezed). */
function texts(page, selector) {
  return page.querySelectorAll(selector).map(n => n.dom.textContent.replace(/\s+/g, ' ').trim())
}

/** The full set of message kinds the server lists in GET /subscriptions, one template each. */
const ALL_SUBSCRIPTIONS = [
  'notice', 'notice_updated', 'notice_reminder', 'activity_published', 'activity_changed', 'activity_cancelled',
  'activity_reminder', 'feedback_request', 'summary', 'alert'
].map(kind => ({ kind, name: kind, template_id: `tpl-${kind}`, remaining: 0, banned: false }))

/** wx.requestSubscribeMessage accepting every template it is asked for. */
function acceptEveryPrompt() {
  wx.requestSubscribeMessage.mockImplementation(o =>
    Promise.resolve().then(() => o.success(Object.fromEntries([['errMsg', 'requestSubscribeMessage:ok'], ...o.tmplIds.map(id => [id, 'accept'])])))
  )
}

/** The template ids of each prompt opened so far. */
function prompts() {
  return wx.requestSubscribeMessage.mock.calls.map(c => c[0].tmplIds)
}

module.exports = { tap, type, change, texts, ALL_SUBSCRIPTIONS, acceptEveryPrompt, prompts }

/** The wx file and media APIs the setup's wx leaves out, as jest mocks answering success. */
function withFileApis() {
  const answer = impl => jest.fn(options => Promise.resolve().then(() => impl(options)).then(res => options.success && options.success(res), err => options.fail && options.fail(err)))
  wx.previewImage = jest.fn()
  wx.openDocument = answer(() => ({ errMsg: 'openDocument:ok' }))
  wx.chooseMedia = answer(() => ({ type: 'image', tempFiles: [] }))
  wx.uploadFile = answer(() => ({ statusCode: 201, data: '{}' }))
  wx.showActionSheet = answer(() => ({ tapIndex: 0 }))
}

module.exports.withFileApis = withFileApis
