// The notices I received, unread first.
const api = require('../../utils/api')
const { load, go } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const subscribe = require('../../utils/subscribe')

function stateOf(n) {
  if (n.status === 'cancelled') return '已取消'
  if (!n.read) return '未读'
  if (n.ack_mode === 'confirm' && !n.confirmed) return '待确认'
  if (n.ack_mode === 'rsvp' && !n.rsvp_status) return '待回执'
  return ''
}

Component({
  data: { loading: true, error: '', items: [], unread: 0 },
  methods: {
    onShow() {
      subscribe.prepare().catch(() => null)
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      return load(this, async () => {
        const body = await api.call('myNotices', { query: { limit: 50 } })
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
