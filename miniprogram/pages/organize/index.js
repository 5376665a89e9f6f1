// 活动管理 for the activity's organizer (or a director of its kindergarten): who is absent and
// 补签 (with a reason, 迟到 or not, the headcount at a family activity), annul a check-in with a
// reason, check people out, and the photos with their publication consent.
const api = require('../../utils/api')
const { load, act, go } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const files = require('../../utils/files')

const FAMILY_KINDS = ['家长开放日', '亲子活动']
// As the server's check (server/checkin/organizer.py): 2 to 200 characters.
const REASON_MIN = 2
// wx.chooseMedia: count "最多可以选择的文件个数，基础库2.25.0前，最多可支持9个文件".
const PHOTOS_PER_PICK = 9
const THUMBNAILS = 30

function promisify(fn, options = {}) {
  return new Promise((resolve, reject) => fn({ ...options, success: resolve, fail: reject }))
}

function checkinRow(c) {
  const tags = []
  if (c.method === 'manual') tags.push('补签')
  if (c.late) tags.push('迟到')
  if (c.checkout_at) tags.push(`${dateTime(c.checkout_at).split(' ')[1]} 签退`)
  return {
    id: c.id,
    name: c.name,
    time: dateTime(c.scanned_at).split(' ')[1] || '',
    tags: tags.join(' · '),
    concerns: (c.concerns || []).join('；'),
    checkedOut: !!c.checkout_at,
    headcount: c.adults || c.children ? `成人 ${c.adults} 人，幼儿 ${c.children} 人` : '',
    reason: c.annul_reason || ''
  }
}

Component({
  data: {
    loading: true,
    error: '',
    id: null,
    activity: null,
    when: '',
    family: false,
    counts: null,
    present: [],
    annulled: [],
    absent: [],
    manual: null,
    annul: null,
    photos: [],
    uploadConsent: false,
    uploadCaption: '',
    uploading: ''
  },
  methods: {
    onLoad(options) {
      this.setData({ id: Number(options && options.id) })
      return this.refresh()
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      return load(this, async () => {
        const activity = await api.call('activity', { params: { activity_id: this.data.id } })
        if (!activity.can_manage) throw new api.ApiError('forbidden', '只有本活动的组织者或园长可以管理签到和照片')
        const [attendance, photos] = await Promise.all([this.attendance(), this.photos()])
        return {
          activity,
          when: `${dateTime(activity.starts_at)} — ${dateTime(activity.ends_at)}`,
          family: FAMILY_KINDS.includes(activity.kind),
          ...attendance,
          photos
        }
      })
    },
    async attendance() {
      const body = await api.call('attendance', { params: { activity_id: this.data.id } })
      return {
        counts: body.counts,
        present: body.checkins.filter(c => !c.annulled).map(checkinRow),
        annulled: body.checkins.filter(c => c.annulled).map(checkinRow),
        absent: body.absent
      }
    },
    async photos() {
      const body = await api.call('activityFiles', { params: { activity_id: this.data.id } })
      const photos = body.items.filter(f => f.kind === 'photo')
      const out = []
      for (const [i, p] of photos.entries()) {
        // <image src> cannot send the token: each thumbnail is downloaded with it first.
        const src = i < THUMBNAILS ? await api.download('fileContent', { params: { file_id: p.id } }).catch(() => '') : ''
        out.push({ id: p.id, src, caption: p.caption, consent: p.consent })
      }
      return out
    },
    async reloadAttendance() {
      try {
        this.setData(await this.attendance())
      } catch (err) {
        api.showError(err)
      }
    },

    // ---- 补签 ----------------------------------------------------------------------------
    startManual(e) {
      const { id, name } = e.currentTarget.dataset
      this.setData({ annul: null, manual: { personId: Number(id), name, reason: '', late: false, adults: 1, children: 0 } })
    },
    onManualReason(e) {
      this.setData({ 'manual.reason': e.detail.value })
    },
    onManualLate(e) {
      this.setData({ 'manual.late': !!e.detail.value })
    },
    stepManual(e) {
      const { field, delta } = e.currentTarget.dataset
      const min = field === 'adults' ? 1 : 0
      this.setData({ [`manual.${field}`]: Math.max(min, Math.min(10, this.data.manual[field] + Number(delta))) })
    },
    cancelForms() {
      this.setData({ manual: null, annul: null })
    },
    async submitManual() {
      const m = this.data.manual
      const reason = (m.reason || '').trim()
      if (reason.length < REASON_MIN) {
        api.showError({ message: '请填写补签原因（至少 2 个字）' })
        return
      }
      const data = { person_id: m.personId, reason, late: m.late }
      if (this.data.family) Object.assign(data, { adults: m.adults, children: m.children })
      const done = await act(this, () => api.call('manualCheckIn', { params: { activity_id: this.data.id }, data }), m.late ? '已补签（迟到）' : '已补签')
      if (done) {
        this.setData({ manual: null })
        await this.reloadAttendance()
      }
    },

    // ---- 作废 ----------------------------------------------------------------------------
    startAnnul(e) {
      const { id, name } = e.currentTarget.dataset
      this.setData({ manual: null, annul: { checkinId: Number(id), name, reason: '' } })
    },
    onAnnulReason(e) {
      this.setData({ 'annul.reason': e.detail.value })
    },
    async submitAnnul() {
      const a = this.data.annul
      const reason = (a.reason || '').trim()
      if (reason.length < REASON_MIN) {
        api.showError({ message: '请填写作废原因（至少 2 个字）' })
        return
      }
      const done = await act(this, () => api.call('annulCheckin', { params: { checkin_id: a.checkinId }, data: { reason } }), '已作废')
      if (done) {
        this.setData({ annul: null })
        await this.reloadAttendance()
      }
    },

    // ---- 签退 ----------------------------------------------------------------------------
    checkOut(e) {
      const { id, name } = e.currentTarget.dataset
      wx.showModal({
        title: `为${name}签退`,
        content: '按现在的时间记录签退，参与课时按在场时间计算，签退后不能撤销。',
        confirmText: '签退',
        success: async res => {
          if (!res.confirm) return
          const done = await act(this, () => api.call('checkOut', { params: { checkin_id: Number(id) } }))
          if (!done) return
          wx.showToast({ title: '已签退', icon: 'success' })
          await this.reloadAttendance()
        }
      })
    },

    // ---- 照片 ----------------------------------------------------------------------------
    onUploadConsent(e) {
      this.setData({ uploadConsent: !!e.detail.value })
    },
    onUploadCaption(e) {
      this.setData({ uploadCaption: e.detail.value })
    },
    async pickPhotos() {
      let picked
      try {
        // wx.chooseMedia: "拍摄或从手机相册中选择图片或视频"; mediaType image only, compressed:
        // a village's mobile signal carries a compressed photo, and the server re-encodes anyway.
        picked = await promisify(wx.chooseMedia, { count: PHOTOS_PER_PICK, mediaType: ['image'], sourceType: ['album', 'camera'], sizeType: ['compressed'] })
      } catch (err) {
        return 0 // she closed the picker
      }
      const chosen = (picked.tempFiles || []).map(f => f.tempFilePath).filter(Boolean)
      let sent = 0
      const refused = []
      for (const [i, filePath] of chosen.entries()) {
        this.setData({ uploading: `正在上传第 ${i + 1}/${chosen.length} 张` })
        try {
          await files.upload('uploadActivityFile', {
            params: { activity_id: this.data.id },
            filePath,
            // Form fields are strings; the server reads consent as true/false.
            formData: { kind: 'photo', consent: this.data.uploadConsent ? 'true' : 'false', caption: this.data.uploadCaption.trim() }
          })
          sent += 1
        } catch (err) {
          refused.push(err.message)
          if (err.isNetwork) break
        }
      }
      this.setData({ uploading: '' })
      if (refused.length) wx.showModal({ title: `已上传 ${sent} 张，${refused.length} 张未成功`, content: refused[0], showCancel: false })
      else if (sent) wx.showToast({ title: `已上传 ${sent} 张`, icon: 'success' })
      if (sent) this.setData({ photos: await this.photos().catch(() => this.data.photos), uploadCaption: '' })
      return sent
    },
    previewPhoto(e) {
      files.preview(this.data.photos.map(p => p.src), e.currentTarget.dataset.src)
    },
    async toggleConsent(e) {
      const id = Number(e.currentTarget.dataset.id)
      const photo = this.data.photos.find(p => p.id === id)
      if (!photo) return
      if (!photo.consent) {
        // Consent is the people's (a child's by her parents), not the organizer's to give.
        const res = await promisify(wx.showModal, { title: '标记同意公开', content: '请确认已取得照片中人员（幼儿由其家长）同意公开发布。', confirmText: '已取得' }).catch(() => ({ confirm: false }))
        if (!res.confirm) return
      }
      const done = await act(this, () => api.call('updateFile', { params: { file_id: id }, data: { consent: !photo.consent } }), photo.consent ? '已撤回同意' : '已标记同意')
      if (done) this.setData({ photos: this.data.photos.map(p => (p.id === id ? { ...p, consent: !!done.consent } : p)) })
    },
    openRecordCard() {
      go(`/pages/record-card/index?id=${this.data.id}`)
    }
  }
})
