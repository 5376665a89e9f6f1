// My hours this semester (presenting and attending), my check-ins, and my 学时证明.
const api = require('../../utils/api')
const files = require('../../utils/files')
const { load } = require('../../utils/page')
const { dateTime, hours } = require('../../utils/format')

const ROLE_NAMES = { presenter: '主讲', attendee: '参加' }

Component({
  data: { loading: true, error: '', semester: '', year: '', total: '', presenter: '', attendee: '', entries: [], checkins: [], issuing: false, certificate: null },
  methods: {
    onLoad() {
      return load(this, async () => {
        const [mine, checkins] = await Promise.all([api.call('myHours'), api.call('myCheckins')])
        return {
          semester: mine.semester,
          year: String(mine.semester).slice(0, 4),
          total: hours(mine.total_hours),
          presenter: hours(mine.presenter_hours),
          attendee: hours(mine.attendee_hours),
          entries: mine.entries.map(e => ({ ...e, roleName: ROLE_NAMES[e.role] || e.role, hoursText: hours(e.hours) })),
          checkins: checkins.map(c => ({
            ...c,
            when: dateTime(c.scanned_at),
            note: c.annulled ? '已作废' : [c.late ? '迟到' : '', c.offline ? '离线签到' : ''].filter(Boolean).join(' ')
          }))
        }
      })
    },
    /** 开具学时证明 for the tapped period (data-period: 2026秋 or 2026), then open its PDF. */
    async issueCertificate(e) {
      if (this.data.issuing) return
      const period = e.currentTarget.dataset.period
      this.setData({ issuing: true })
      try {
        const cert = await api.call('issueCertificate', { data: { period } })
        this.setData({ certificate: { number: cert.number, label: cert.period_label, total: `${cert.total_hours} 学时` } })
        await files.openDocument({ name: `学时证明-${cert.period}.pdf`, call: 'certificatePdf', params: { certificate_id: cert.id } })
      } catch (err) {
        api.showError(err)
      } finally {
        this.setData({ issuing: false })
      }
    }
  }
})
