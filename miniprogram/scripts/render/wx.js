// The `wx` a page sees while it is rendered for a screenshot (scripts/render-pages.js): the
// network and storage APIs of scripts/wx-shim.js (Node's fetch against the live server), file
// downloads into a temp folder, and every other API answering success without doing anything.
// It counts requests in flight, so the renderer knows when a page has its data, and keeps
// each request with the answer it got.
const fs = require('fs')
const os = require('os')
const path = require('path')
const { makeWx } = require('../wx-shim')

/** A wx logged in with `loginCode`; `wx.pending()` is the number of requests not yet answered. */
function pageWx(loginCode) {
  const base = makeWx({ loginCode })
  const requests = []
  let pending = 0
  const track = (options, run) => {
    pending += 1
    const done = callback => res => {
      pending -= 1
      if (callback) callback(res)
      if (options.complete) options.complete(res)
    }
    run({ ...options, success: done(options.success), fail: done(options.fail) })
  }
  const request = base.request
  base.request = options => {
    const sent = { method: options.method || 'GET', url: options.url }
    requests.push(sent)
    // The answer as the page got it, for the test to check against the OpenAPI document.
    const success = options.success
    track({ ...options, success: res => { sent.answer = { status: res.statusCode, body: res.data }; if (success) success(res) } }, request)
  }
  base.downloadFile = options =>
    track(options, ({ url, header, success, fail }) => {
      requests.push({ method: 'GET', url })
      fetch(url, { headers: header })
        .then(async res => {
          const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sjt-render-')), 'download')
          fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()))
          success({ statusCode: res.status, tempFilePath: file })
        })
        .catch(() => fail({ errMsg: 'downloadFile:fail' }))
    })
  // WeChat's privacy hook: kept, so a render can show the privacy popup as WeChat would ask.
  base.onNeedPrivacyAuthorization = listener => {
    base.privacyListener = listener
  }
  base.getSystemInfoSync = () => ({ windowWidth: 375, windowHeight: 667, pixelRatio: 2, platform: 'devtools' })
  base.getWindowInfo = base.getSystemInfoSync
  base.requests = requests
  base.pending = () => pending
  base.calls = []
  return new Proxy(base, {
    get(target, name) {
      if (name in target) return target[name]
      if (typeof name !== 'string') return undefined
      // Any other API (toast, navigation, badges, keep-screen-on …): recorded, answers ok.
      return (options = {}) => {
        target.calls.push(name)
        const res = { errMsg: `${name}:ok` }
        setTimeout(() => {
          if (options && options.success) options.success(res)
          if (options && options.complete) options.complete(res)
        })
        return undefined
      }
    }
  })
}

module.exports = { pageWx }
