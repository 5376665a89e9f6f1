// One pairing against its targets: where a 进度预警 push opens (?id=&semester=).
const api = require('../../utils/api')
const { load } = require('../../utils/page')
const { percent } = require('../../utils/format')

Component({
  data: { loading: true, error: '', pairing: null, figures: [], targets: [], behind: [], manual: [] },
  methods: {
    onLoad(options) {
      const id = options && Number(options.id)
      const semester = options && options.semester ? decodeURIComponent(options.semester) : undefined
      return load(this, async () => {
        if (!(id > 0)) throw new api.ApiError('not_found', '链接不完整：缺少结对编号')
        const item = await api.call('pairingReport', { params: { pairing_id: id }, query: semester ? { semester } : {} })
        const f = item.figures || {}
        const figures = item.figures ? [
          { label: '活动', value: `${f.activities || 0} 次` },
          { label: '覆盖教师', value: `${f.teachers_reached || 0} 人` },
          { label: '出勤率', value: percent(f.attendance_rate) }
        ] : []
        const targets = item.targets || {}
        const behind = (item.behind || []).map(key => (targets[key] && targets[key].label) || key)
        // 优课率、合格率、论文: no record measures them; the page says they are filled in by hand.
        return { pairing: item, figures, targets, behind, manual: item.manual || [] }
      })
    }
  }
})
