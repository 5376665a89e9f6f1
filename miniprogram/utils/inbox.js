// The inbox (站内消息): the delivery engine's last channel, where every message lands, read or
// not. Its unread count is a badge on the 消息 tab.
const api = require('./api')

/** The 消息 tab's place in app.json's tabBar.list (tests/inbox.test.js checks it). */
const INBOX_TAB_INDEX = 2

/**
 * Show the unread count on the 消息 tab. wx.setTabBarBadge: "index: tabBar 的哪一项，从左边算起；
 * text: 显示的文本，超过 4 个字符则显示成 ..." (微信开放文档), so more than 99 shows as 99+.
 * Called from tab pages only: the badge belongs to the tab bar those pages show.
 */
function showBadge(unread) {
  const n = Number(unread) || 0
  const done = () => null
  if (n > 0) wx.setTabBarBadge({ index: INBOX_TAB_INDEX, text: n > 99 ? '99+' : String(n), fail: done })
  else wx.removeTabBarBadge({ index: INBOX_TAB_INDEX, fail: done })
  return n
}

/** Ask the server (or, offline, the phone) how many messages are unread, and show it. */
async function refreshBadge() {
  try {
    const out = await api.cached('inbox', { query: { unread: 1, limit: 1 } })
    return showBadge(out.data.unread)
  } catch (err) {
    return null
  }
}

module.exports = { INBOX_TAB_INDEX, showBadge, refreshBadge }
