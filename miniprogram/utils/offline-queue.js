// Scans made without network wait here (in storage, so they survive a restart) and are sent
// when the network returns. A rotating code names its time step and is signed, so the server
// can tell when it was shown and marks the check-in as synced offline.
const QUEUE_KEY = 'sjt.offlineCheckins'
const RESULTS_KEY = 'sjt.syncedCheckins'
const KEEP_RESULTS = 20

function list() {
  return wx.getStorageSync(QUEUE_KEY) || []
}

function save(items) {
  wx.setStorageSync(QUEUE_KEY, items)
}

/** Keep a scan for later; a second scan of the same code is kept once. */
function add(scan) {
  const items = list()
  if (!items.some(i => i.scene === scan.scene)) items.push(scan)
  save(items)
  return items.length
}

function remove(nonce) {
  save(list().filter(i => i.nonce !== nonce))
}

/** The server's answers to queued scans, newest first. */
function results() {
  return wx.getStorageSync(RESULTS_KEY) || []
}

function recordResult(scan, result) {
  // The server names the activity to those who may attend it (never for an unknown code).
  const activity = result.activity || null
  const kept = [{
    scene: scan.scene,
    scanned_at: scan.scanned_at,
    status: result.status,
    reason: result.reason || null,
    message: result.message,
    activity_title: activity ? activity.title : null,
    hours: result.hours === undefined ? null : result.hours
  }]
    .concat(results())
    .slice(0, KEEP_RESULTS)
  wx.setStorageSync(RESULTS_KEY, kept)
}

let flushing = null

/**
 * Send every queued scan with `submit(scan)`; a scan leaves the queue once the server answered
 * (success or refusal), and stays when the network fails again or the server answers 429. Concurrent calls share one run.
 */
function flush(submit) {
  if (flushing) return flushing
  flushing = (async () => {
    const answered = []
    for (const scan of list()) {
      let result
      try {
        result = await submit(scan)
      } catch (err) {
        // No network, or the server asks to slow down (429): the scan waits for the next flush.
        if (err && (err.isNetwork || err.status === 429)) break
        result = { status: 'error', reason: err && err.code, message: (err && err.message) || '提交失败' }
      }
      remove(scan.nonce)
      recordResult(scan, result)
      answered.push({ scan, result })
    }
    return { sent: answered.length, left: list().length, answered }
  })()
  flushing.then(() => { flushing = null }, () => { flushing = null })
  return flushing
}

module.exports = { QUEUE_KEY, RESULTS_KEY, list, add, remove, results, flush }
