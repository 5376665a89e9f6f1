// The answer to a scan with its Chinese reason, the activity it was for and the 课时 it earns;
// offers activity reminders on a tap.
const { go } = require('../../utils/page')
const subscribe = require('../../utils/subscribe')

Component({
  data: { result: null },
  methods: {
    onLoad(options) {
      let result = { status: 'error', message: '没有签到结果' }
      try {
        if (options && options.r) result = JSON.parse(decodeURIComponent(options.r))
      } catch (err) {
        // keep the fallback
      }
      this.setData({ result })
    },
    openActivity() {
      const a = this.data.result && this.data.result.activity
      if (a) go(`/pages/activity/index?id=${a.id}`)
    },
    again() {
      wx.navigateBack({ delta: 1 })
    },
    home() {
      wx.switchTab({ url: '/pages/home/index' })
    },
    askReminders() {
      subscribe.ask('activities')
    }
  }
})
