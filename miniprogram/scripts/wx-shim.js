// A tiny `wx` over Node's fetch and an in-memory storage, so utils/api.js runs unchanged in Node
// (the end-to-end test). Only what the API client and the check-in flow call.
function makeWx({ loginCode, online = true }) {
  const store = new Map()
  const wx = {
    getStorageSync: key => (store.has(key) ? JSON.parse(store.get(key)) : ''),
    setStorageSync: (key, value) => store.set(key, JSON.stringify(value)),
    removeStorageSync: key => store.delete(key),
    login: ({ success }) => setTimeout(() => success({ code: loginCode, errMsg: 'login:ok' })),
    getSetting: ({ success }) => setTimeout(() => success({ authSetting: { 'scope.userLocation': true } })),
    getLocation: ({ success }) => setTimeout(() => success({ latitude: 28.2031, longitude: 112.964, accuracy: 25 })),
    getNetworkType: ({ success }) => setTimeout(() => success({ networkType: wx.online ? 'wifi' : 'none' })),
    request: ({ url, method = 'GET', data, header, timeout, success, fail }) => {
      if (!wx.online) return setTimeout(() => fail({ errMsg: 'request:fail' }))
      const body = data === undefined ? undefined : JSON.stringify(data)
      const signal = AbortSignal.timeout(timeout || 10000)
      fetch(url, { method, headers: header, body, signal })
        .then(async res => {
          const text = await res.text()
          let parsed = text
          try {
            parsed = JSON.parse(text)
          } catch (err) {
            // not JSON: wx.request hands over the text
          }
          success({ statusCode: res.status, data: parsed, header: Object.fromEntries(res.headers) })
        })
        .catch(() => fail({ errMsg: 'request:fail' }))
    },
    online
  }
  return wx
}

module.exports = { makeWx }
