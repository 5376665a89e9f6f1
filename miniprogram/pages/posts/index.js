// 推文审核: the 公众号 posts waiting for the caller — a director's 审核, a leader's 签发 — and all.
const api = require('../../utils/api')
const { load, go } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const { roleCodes } = require('../../utils/roles')

const TABS = [
  { key: 'reviewing', label: '待审核' },
  { key: 'signing', label: '待签发' },
  { key: '', label: '全部' }
]

Component({
  data: { loading: true, error: '', tabs: TABS, status: null, items: [] },
  methods: {
    async onLoad(options) {
      let status = options && options.status
      if (status === undefined) {
        // Whose turn it is: a leader signs, a director reviews.
        const codes = roleCodes(await api.call('me').catch(() => null))
        status = codes.includes('leader') && !codes.includes('director') ? 'signing' : 'reviewing'
      }
      this.setData({ status })
      return this.refresh()
    },
    onShow() {
      // Back from a post just approved or signed: the list moves on (the first show is onLoad's).
      if (this.shown) return this.refresh()
      this.shown = true
      return null
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      return load(this, async () => {
        const body = await api.call('posts', { query: { status: this.data.status || undefined } })
        return { items: body.items.map(p => ({ ...p, when: dateTime(p.updated_at) })) }
      })
    },
    pick(e) {
      this.setData({ status: e.currentTarget.dataset.status })
      return this.refresh()
    },
    open(e) {
      go(`/pages/post/index?id=${e.currentTarget.dataset.id}`)
    }
  }
})
