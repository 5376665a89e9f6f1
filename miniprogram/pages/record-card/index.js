// 帮扶记录卡: the activity's record (plan, measures, summary, reflection, attendance, photos,
// attachments) that the responsible people of both sides confirm; both confirmed locks it.
const api = require('../../utils/api')
const { load, act } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const files = require('../../utils/files')
const { roleCodes } = require('../../utils/roles')

const TEXTS = [
  { key: 'plan', label: '活动计划' },
  { key: 'measures', label: '活动措施' },
  { key: 'summary', label: '活动总结' },
  { key: 'reflection', label: '反思' }
]
const SIDES = ['supporting', 'supported']
const STATE_LABELS = { confirmed: '已确认', stale: '内容已修改，需重新确认', pending: '待确认' }
// As server/archive/card.py: the directors and organizers of a side confirm for it.
const CONFIRMERS = ['director', 'organizer']

function promisify(fn, options = {}) {
  return new Promise((resolve, reject) => fn({ ...options, success: resolve, fail: reject }))
}

/** The kindergartens this person may confirm for (admins: every side). */
function confirmerOf(person) {
  const grants = (person && person.roles) || []
  return {
    admin: roleCodes(person).includes('admin'),
    kindergartens: grants.filter(g => CONFIRMERS.includes(g.role) && g.scope_kind === 'kindergarten').map(g => g.scope_id)
  }
}

function view(card, person) {
  const who = confirmerOf(person)
  const sides = SIDES.map(side => {
    const s = card.sides[side]
    const by = s.confirmed_by ? `${s.confirmed_by.name || ''} ${dateTime(s.confirmed_at)}`.trim() : ''
    const mine = who.admin || who.kindergartens.includes(s.kindergarten_id)
    return { side, label: s.label, state: s.state, stateLabel: STATE_LABELS[s.state] || s.state, by, canConfirm: mine && s.state !== 'confirmed' }
  })
  const photos = card.files.filter(f => f.kind === 'photo')
  return {
    card,
    when: `${dateTime(card.starts_at)} — ${dateTime(card.ends_at)}`,
    texts: TEXTS.map(t => ({ ...t, value: (card.record && card.record[t.key]) || '' })),
    sides,
    photoLine: `照片 ${card.photo_count} 张（同意公开 ${photos.filter(p => p.consent).length} 张）`,
    attachments: card.files.filter(f => f.kind === 'attachment'),
    withdrawals: (card.consent_withdrawals || []).map(w => `${w.role}${w.by ? ' ' + w.by : ''} ${dateTime(w.at)} 撤回照片的公开同意${w.reason ? '：' + w.reason : ''}`),
    mayConfirm: sides.some(s => s.canConfirm),
    outsider: !card.locked && !who.admin && !sides.some(s => who.kindergartens.includes(card.sides[s.side].kindergarten_id))
  }
}

Component({
  data: { loading: true, error: '', id: null, person: null, card: null, when: '', texts: [], sides: [], photoLine: '', attachments: [], withdrawals: [], mayConfirm: false, outsider: false },
  methods: {
    onLoad(options) {
      this.setData({ id: Number(options && options.id) })
      return this.refresh()
    },
    refresh() {
      return load(this, async () => {
        const [person, card] = await Promise.all([api.call('me'), api.call('recordCard', { params: { activity_id: this.data.id } })])
        return { person, ...view(card, person) }
      })
    },
    async confirmSide(e) {
      const side = e.currentTarget.dataset.side
      const label = (this.data.sides.find(s => s.side === side) || {}).label || ''
      const res = await promisify(wx.showModal, {
        title: `代表${label}确认`,
        content: '请核对活动记录、签到和照片无误。双方都确认后记录卡锁定，修改需园长撤销确认。',
        confirmText: '确认无误'
      }).catch(() => ({ confirm: false }))
      if (!res.confirm) return
      const card = await act(this, () => api.call('confirmRecordCard', { params: { activity_id: this.data.id }, data: { side } }), '已确认')
      if (card) this.setData(view(card, this.data.person))
    },
    openAttachment(e) {
      const file = this.data.attachments[Number(e.currentTarget.dataset.index)]
      if (!file) return null
      return files.openDocument({ call: 'fileContent', params: { file_id: file.id }, name: file.filename }).catch(err => api.showError(err))
    }
  }
})
