// Director's view of her kindergarten: this semester's figures, targets and alerts.
const api = require('../../utils/api')
const { load } = require('../../utils/page')
const { percent } = require('../../utils/format')
const { directedKindergarten } = require('../../utils/roles')
const subscribe = require('../../utils/subscribe')

Component({
  data: { loading: true, error: '', kindergarten: null, period: '', figures: [], targets: [], alerts: [] },
  methods: {
    onLoad() {
      subscribe.prepare().catch(() => null)
      return load(this, async () => {
        const person = await api.call('me')
        const mine = directedKindergarten(person)
        if (!mine) throw new api.ApiError('forbidden', '仅园长可以查看本园概况')
        const [reports, alerts] = await Promise.all([api.call('kindergartenReports'), api.call('alerts')])
        const item = reports.items.find(i => i.kindergarten_id === mine.id)
        if (!item) return { kindergarten: mine, period: reports.period, targets: [], figures: [], alerts: [] }
        const f = item.figures || {}
        const figures = [
          { label: '本学期活动', value: `${f.activities || 0} 次` },
          { label: '覆盖教师', value: `${f.teachers_reached || 0} 人` },
          { label: '出勤率', value: percent(f.attendance_rate) },
          { label: '帮扶结对', value: `${f.pairings_given || 0} 对` }
        ]
        return { kindergarten: { id: mine.id, name: item.name }, period: reports.period, figures, targets: item.targets, alerts: (alerts.items || []).slice(0, 10) }
      })
    },
    askAlerts() {
      // 帮扶进度预警 goes to the directors of both sides of a pairing that falls behind.
      subscribe.ask('alert')
    }
  }
})
