// The activities I can see, newest first, with the ones I checked in to marked.
const api = require('../../utils/api')
const { load, go } = require('../../utils/page')
const { dateTime } = require('../../utils/format')

Component({
  data: { loading: true, error: '', items: [], total: 0 },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      return load(this, async () => {
        const [list, mine] = await Promise.all([api.call('activities', { query: { limit: 50 } }), api.call('myCheckins')])
        const checkedIn = new Set(mine.filter(c => !c.annulled).map(c => c.activity_id))
        const items = list.items.map(a => ({ ...a, when: dateTime(a.starts_at), checkedIn: checkedIn.has(a.id) }))
        return { items, total: list.total }
      })
    },
    open(e) {
      go(`/pages/activity/index?id=${e.currentTarget.dataset.id}`)
    }
  }
})
