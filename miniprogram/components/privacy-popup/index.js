// Shown when WeChat asks for privacy authorisation before a private API (scan, location).
const privacy = require('../../utils/privacy')

Component({
  data: { show: false },
  lifetimes: {
    attached() {
      this.unsubscribe = privacy.subscribe(show => this.setData({ show }))
    },
    detached() {
      if (this.unsubscribe) this.unsubscribe()
    }
  },
  methods: {
    openContract() {
      wx.openPrivacyContract({})
    },
    agree() {
      privacy.answer('agree', 'privacy-agree')
    },
    disagree() {
      privacy.answer('disagree')
    }
  }
})
