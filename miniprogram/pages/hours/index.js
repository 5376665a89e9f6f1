// My hours this semester (presenting and attending) and my check-ins.
const api = require('../../utils/api')
const { load } = require('../../utils/page')
const { dateTime, hours } = require('../../utils/format')

const ROLE_NAMES = { presenter: '主讲', attendee: '参加' }

Component({
  data: { loading: true, error: '', semester: '', total: '', presenter: '', attendee: '', entries: [], checkins: [] },
  methods: {
    onLoad() {
      return load(this, async () => {
        const [mine, checkins] = await Promise.all([api.call('myHours'), api.call('myCheckins')])
        return {
          semester: mine.semester,
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
    }
  }
})
