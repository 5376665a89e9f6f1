// Check-in: scan with the camera, or arrive here from a scanned mini-program code (scene).
const checkin = require('../../utils/checkin')
const queue = require('../../utils/offline-queue')
const { sceneFromOptions } = require('../../utils/scene')

Component({
  data: { busy: false, queued: 0, synced: [] },
  methods: {
    onLoad(options) {
      const scene = sceneFromOptions(options)
      if (scene) return this.run(() => checkin.checkInScene(scene))
      return null
    },
    onShow() {
      this.refreshQueue()
    },
    refreshQueue() {
      this.setData({ queued: queue.list().length, synced: queue.results().slice(0, 5).map(checkin.resultLine) })
    },
    scan() {
      return this.run(() => checkin.scanAndCheckIn())
    },
    async run(action) {
      if (this.data.busy) return null
      this.setData({ busy: true })
      wx.showLoading({ title: '正在签到', mask: true })
      let result = null
      try {
        result = await action()
      } finally {
        wx.hideLoading()
        this.setData({ busy: false })
        this.refreshQueue()
      }
      if (result) {
        const brief = { status: result.status, reason: result.reason || null, message: result.message || '', checkin: result.checkin || null, activity: result.activity || null, hours: result.hours === undefined ? null : result.hours }
        wx.navigateTo({ url: `/pages/checkin-result/index?r=${encodeURIComponent(JSON.stringify(brief))}` })
      }
      return result
    },
    async sync() {
      const out = await checkin.syncQueue()
      this.refreshQueue()
      checkin.showSyncSummary(out)
      return out
    }
  }
})
