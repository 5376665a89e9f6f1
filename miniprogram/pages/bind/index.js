// Binding: enter or scan the invitation code from the kindergarten.
const api = require('../../utils/api')
const { queryParam } = require('../../utils/scene')

/** The invitation code in a scanned text: a bare code or a link with ?code=. */
function codeFromScan(text) {
  const value = (text || '').trim()
  return (value.includes('code=') ? queryParam(value, 'code') : value) || ''
}

Component({
  data: { code: '', name: '', relation: '', submitting: false, error: '' },
  methods: {
    onLoad(options) {
      if (options && options.code) this.setData({ code: decodeURIComponent(options.code) })
    },
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value })
    },
    scan() {
      wx.scanCode({
        onlyFromCamera: true,
        scanType: ['qrCode'],
        success: res => this.setData({ code: codeFromScan(res.result) })
      })
    },
    async submit() {
      const code = this.data.code.trim().toUpperCase()
      if (code.length < 4) {
        this.setData({ error: '请输入园所发给您的邀请码' })
        return
      }
      this.setData({ submitting: true, error: '' })
      try {
        const data = { code }
        if (this.data.name.trim()) data.name = this.data.name.trim()
        if (this.data.relation.trim()) data.relation = this.data.relation.trim()
        const body = await api.call('redeem', { data })
        api.saveSession(body)
        wx.showToast({ title: '绑定成功', icon: 'success' })
        wx.reLaunch({ url: '/pages/home/index' })
      } catch (err) {
        this.setData({ error: err.message })
      } finally {
        this.setData({ submitting: false })
      }
    }
  }
})
