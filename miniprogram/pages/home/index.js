// Home: who I am and the entries my roles open; unbound people go to the binding page.
const api = require('../../utils/api')
const { load, go } = require('../../utils/page')
const { entriesFor, roleLines, hasRole } = require('../../utils/roles')
const queue = require('../../utils/offline-queue')
const subscribe = require('../../utils/subscribe')

Component({
  data: { loading: true, error: '', person: null, roles: [], entries: [], queued: 0 },
  methods: {
    onShow() {
      return load(this, async () => {
        const person = await api.call('me')
        if (!person.bound) {
          wx.reLaunch({ url: '/pages/bind/index' })
          return { person }
        }
        subscribe.prepare().catch(() => null)
        return { person, roles: roleLines(person), entries: entriesFor(person), queued: queue.list().length }
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
