const privacy = require('./utils/privacy')
const checkin = require('./utils/checkin')

App({
  onLaunch() {
    privacy.install()
    // Scans kept offline leave as soon as the network is back.
    wx.onNetworkStatusChange(res => {
      if (res.isConnected) this.syncOfflineCheckins()
    })
  },

  onShow() {
    this.syncOfflineCheckins()
  },

  syncOfflineCheckins() {
    // What was accepted, and each refused scan with its activity, time and reason.
    return checkin.syncQueue().then(out => {
      if (out.sent) checkin.showSyncSummary(out)
      return out
    }, () => null)
  }
})
