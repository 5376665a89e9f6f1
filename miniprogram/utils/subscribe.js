// Subscribe-message prompts. WeChat shows the prompt only inside a tap handler, so the
// template ids are fetched beforehand (prepare) and the prompt is opened at once on the tap.
const api = require('./api')

const TEMPLATES_KEY = 'sjt.subscriptionTemplates'

/** Which message kinds each tap asks for (the kinds the server lists in its subscriptions answer). */
const TOPICS = {
  notices: ['notice', 'notice_updated', 'notice_reminder'],
  activities: ['activity_published', 'activity_changed', 'activity_cancelled', 'activity_reminder'],
  feedback: ['feedback_request'],
  summary: ['summary']
}

/** Fetch and keep the template ids per kind (call on page load, not on the tap). */
async function prepare() {
  const body = await api.call('subscriptions')
  const byKind = {}
  for (const item of body.items || []) byKind[item.kind] = item.template_id
  wx.setStorageSync(TEMPLATES_KEY, byKind)
  return body.items || []
}

function templatesFor(topic) {
  const byKind = wx.getStorageSync(TEMPLATES_KEY) || {}
  // WeChat accepts at most three templates per prompt.
  return (TOPICS[topic] || []).map(k => byKind[k]).filter(Boolean).slice(0, 3)
}

/**
 * Open the prompt for a topic (call synchronously from a tap) and report what the person
 * chose to the server. Resolves to the results, or null when nothing could be asked.
 */
function ask(topic) {
  const tmplIds = templatesFor(topic)
  if (!tmplIds.length) return Promise.resolve(null)
  return new Promise(resolve => {
    wx.requestSubscribeMessage({
      tmplIds,
      success: res => {
        const results = {}
        for (const id of tmplIds) if (typeof res[id] === 'string') results[id] = res[id]
        if (!Object.keys(results).length) return resolve(null)
        api.call('reportSubscriptions', { data: { results } }).then(() => resolve(results), () => resolve(results))
      },
      fail: () => resolve(null)
    })
  })
}

module.exports = { TOPICS, TEMPLATES_KEY, prepare, ask, templatesFor }
