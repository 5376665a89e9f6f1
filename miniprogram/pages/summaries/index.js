// 往期简报: the stored 工作周报 and 学期总结 the leader may read, newest first; each opens the
// summary page as its push does (?id=).
const api = require('../../utils/api')
const { load, go } = require('../../utils/page')
const subscribe = require('../../utils/subscribe')

const KINDS = [
  { key: '', label: '全部' },
  { key: 'weekly', label: '周报' },
  { key: 'semester', label: '学期总结' }
]

Component({
  data: { loading: true, error: '', kinds: KINDS, kind: '', items: [] },
  methods: {
    onLoad() {
      subscribe.prepare().catch(() => null)
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      return load(this, async () => {
        const body = await api.call('summaries', { query: { kind: this.data.kind || undefined, limit: 50 } })
        return { items: body.items.map(s => ({ id: s.id, title: `${(s.scope && s.scope.name) || ''} ${s.kind_label || ''}`.trim(), period: s.period_label || s.period })) }
      })
    },
    pick(e) {
      this.setData({ kind: e.currentTarget.dataset.kind })
      return this.refresh()
    },
    open(e) {
      go(`/pages/summary/index?id=${e.currentTarget.dataset.id}`)
    },
    askSummary() {
      subscribe.ask('summary')
    }
  }
})
