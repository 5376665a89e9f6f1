// The phone's conditions for page tests: no network at all (every wx.request fails as a lost
// connection, getNetworkType says none), and the lifecycle calls WeChat makes when the screen
// locks or she comes back (onHide, onShow), made on the page as the framework would.
const { settle } = require('./helpers')

/** Every request fails at the network, as on a phone with no signal. */
function goOffline() {
  wx.request.mockImplementation(options => Promise.resolve().then(() => options.fail({ errMsg: 'request:fail timeout' })))
  wx.downloadFile.mockImplementation(options => Promise.resolve().then(() => options.fail({ errMsg: 'downloadFile:fail' })))
  wx.getNetworkType.mockImplementation(options => Promise.resolve().then(() => options.success({ networkType: 'none' })))
}

/** The screen locks or she switches away: WeChat calls the page's onHide. */
async function hide(page) {
  page.instance.onHide()
  await settle(20)
}

/** She is back: WeChat calls the page's onShow. */
async function show(page) {
  await page.instance.onShow()
  await settle(20)
}

/** The last wx.setKeepScreenOn asked for (true, false, or undefined when never called). */
function screenKeptOn() {
  const calls = wx.setKeepScreenOn.mock.calls
  return calls.length ? calls[calls.length - 1][0].keepScreenOn : undefined
}

module.exports = { goOffline, hide, show, screenKeptOn }
