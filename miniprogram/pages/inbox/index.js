// 消息: every message the delivery engine made for me, newest first (the inbox is its last
// channel: what could not go out as a subscribe or 公众号 message is only here). Opening one
// marks it read on the server and opens the page it links to; the unread count is the 消息
// tab's badge. Offline: the list kept on the phone, under a 离线 banner.
const api = require('../../utils/api')
const { go } = require('../../utils/page')
const { loadKept, chinaDateTime } = require('../../utils/offline')
const inbox = require('../../utils/inbox')

const PAGE_SIZE = 50

function view(m) {
  return {
    id: m.id,
    title: m.title,
    body: m.body || '',
    kind: m.kind_name || '',
    when: chinaDateTime(m.created_at),
    page: m.page || '',
    read: Boolean(m.read)
  }
}

Component({
  data: { loading: true, error: '', offline: false, offlineText: '', items: [], unread: 0, more: false },
  methods: {
    onShow() {
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      return loadKept(this, async ({ read }) => {
        const body = await read('inbox', { query: { limit: PAGE_SIZE } })
        inbox.showBadge(body.unread)
        return { items: body.items.map(view), unread: body.unread, more: body.total > body.items.length }
      })
    },
    /** A tap on a message: mark it read (server side), then open the page it links to. */
    async open(e) {
      const id = Number(e.currentTarget.dataset.id)
      const item = this.data.items.find(m => m.id === id)
      if (!item) return
      if (!item.read) await this.markRead(item)
      if (item.page) go(`/${item.page.replace(/^\//, '')}`)
    },
    async markRead(item) {
      try {
        const done = await api.call('readMessage', { params: { delivery_id: item.id } })
        const unread = Math.max(0, this.data.unread - 1)
        this.setData({ items: this.data.items.map(m => (m.id === item.id ? { ...m, read: Boolean(done.read) } : m)), unread })
        inbox.showBadge(unread)
      } catch (err) {
        // Offline or refused: it stays unread here and on the server, and is marked next time.
        if (!err.isNetwork) api.showError(err)
      }
    }
  }
})
