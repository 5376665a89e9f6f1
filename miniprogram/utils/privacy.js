// The privacy-authorisation flow: WeChat calls onNeedPrivacyAuthorization before a private
// API (getLocation, scanCode …) until the person agrees; the privacy-popup component answers.
let pending = null
const listeners = new Set()

/** Register with wx once, from app.js. */
function install() {
  if (typeof wx.onNeedPrivacyAuthorization !== 'function') return
  wx.onNeedPrivacyAuthorization(resolve => {
    pending = resolve
    listeners.forEach(fn => fn(true))
  })
}

function subscribe(fn) {
  listeners.add(fn)
  if (pending) fn(true)
  return () => listeners.delete(fn)
}

/** The person's answer: 'agree' (with the button's id) or 'disagree'. */
function answer(event, buttonId) {
  const resolve = pending
  pending = null
  listeners.forEach(fn => fn(false))
  if (resolve) resolve(event === 'agree' ? { event, buttonId } : { event })
}

function isPending() {
  return Boolean(pending)
}

module.exports = { install, subscribe, answer, isPending }
