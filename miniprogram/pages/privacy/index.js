// The privacy notice (see docs/privacy.md) and the WeChat privacy contract.
Component({
  methods: {
    openContract() {
      wx.openPrivacyContract({})
    }
  }
})
