// A leader's summary: the one a push links to (?id=), else the latest; the chart, what happened,
// the targets and the pairings at risk, and the way to the earlier ones.
const api = require('../../utils/api')
const { load, go } = require('../../utils/page')
const { hours, percent } = require('../../utils/format')
const subscribe = require('../../utils/subscribe')

Component({
  data: { loading: true, error: '', summary: null, chart: '', figures: [], targets: [], alerts: [] },
  methods: {
    onLoad(options) {
      subscribe.prepare().catch(() => null)
      // A pushed summary links here with its id; the 工作简报 tile opens the latest one.
      const id = options && Number(options.id)
      return load(this, async () => {
        const summary = id > 0
          ? await api.call('summary', { params: { summary_id: id } })
          : await api.call('latestSummary')
        const h = summary.happened || {}
        const figures = [
          { label: '活动', value: `${h.activities || 0} 次` },
          { label: '签到', value: `${h.checkins || 0} 人次` },
          { label: '送教课时', value: hours(h.send_hours) },
          { label: '出勤率', value: percent(h.attendance_rate) },
          { label: '公众号推文', value: `${h.posts_published || 0} 篇` }
        ]
        const chart = await api.download('summaryChart', { params: { summary_id: summary.id } }).catch(() => '')
        const targets = (summary.targets && summary.targets.items) || []
        const alerts = ((summary.alerts && summary.alerts.items) || []).slice(0, 10)
        return { summary, chart, figures, targets, alerts }
      })
    },
    askSummary() {
      subscribe.ask('summary')
    },
    openHistory() {
      go('/pages/summaries/index')
    },
    preview() {
      if (this.data.chart) wx.previewImage({ urls: [this.data.chart] })
    }
  }
})
