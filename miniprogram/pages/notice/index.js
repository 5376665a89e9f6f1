// A notice: opening it marks it read; confirm, RSVP with adults and children, cancel, feedback.
const api = require('../../utils/api')
const { load, act } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const subscribe = require('../../utils/subscribe')

Component({
  data: { loading: true, error: '', id: null, notice: null, me: {}, deadline: '', adults: 1, children: 0, stars: 0, comment: '', starList: [1, 2, 3, 4, 5] },
  methods: {
    async onLoad(options) {
      this.setData({ id: Number(options.id) })
      await this.refresh()
      if (this.data.notice && !this.data.me.read_at) {
        await api.call('readNotice', { params: { notice_id: this.data.id } }).catch(() => null)
      }
    },
    refresh() {
      return load(this, async () => {
        const notice = await api.call('notice', { params: { notice_id: this.data.id } })
        const me = notice.me || {}
        const out = { notice, me, deadline: dateTime(notice.deadline) }
        if (me.rsvp && me.rsvp.answer === 'yes' && me.rsvp.status !== 'cancelled') Object.assign(out, { adults: me.rsvp.adults, children: me.rsvp.children })
        if (me.feedback) Object.assign(out, { stars: me.feedback.stars || 0 })
        return out
      })
    },
    step(e) {
      const { field, delta } = e.currentTarget.dataset
      const max = field === 'adults' ? this.data.notice.max_adults : this.data.notice.max_children
      const min = field === 'adults' ? 1 : 0
      this.setData({ [field]: Math.max(min, Math.min(max, this.data[field] + Number(delta))) })
    },
    async confirm() {
      subscribe.ask('notices')
      if (await act(this, () => api.call('confirmNotice', { params: { notice_id: this.data.id } }), '已确认')) await this.refresh()
    },
    async rsvpYes() {
      subscribe.ask('notices')
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
    rate(e) {
      this.setData({ stars: Number(e.currentTarget.dataset.stars) })
    },
    onComment(e) {
      this.setData({ comment: e.detail.value })
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
