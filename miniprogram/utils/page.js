// What every page does the same way: load with a spinner, show errors in Chinese, go to pages.
const api = require('./api')

/** Run a loader with the loading flag and the server's Chinese message on failure. */
async function load(page, loader) {
  page.setData({ loading: true, error: '' })
  try {
    const data = await loader()
    page.setData({ ...(data || {}), loading: false })
    return true
  } catch (err) {
    page.setData({ loading: false, error: (err && err.message) || '加载失败，请稍后重试' })
    return false
  }
}

/** Run an action from a tap; shows the server's message when it fails. */
async function act(page, action, successText) {
  try {
    const out = await action()
    if (successText) wx.showToast({ title: successText, icon: 'success' })
    return out
  } catch (err) {
    api.showError(err)
    return undefined
  }
}

const TAB_PAGES = ['/pages/home/index', '/pages/notices/index', '/pages/inbox/index', '/pages/settings/index']

/** Open a page; tab pages are switched to, as WeChat requires. */
function go(url) {
  if (TAB_PAGES.includes(url.split('?')[0])) wx.switchTab({ url: url.split('?')[0] })
  else wx.navigateTo({ url })
}

module.exports = { load, act, go }
