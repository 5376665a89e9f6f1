// The notices I received, unread first. Offline: the list kept on the phone, under a 离线 banner.
const { go } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const { loadKept } = require('../../utils/offline')
const inbox = require('../../utils/inbox')
const subscribe = require('../../utils/subscribe')

function stateOf(n) {
  if (n.status === 'cancelled') return '已取消'
  if (!n.read) return '未读'
  if (n.ack_mode === 'confirm' && !n.confirmed) return '待确认'
  if (n.ack_mode === 'rsvp' && !n.rsvp_status) return '待回执'
  return ''
}

Component({
  data: { loading: true, error: '', offline: false, offlineText: '', items: [], unread: 0 },
  methods: {
    onShow() {
      subscribe.prepare().catch(() => null)
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      inbox.refreshBadge()
      return loadKept(this, async ({ read }) => {
        const body = await read('myNotices', { query: { limit: 50 } })
        return { items: body.items.map(n => ({ ...n, when: dateTime(n.published_at), state: stateOf(n) })), unread: body.unread }
      })
    },
    open(e) {
      go(`/pages/notice/index?id=${e.currentTarget.dataset.id}`)
    },
    askNews() {
      subscribe.ask('notices')
    }
  }
})
