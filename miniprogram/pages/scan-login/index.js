// 电脑登录: scan the web console's login code and confirm it, for every console role
// (organizer, director, leader, admin; and teachers, whose console is the 学时证明 page) —
// leaders have no check-in button to scan with.
const checkin = require('../../utils/checkin')
const { webLoginToken } = require('../../utils/scene')

function promisify(fn, options = {}) {
  return new Promise((resolve, reject) => fn({ ...options, success: resolve, fail: reject }))
}

Component({
  data: { busy: false, result: null },
  methods: {
    async scan() {
      if (this.data.busy) return null
      let res
      try {
        // wx.scanCode "调起客户端扫码界面进行扫码"; the console shows a plain QR code of its
        // …/console/m/login?t= address (result), and only the camera may read it.
        res = await promisify(wx.scanCode, { onlyFromCamera: true, scanType: ['qrCode'] })
      } catch (err) {
        return null // she closed the camera
      }
      const token = webLoginToken(res)
      if (!token) {
        this.setData({ result: { ok: false, message: '这不是管理后台的登录二维码，请扫描电脑上管理后台登录页的二维码' } })
        return null
      }
      this.setData({ busy: true })
      let out
      try {
        out = await checkin.confirmWebLogin(token)
      } finally {
        this.setData({ busy: false })
      }
      this.setData({ result: { ok: out.status === 'web_login', message: out.message } })
      return out
    }
  }
})
