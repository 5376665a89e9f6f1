// A notice: opening it marks it read; its pictures and attachments, the linked activity's time
// and place, confirm, RSVP with adults and children, cancel; on the day the family checks in
// here with its headcount (prefilled from the RSVP); afterwards it rates the activity.
const api = require('../../utils/api')
const { load, act } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const subscribe = require('../../utils/subscribe')
const files = require('../../utils/files')
const checkin = require('../../utils/checkin')
const { sceneFromScan } = require('../../utils/scene')

// The check-in body's headcount limits (server/checkin/schemas.py: 0–10 each); the person
// scanning is an adult herself.
const ARRIVE_LIMITS = { adults: [1, 10], children: [0, 10] }

function promisify(fn, options = {}) {
  return new Promise((resolve, reject) => fn({ ...options, success: resolve, fail: reject }))
}

function activityInfo(activity) {
  if (!activity) return null
  const starts = dateTime(activity.starts_at)
  const ends = dateTime(activity.ends_at)
  // Same day: "11月27日 08:00—10:00"; otherwise both dates.
  const sameDay = starts && ends && starts.split(' ')[0] === ends.split(' ')[0]
  return {
    title: activity.title,
    when: sameDay ? `${starts}—${ends.split(' ')[1]}` : `${starts} — ${ends}`,
    place: activity.address || '',
    cancelled: activity.status === 'cancelled',
    finished: activity.status === 'finished'
  }
}

/** Whether the family may check in from here: invited by a confirmed yes (or without RSVP). */
function mayArrive(notice, me) {
  const activity = notice.activity
  if (!activity || notice.status === 'cancelled' || me.attended) return false
  if (activity.status === 'cancelled' || activity.status === 'finished' || activity.status === 'draft') return false
  if (notice.ack_mode !== 'rsvp') return true
  return !!(me.rsvp && me.rsvp.status === 'confirmed')
}

/** What the rating part shows: the form, or why not. */
function ratingState(notice, me) {
  // Senders and leaders read the notice without `me`: rating is the families'.
  if (!notice.activity || !notice.me) return ''
  if (notice.activity.status === 'cancelled') return 'cancelled'
  return me.attended ? 'form' : 'not_attended'
}

Component({
  data: {
    loading: true,
    error: '',
    id: null,
    notice: null,
    me: {},
    deadline: '',
    activity: null,
    adults: 1,
    children: 0,
    stars: 0,
    comment: '',
    starList: [1, 2, 3, 4, 5],
    rating: '',
    canArrive: false,
    arrive: { adults: 1, children: 0 },
    arrival: null,
    busy: false
  },
  methods: {
    async onLoad(options) {
      // Opened from a push, this page is the first: the prompts below need the template ids.
      subscribe.prepare().catch(() => null)
      this.setData({ id: Number(options && options.id) })
      await this.refresh()
      if (this.data.notice && !this.data.me.read_at) {
        await api.call('readNotice', { params: { notice_id: this.data.id } }).catch(() => null)
      }
    },
    refresh() {
      return load(this, async () => {
        const notice = await api.call('notice', { params: { notice_id: this.data.id } })
        const me = notice.me || {}
        const out = {
          notice,
          me,
          deadline: dateTime(notice.deadline),
          activity: activityInfo(notice.activity),
          rating: ratingState(notice, me),
          canArrive: mayArrive(notice, me)
        }
        const yes = me.rsvp && me.rsvp.answer === 'yes' && me.rsvp.status !== 'cancelled'
        if (yes) Object.assign(out, { adults: me.rsvp.adults, children: me.rsvp.children })
        // The headcount on the day starts from what the family said it would bring.
        out.arrive = yes ? { adults: Math.max(1, me.rsvp.adults), children: me.rsvp.children } : { adults: 1, children: 0 }
        if (me.feedback) Object.assign(out, { stars: me.feedback.stars || 0, comment: me.feedback.comment || '' })
        return out
      })
    },
    previewImage(e) {
      files.preview(this.data.notice.images, e.currentTarget.dataset.url)
    },
    openAttachment(e) {
      const item = this.data.notice.attachments[Number(e.currentTarget.dataset.index)]
      if (!item) return null
      return files.openDocument({ url: item.url, name: item.name }).catch(err => api.showError(err))
    },
    step(e) {
      const { field, delta } = e.currentTarget.dataset
      const max = field === 'adults' ? this.data.notice.max_adults : this.data.notice.max_children
      const min = field === 'adults' ? 1 : 0
      this.setData({ [field]: Math.max(min, Math.min(max, this.data[field] + Number(delta))) })
    },
    stepArrive(e) {
      const { field, delta } = e.currentTarget.dataset
      const [min, max] = ARRIVE_LIMITS[field]
      this.setData({ [`arrive.${field}`]: Math.max(min, Math.min(max, this.data.arrive[field] + Number(delta))) })
    },
    async confirm() {
      subscribe.ask('notices')
      if (await act(this, () => api.call('confirmNotice', { params: { notice_id: this.data.id } }), '已确认')) await this.refresh()
    },
    async rsvpYes() {
      // Signed up for an activity: the reminder, a move and a cancellation are what she needs.
      subscribe.ask(this.data.notice.activity ? 'attending' : 'notices')
      const body = await act(this, () => api.call('rsvp', { params: { notice_id: this.data.id }, data: { answer: 'yes', adults: this.data.adults, children: this.data.children } }))
      if (body) {
        wx.showModal({ title: '报名回执', content: body.message, showCancel: false })
        await this.refresh()
      }
    },
    async rsvpNo() {
      const body = await act(this, () => api.call('rsvp', { params: { notice_id: this.data.id }, data: { answer: 'no', adults: 0, children: 0 } }))
      if (body) await this.refresh()
    },
    cancelRsvp() {
      wx.showModal({
        title: '取消报名',
        content: '确定取消报名吗？名额将让给候补的家庭。',
        success: async res => {
          if (!res.confirm) return
          const body = await act(this, () => api.call('cancelRsvp', { params: { notice_id: this.data.id } }))
          if (body) {
            wx.showToast({ title: '已取消报名', icon: 'none' })
            await this.refresh()
          }
        }
      })
    },
    /** On the day: scan the activity's code and check in with the headcount shown. */
    async arriveScan() {
      if (this.data.busy) return null
      let res
      try {
        // wx.scanCode: path "当所扫的码为当前小程序二维码时，会返回此字段" — the poster's code;
        // the projector's QR is a plain link (result). Only the camera: a photo of a code is no proof.
        res = await promisify(wx.scanCode, { onlyFromCamera: true, scanType: ['qrCode', 'wxCode'] })
      } catch (err) {
        return null // she closed the camera
      }
      const scene = sceneFromScan(res)
      if (!scene) {
        this.setData({ arrival: { ok: false, title: '签到未成功', message: '无法识别的签到码，请扫描活动现场的签到码', headcount: '' } })
        return null
      }
      this.setData({ busy: true })
      let result
      try {
        result = await checkin.checkInScene(scene, { adults: this.data.arrive.adults, children: this.data.arrive.children })
      } finally {
        this.setData({ busy: false })
      }
      const view = checkin.describe(result)
      const c = result.checkin
      this.setData({
        arrival: {
          ok: result.status === 'checked_in' || result.status === 'already_checked_in' || result.status === 'queued',
          title: view.title,
          message: result.message || '',
          headcount: c ? `到场：成人 ${c.adults} 人，幼儿 ${c.children} 人` : ''
        }
      })
      if (c) await this.refresh()
      return result
    },
    rate(e) {
      this.setData({ stars: Number(e.currentTarget.dataset.stars) })
    },
    onComment(e) {
      this.setData({ comment: e.detail.value })
    },
    askFeedback() {
      subscribe.ask('feedback')
    },
    async sendFeedback() {
      if (!this.data.stars) {
        api.showError({ message: '请先选择星级' })
        return
      }
      const done = await act(this, () => api.call('feedback', { params: { notice_id: this.data.id }, data: { stars: this.data.stars, comment: this.data.comment } }), '感谢您的评价')
      if (done) await this.refresh()
    }
  }
})
