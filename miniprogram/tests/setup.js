// A mocked `wx` for jest: storage in memory, every API a jest.fn the tests can steer.
function callbackApi(impl) {
  return jest.fn(options => {
    const opts = options || {}
    Promise.resolve()
      .then(() => impl(opts))
      .then(
        res => opts.success && opts.success(res),
        err => opts.fail && opts.fail(err)
      )
      .finally(() => opts.complete && opts.complete())
  })
}

function makeWx() {
  const store = new Map()
  const wx = {
    __store: store,
    getStorageSync: jest.fn(key => (store.has(key) ? JSON.parse(store.get(key)) : '')),
    setStorageSync: jest.fn((key, value) => store.set(key, JSON.stringify(value))),
    removeStorageSync: jest.fn(key => store.delete(key)),
    clearStorageSync: jest.fn(() => store.clear()),
    login: callbackApi(() => ({ code: 'demo-teacher' })),
    request: callbackApi(() => {
      throw new Error('wx.request not mocked for this test')
    }),
    downloadFile: callbackApi(() => ({ statusCode: 200, tempFilePath: 'wxfile://tmp/chart.png' })),
    scanCode: callbackApi(() => ({ result: '', path: '' })),
    getSetting: callbackApi(() => ({ authSetting: {} })),
    getLocation: callbackApi(() => ({ latitude: 28.2031, longitude: 112.964, accuracy: 20 })),
    getNetworkType: callbackApi(() => ({ networkType: 'wifi' })),
    onNetworkStatusChange: jest.fn(),
    onNeedPrivacyAuthorization: jest.fn(),
    openPrivacyContract: callbackApi(() => ({})),
    requestSubscribeMessage: callbackApi(() => ({ errMsg: 'requestSubscribeMessage:ok' })),
    showToast: jest.fn(),
    showModal: callbackApi(() => ({ confirm: true, cancel: false })),
    showLoading: jest.fn(),
    hideLoading: jest.fn(),
    navigateTo: jest.fn(),
    redirectTo: jest.fn(),
    reLaunch: jest.fn(),
    switchTab: jest.fn(),
    navigateBack: jest.fn(),
    setClipboardData: callbackApi(() => ({})),
    stopPullDownRefresh: jest.fn(),
    setKeepScreenOn: callbackApi(() => ({ errMsg: 'setKeepScreenOn:ok' })),
    setTabBarBadge: callbackApi(() => ({ errMsg: 'setTabBarBadge:ok' })),
    removeTabBarBadge: callbackApi(() => ({ errMsg: 'removeTabBarBadge:ok' }))
  }
  return wx
}

global.__makeWx = makeWx
global.wx = makeWx()
// miniprogram-simulate runs a page's or component's code with require() and then drops it from
// require.cache, which jest ignores: a component used by a second page would never call
// Component() again. Run the file's code afresh each time, with jest's require for its imports,
// so pages and tests share one instance of each utils module.
const fs = require('fs')
const path = require('path')
const simulateUtils = require('miniprogram-simulate/src/utils')

simulateUtils.runJs = filePath => {
  const file = filePath.endsWith('.js') ? filePath : `${filePath}.js`
  const code = fs.readFileSync(file, 'utf8')
  const localRequire = p => require(p.startsWith('.') ? path.resolve(path.dirname(file), p) : p)
  const mod = { exports: {} }
  // eslint-disable-next-line no-new-func
  new Function('require', 'module', 'exports', '__filename', '__dirname', code)(localRequire, mod, mod.exports, file, path.dirname(file))
}

// Retries wait between attempts in the app; tests need not.
require('../config').retryDelayMs = 0
