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
    return checkin.syncQueue().then(out => {
      if (out.sent) wx.showToast({ title: `已提交 ${out.sent} 条离线签到`, icon: 'none' })
      return out
    }, () => null)
  }
})
