// Settings: my data as the server holds it, my subscriptions, the privacy notice, unbinding.
const api = require('../../utils/api')
const { load, act, go } = require('../../utils/page')
const { roleLines } = require('../../utils/roles')
const queue = require('../../utils/offline-queue')

/** Everything this mini-program keeps on the phone. */
const LOCAL_KEYS = [api.SESSION_KEY, api.CACHE_KEY, queue.QUEUE_KEY, queue.RESULTS_KEY, 'sjt.subscriptionTemplates']

Component({
  data: { loading: true, error: '', person: null, roles: [], subscriptions: [], queued: 0, follow: null, followImage: '' },
  methods: {
    onShow() {
      return load(this, async () => {
        const [person, subs] = await Promise.all([api.call('me'), api.call('subscriptions')])
        return {
          person,
          roles: roleLines(person),
          subscriptions: subs.items.map(s => ({ ...s, state: s.banned ? '已拒绝' : `剩余 ${s.remaining} 次` })),
          queued: queue.list().length
        }
      })
    },
    // Without a 微信开放平台 binding the server cannot tell which 公众号 follower she is: her own
    // code, scanned with WeChat, follows and links in one go. A mini-program cannot open a
    // 公众号's follow page, and <official-account> shows only after scanning a code (scenes
    // 1011, 1017, 1025, 1047, 1124), so the code is shown for long-press recognition.
    showFollow() {
      return act(this, async () => {
        const follow = await api.call('followQrcode')
        const followImage = follow.linked ? '' : await api.download('followQrcodeImage')
        this.setData({ follow, followImage })
      })
    },
    previewFollow() {
      // A tap opens WeChat's preview, whose long-press menu (showmenu) also recognises the code.
      wx.previewImage({ urls: [this.data.followImage], showmenu: true })
    },
    openPrivacy() {
      go('/pages/privacy/index')
    },
    unbind() {
      const waiting = this.data.queued ? `手机上还有 ${this.data.queued} 条未提交的离线签到，将一并删除。` : ''
      wx.showModal({
        title: '解除绑定',
        content: `将退出登录并清除本机保存的全部数据。${waiting}如需注销身份或更换园所，请联系本园园长收回邀请身份。`,
        confirmText: '解除',
        confirmColor: '#fa5151',
        success: async res => {
          if (!res.confirm) return
          await api.call('logout').catch(() => null)
          LOCAL_KEYS.forEach(key => wx.removeStorageSync(key))
          wx.reLaunch({ url: '/pages/bind/index' })
        }
      })
    }
  }
})
