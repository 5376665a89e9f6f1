// Activity detail; whoever checked in may check out (签退: her 课时 follow the time on site);
// organizers also see the live count, check people in by hand (补签) and put the rotating
// code on screen.
const api = require('../../utils/api')
const { load, act, go } = require('../../utils/page')
const { dateTime, hours } = require('../../utils/format')
const { hasRole } = require('../../utils/roles')
const subscribe = require('../../utils/subscribe')

const LIVE_SECONDS = 5

Component({
  data: { loading: true, error: '', id: null, activity: null, when: '', mine: null, counts: null, absent: [], checkins: [], codeImage: '', showCode: false },
  methods: {
    onLoad(options) {
      subscribe.prepare().catch(() => null)
      const session = api.getSession()
      this.setData({ id: Number(options.id), director: hasRole(session && session.person, 'director') })
      return this.refresh()
    },
    openManage() {
      go(`/pages/organize/index?id=${this.data.id}`)
    },
    openRecordCard() {
      go(`/pages/record-card/index?id=${this.data.id}`)
    },
    askReminders() {
      subscribe.ask('attending')
    },
    // Page lifecycle (Component pages: "页面的生命周期方法（即 on 开头的方法），应写在 methods 定义段中",
    // 微信开放文档): onHide runs when the screen locks or she leaves ("页面隐藏/切入后台时触发"),
    // onShow when she is back, so the timers stopped in onHide start again in onShow; a
    // frozen rotating code would be refused as 签到码已过期 to everyone scanning it.
    onShow() {
      if (!this.hidden) return
      this.hidden = false
      if (this.data.activity && this.data.activity.can_manage) {
        this.startLive()
        this.updateLive()
      }
      if (this.data.showCode) {
        this.keepScreenOn(true)
        this.nextCode()
      }
    },
    onHide() {
      this.hidden = true
      this.stopTimers()
      if (this.data.showCode) this.keepScreenOn(false)
    },
    onUnload() {
      this.stopTimers()
      if (this.data.showCode) this.keepScreenOn(false)
    },
    /**
     * The screen stays on while the rotating code is shown. wx.setKeepScreenOn: "设置是否保持常亮
     * 状态。仅在当前小程序生效，离开小程序后设置失效" (微信开放文档), so it is set again on onShow and
     * turned off when the code is put away or the page goes.
     */
    keepScreenOn(on) {
      wx.setKeepScreenOn({ keepScreenOn: on, fail: () => null })
    },
    refresh() {
      return load(this, async () => {
        const activity = await api.call('activity', { params: { activity_id: this.data.id } })
        const out = { activity, when: `${dateTime(activity.starts_at)} — ${dateTime(activity.ends_at)}`, mine: await this.myCheckin() }
        if (activity.can_manage) {
          Object.assign(out, await this.attendanceData())
          this.startLive()
        }
        return out
      })
    },
    openCheckin() {
      go('/pages/checkin/index')
    },
    async myCheckin() {
      // Her own check-in here, if any; without it the page is still worth showing.
      try {
        const rows = await api.call('myCheckins')
        const mine = (rows || []).find(c => c.activity_id === this.data.id && !c.annulled)
        if (!mine) return null
        const notes = [mine.late ? '迟到' : '', mine.offline ? '离线签到' : ''].filter(Boolean).join('，')
        return {
          id: mine.id,
          checkedIn: dateTime(mine.scanned_at),
          checkedOut: mine.checkout_at ? dateTime(mine.checkout_at) : '',
          notes,
          earned: mine.hours ? hours(mine.hours) : ''
        }
      } catch (err) {
        return null
      }
    },
    checkOut() {
      const mine = this.data.mine
      if (!mine || mine.checkedOut) return
      wx.showModal({
        title: '签退',
        content: '确定现在签退吗？参与课时按在场时间计算，签退后不能撤销。',
        success: async res => {
          if (!res.confirm) return
          const done = await act(this, () => api.call('checkOut', { params: { checkin_id: mine.id } }))
          if (!done) return
          wx.showModal({ title: '已签退', content: done.message, showCancel: false })
          this.setData({ mine: { ...mine, checkedOut: dateTime(done.checkout_at), earned: done.hours ? hours(done.hours) : '' } })
        }
      })
    },
    async attendanceData() {
      const body = await api.call('attendance', { params: { activity_id: this.data.id } })
      return {
        counts: body.counts,
        checkins: body.checkins.filter(c => !c.annulled).map(c => ({ id: c.id, name: c.name, late: c.late, manual: c.method === 'manual', flagged: c.outside_geofence || c.no_location, concerns: (c.concerns || []).join('；') })),
        absent: body.absent
      }
    },
    startLive() {
      if (this.liveTimer) return
      this.liveTimer = setInterval(() => this.updateLive(), LIVE_SECONDS * 1000)
    },
    async updateLive() {
      try {
        this.setData(await this.attendanceData())
      } catch (err) {
        // the next tick tries again; a lost network must not flood the screen with errors
      }
    },
    stopTimers() {
      clearInterval(this.liveTimer)
      clearTimeout(this.codeTimer)
      this.liveTimer = null
      this.codeTimer = null
    },
    manualCheckIn(e) {
      const { id, name } = e.currentTarget.dataset
      wx.showModal({
        title: `为${name}补签`,
        editable: true,
        placeholderText: '请填写补签原因，如 手机没电',
        success: async res => {
          if (!res.confirm) return
          const reason = (res.content || '').trim()
          if (!reason) {
            api.showError({ message: '请填写补签原因' })
            return
          }
          const done = await act(this, () => api.call('manualCheckIn', { params: { activity_id: this.data.id }, data: { person_id: id, reason } }), '已补签')
          if (done) await this.updateLive()
        }
      })
    },
    async toggleCode() {
      if (this.data.showCode) {
        clearTimeout(this.codeTimer)
        this.codeTimer = null
        this.codeRun = (this.codeRun || 0) + 1
        this.setData({ showCode: false, codeImage: '' })
        this.keepScreenOn(false)
        return
      }
      this.setData({ showCode: true })
      this.keepScreenOn(true)
      await this.nextCode()
    },
    async nextCode() {
      // One chain of refreshes at a time: a restart (onShow) or putting the code away makes
      // an answer still on its way stale.
      clearTimeout(this.codeTimer)
      this.codeTimer = null
      this.codeRun = (this.codeRun || 0) + 1
      const run = this.codeRun
      try {
        const code = await api.call('rotatingCode', { params: { activity_id: this.data.id } })
        const image = await api.download('rotatingCodeImage', { params: { activity_id: this.data.id }, query: { step: code.step } })
        if (run !== this.codeRun || !this.data.showCode || this.hidden) return
        this.setData({ codeImage: image, codeOpen: code.checkin_open })
        const wait = Math.max(1, Number(code.expires_in) || code.rotate_seconds || 15)
        this.codeTimer = setTimeout(() => this.nextCode(), wait * 1000)
      } catch (err) {
        if (run !== this.codeRun) return
        api.showError(err)
        this.setData({ showCode: false })
        this.keepScreenOn(false)
      }
    }
  }
})
