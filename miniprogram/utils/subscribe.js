// Subscribe-message prompts. The template ids are fetched beforehand (prepare, on page load) and
// the prompt opens at once on the tap, because WeChat's documentation of
// wx.requestSubscribeMessage says: "2.8.2 版本开始，用户发生点击行为或者发起支付回调后，才可以调起订阅
// 消息界面" (限制：仅在点击行为时调用). tmplIds is "需要订阅的消息模板的id的集合，一次调用最多可订阅3条
// 消息" (the current page allows 5 on new clients; 3 is what every client takes), and "每个tmplId对应
// 的模板标题需要不相同，否则会被过滤". So each topic below names at most 3 kinds, asked together
// where the person is about to want them; `kind` → template id comes from GET /subscriptions.
const api = require('./api')

const TEMPLATES_KEY = 'sjt.subscriptionTemplates'
const MAX_PER_PROMPT = 3

/**
 * Which message kinds each tap asks for. Every kind the server sends (server/delivery/templates.py
 * KIND_NAMES) is in one topic at least; tests/miniprogram/test_subscribe_topics.py checks it.
 *   notices    home and notices tab (接收消息提醒 / 接收通知提醒), a notice's 确认收到
 *   activities home for staff, the check-in result (接收活动提醒): new, moved or cancelled activities
 *   attending  a notice's 参加 (RSVP yes) and an activity's 活动提醒: it starts, moves or is cancelled
 *   feedback   a notice of an activity the family attended (活动结束后邀请我评价)
 *   summary    the leader's summary pages (订阅工作简报)
 *   alert      the director's 本园概况 (接收进度预警)
 */
const TOPICS = {
  notices: ['notice', 'notice_updated', 'notice_reminder'],
  activities: ['activity_published', 'activity_changed', 'activity_cancelled'],
  attending: ['activity_reminder', 'activity_changed', 'activity_cancelled'],
  feedback: ['feedback_request'],
  summary: ['summary'],
  alert: ['alert']
}

/** Fetch and keep the template ids per kind (call on page load, not on the tap). */
async function prepare() {
  const body = await api.call('subscriptions')
  const byKind = {}
  for (const item of body.items || []) byKind[item.kind] = item.template_id
  wx.setStorageSync(TEMPLATES_KEY, byKind)
  return body.items || []
}

/** The configured template ids of a topic, once each, at most three. */
function templatesFor(topic) {
  const byKind = wx.getStorageSync(TEMPLATES_KEY) || {}
  const ids = (TOPICS[topic] || []).map(k => byKind[k]).filter(Boolean)
  return Array.from(new Set(ids)).slice(0, MAX_PER_PROMPT)
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
        // res[TEMPLATE_ID] is 'accept', 'reject', 'ban' or 'filter' (模板标题同名被过滤).
        const results = {}
        for (const id of tmplIds) if (typeof res[id] === 'string') results[id] = res[id]
        if (!Object.keys(results).length) return resolve(null)
        api.call('reportSubscriptions', { data: { results } }).then(() => resolve(results), () => resolve(results))
      },
      fail: () => resolve(null)
    })
  })
}

module.exports = { TOPICS, TEMPLATES_KEY, MAX_PER_PROMPT, prepare, ask, templatesFor }
