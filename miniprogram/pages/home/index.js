// Home: who I am and the entries my roles open; unbound people go to the binding page.
// Staff also see their next activity, this semester's 课时 against the target and the scans
// waiting to sync. Offline, everything shown comes from the phone under a 离线 banner, and
// 扫码签到 and the waiting scans stay one tap away.
const api = require('../../utils/api')
const { go } = require('../../utils/page')
const { entriesFor, roleLines, hasRole } = require('../../utils/roles')
const { dateTime, hours } = require('../../utils/format')
const { loadKept } = require('../../utils/offline')
const inbox = require('../../utils/inbox')
const queue = require('../../utils/offline-queue')
const subscribe = require('../../utils/subscribe')

/** Without anyone known on the phone, scanning is still offered (the scan waits in the queue). */
const SCAN_ENTRY = { key: 'checkin', label: '扫码签到', url: '/pages/checkin/index' }

function overviewView(o) {
  const next = o.next_activity
  return {
    semester: o.semester,
    myHours: hours(o.hours.total_hours),
    split: `主讲 ${hours(o.hours.presenter_hours)} · 参加 ${hours(o.hours.attendee_hours)}`,
    targets: (o.targets || []).map(t => ({
      key: `${t.kindergarten_id}-${t.key}`,
      label: `${t.kindergarten_name} ${t.label}`,
      progress: `${t.done} / ${t.target} ${t.unit || ''}`.trim(),
      status: t.status_label || ''
    })),
    next: next
      ? { id: next.id, title: next.title, when: `${dateTime(next.starts_at)} · ${next.address || ''}`.replace(/ · $/, ''), state: next.checked_in ? '已签到' : '' }
      : null
  }
}

Component({
  data: { loading: true, error: '', offline: false, offlineText: '', person: null, roles: [], entries: [SCAN_ENTRY], queued: 0, overview: null },
  methods: {
    onShow() {
      return this.refresh()
    },
    // enablePullDownRefresh in index.json; "处理完数据刷新后，wx.stopPullDownRefresh 可以停止当前
    // 页面的下拉刷新" (微信开放文档, onPullDownRefresh).
    onPullDownRefresh() {
      return this.refresh().then(() => wx.stopPullDownRefresh())
    },
    refresh() {
      this.setData({ queued: queue.list().length })
      return loadKept(this, async ({ read, markOffline, isOffline }) => {
        let person
        try {
          person = await read('me')
        } catch (err) {
          // Offline with no kept answer: the person the last login named is on the phone.
          const session = api.getSession()
          if (!err.isNetwork || !(session && session.person)) throw err
          markOffline()
          person = session.person
        }
        if (!person.bound) {
          if (!isOffline()) wx.reLaunch({ url: '/pages/bind/index' })
          return { person, entries: [SCAN_ENTRY] }
        }
        subscribe.prepare().catch(() => null)
        inbox.refreshBadge()
        let overview = null
        if (hasRole(person, 'teacher', 'organizer', 'director')) {
          overview = await read('overview').then(overviewView, () => null)
        }
        return { person, roles: roleLines(person), entries: entriesFor(person), queued: queue.list().length, overview }
      })
    },
    open(e) {
      go(e.currentTarget.dataset.url)
    },
    askNews() {
      subscribe.ask(hasRole(this.data.person, 'parent') ? 'notices' : 'activities')
    }
  }
})
