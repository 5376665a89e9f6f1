// 通报: alliances or pairings of the leader's scope ranked by completion score this semester,
// with the targets each is behind on.
const api = require('../../utils/api')
const { load } = require('../../utils/page')
const { percent } = require('../../utils/format')

const BY = [
  { key: 'alliance', label: '按联盟' },
  { key: 'pairing', label: '按结对' }
]

function row(item) {
  const targets = item.targets || {}
  return {
    id: item.id,
    rank: item.rank === null || item.rank === undefined ? '—' : String(item.rank),
    name: item.name,
    score: item.score === null || item.score === undefined ? '未设目标' : percent(item.score),
    behind: (item.behind || []).map(key => (targets[key] && targets[key].label) || key).join('、')
  }
}

Component({
  data: { loading: true, error: '', byList: BY, by: 'alliance', period: '', items: [] },
  methods: {
    onLoad(options) {
      if (options && options.by) this.setData({ by: options.by === 'pairing' ? 'pairing' : 'alliance' })
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      return load(this, async () => {
        const body = await api.call('rankings', { query: { by: this.data.by } })
        return { period: body.period, items: body.items.map(row) }
      })
    },
    pick(e) {
      this.setData({ by: e.currentTarget.dataset.by })
      return this.refresh()
    }
  }
})
