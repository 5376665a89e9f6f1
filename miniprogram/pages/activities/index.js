// The activities I can see, newest first, with the ones I checked in to marked. Offline: the
// list kept on the phone, under a 离线 banner.
const { go } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const { loadKept } = require('../../utils/offline')

Component({
  data: { loading: true, error: '', offline: false, offlineText: '', items: [], total: 0 },
  methods: {
    onLoad() {
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      return loadKept(this, async ({ read }) => {
        const [list, mine] = await Promise.all([read('activities', { query: { limit: 50 } }), read('myCheckins')])
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
