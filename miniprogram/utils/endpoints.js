// Every server call the mini-program makes, in one table. The contract test
// (tests/miniprogram/test_contract.py) checks each entry against the server's OpenAPI document:
// the method and path exist, the body fields are in the request schema, and the fields read
// are in the response schema where the server declares one.
const CALLS = {
  login: { method: 'POST', path: '/api/v1/auth/login', auth: false, sends: ['code'], reads: ['access_token', 'refresh_token', 'person'] },
  refresh: { method: 'POST', path: '/api/v1/auth/refresh', auth: false, sends: ['refresh_token'], reads: ['access_token', 'refresh_token', 'person'] },
  logout: { method: 'POST', path: '/api/v1/auth/logout' },
  me: { method: 'GET', path: '/api/v1/me', reads: ['id', 'name', 'bound', 'roles'] },
  overview: { method: 'GET', path: '/api/v1/me/overview', reads: ['semester', 'hours', 'targets', 'next_activity'] },
  redeem: { method: 'POST', path: '/api/v1/invitations/redeem', sends: ['code', 'name', 'relation'], reads: ['access_token', 'refresh_token', 'person'] },
  confirmWebLogin: { method: 'POST', path: '/api/v1/web-login/{token}/confirm', reads: ['confirmed'] },
  followQrcode: { method: 'GET', path: '/api/v1/me/follow-qrcode', reads: ['linked', 'expires_at'] },
  followQrcodeImage: { method: 'GET', path: '/api/v1/me/follow-qrcode.png', download: true },

  checkIn: { method: 'POST', path: '/api/v1/checkins', sends: ['scene', 'nonce', 'location', 'scanned_at', 'adults', 'children'], reads: ['status', 'reason', 'message', 'checkin', 'activity', 'hours'] },
  myCheckins: { method: 'GET', path: '/api/v1/me/checkins', reads: ['id', 'activity_id', 'title', 'kind', 'scanned_at', 'late', 'offline', 'annulled', 'checkout_at', 'hours'] },
  checkOut: { method: 'POST', path: '/api/v1/checkins/{checkin_id}/checkout', reads: ['checkout_at', 'minutes_on_site', 'hours', 'message'] },
  myHours: { method: 'GET', path: '/api/v1/me/hours', query: ['semester'], reads: ['semester', 'presenter_hours', 'attendee_hours', 'total_hours', 'entries'] },
  issueCertificate: { method: 'POST', path: '/api/v1/me/certificates', sends: ['period'], reads: ['id', 'number', 'period', 'period_label', 'total_hours'] },
  certificatePdf: { method: 'GET', path: '/api/v1/certificates/{certificate_id}/certificate.pdf', download: true },

  activities: { method: 'GET', path: '/api/v1/activities', query: ['limit', 'offset', 'status'], reads: ['items', 'total'] },
  activity: { method: 'GET', path: '/api/v1/activities/{activity_id}', reads: ['id', 'title', 'kind', 'status', 'status_label', 'host_name', 'address', 'starts_at', 'ends_at', 'can_manage', 'rotate_seconds'] },
  attendance: { method: 'GET', path: '/api/v1/activities/{activity_id}/attendance', reads: ['counts', 'checkins', 'absent'] },
  manualCheckIn: { method: 'POST', path: '/api/v1/activities/{activity_id}/checkins', sends: ['person_id', 'reason', 'late', 'adults', 'children'], reads: ['id', 'late'] },
  annulCheckin: { method: 'POST', path: '/api/v1/checkins/{checkin_id}/annul', sends: ['reason'], reads: ['id', 'annulled'] },
  rotatingCode: { method: 'GET', path: '/api/v1/activities/{activity_id}/rotating-code', reads: ['scene', 'step', 'expires_in', 'rotate_seconds', 'image_url', 'checkin_open'] },
  rotatingCodeImage: { method: 'GET', path: '/api/v1/activities/{activity_id}/rotating-code.png', download: true, query: ['step'] },

  myNotices: { method: 'GET', path: '/api/v1/me/notices', query: ['limit', 'offset'], reads: ['items', 'total', 'unread'] },
  notice: { method: 'GET', path: '/api/v1/notices/{notice_id}', reads: ['id', 'title', 'body', 'images', 'attachments', 'kindergarten_name', 'ack_mode', 'ack_mode_label', 'deadline', 'status', 'cancel_reason', 'rsvp_closed', 'max_adults', 'max_children', 'activity', 'me', 'totals'] },
  readNotice: { method: 'POST', path: '/api/v1/notices/{notice_id}/read', reads: ['read_at'] },
  confirmNotice: { method: 'POST', path: '/api/v1/notices/{notice_id}/confirm' },
  rsvp: { method: 'POST', path: '/api/v1/notices/{notice_id}/rsvp', sends: ['answer', 'adults', 'children'], reads: ['rsvp', 'message', 'totals'] },
  cancelRsvp: { method: 'DELETE', path: '/api/v1/notices/{notice_id}/rsvp', reads: ['rsvp', 'message'] },
  feedback: { method: 'POST', path: '/api/v1/notices/{notice_id}/feedback', sends: ['stars', 'comment'] },

  inbox: { method: 'GET', path: '/api/v1/inbox', query: ['unread', 'limit', 'offset'], reads: ['items', 'total', 'unread'] },
  readMessage: { method: 'POST', path: '/api/v1/inbox/{delivery_id}/read', reads: ['id', 'read', 'read_at'] },

  subscriptions: { method: 'GET', path: '/api/v1/subscriptions', reads: ['items'] },
  reportSubscriptions: { method: 'POST', path: '/api/v1/subscriptions', sends: ['results'], reads: ['items'] },

  latestSummary: { method: 'GET', path: '/api/v1/reports/summaries/latest', query: ['scope'], reads: ['id', 'kind_label', 'period_label', 'scope', 'happened', 'targets', 'alerts'] },
  summary: { method: 'GET', path: '/api/v1/reports/summaries/{summary_id}', reads: ['id', 'kind_label', 'period_label', 'scope', 'happened', 'targets', 'alerts'] },
  summaryChart: { method: 'GET', path: '/api/v1/reports/summaries/{summary_id}/chart.png', download: true },
  kindergartenReports: { method: 'GET', path: '/api/v1/reports/kindergartens', query: ['semester'], reads: ['period', 'items'] },
  alerts: { method: 'GET', path: '/api/v1/reports/alerts', reads: ['items'] },
  rankings: { method: 'GET', path: '/api/v1/reports/rankings', query: ['by', 'semester'], reads: ['period', 'by', 'items'] },
  summaries: { method: 'GET', path: '/api/v1/reports/summaries', query: ['kind', 'limit'], reads: ['items'] },
  pairingReport: { method: 'GET', path: '/api/v1/reports/pairings/{pairing_id}', query: ['semester'], reads: ['pairing_id', 'name', 'supporting', 'supported', 'period', 'targets', 'figures', 'behind', 'manual'] },

  activityFiles: { method: 'GET', path: '/api/v1/activities/{activity_id}/files', reads: ['items'] },
  // multipart/form-data through wx.uploadFile (utils/files.js): the file part is named `file`.
  uploadActivityFile: { method: 'POST', path: '/api/v1/activities/{activity_id}/files', upload: true, sends: ['file', 'kind', 'caption', 'consent'], reads: ['id', 'kind', 'filename', 'consent'] },
  fileContent: { method: 'GET', path: '/api/v1/files/{file_id}/content', download: true },
  updateFile: { method: 'PATCH', path: '/api/v1/files/{file_id}', sends: ['caption', 'consent'], reads: ['id', 'consent'] },
  recordCard: { method: 'GET', path: '/api/v1/activities/{activity_id}/record-card', reads: ['activity_id', 'title', 'starts_at', 'record', 'files', 'photo_count', 'attachment_count', 'attendance', 'sides', 'locked', 'state_label', 'consent_withdrawals'] },
  confirmRecordCard: { method: 'POST', path: '/api/v1/activities/{activity_id}/record-card/confirm', sends: ['side'], reads: ['sides', 'locked', 'state_label'] },

  posts: { method: 'GET', path: '/api/v1/posts', query: ['status'], reads: ['items'] },
  post: { method: 'GET', path: '/api/v1/posts/{post_id}', reads: ['id', 'title', 'digest', 'status', 'status_label', 'html', 'author_name', 'comment', 'fail_message', 'photos', 'steps', 'can'] },
  approvePost: { method: 'POST', path: '/api/v1/posts/{post_id}/approve', sends: ['comment'], reads: ['status', 'status_label', 'can'] },
  signPost: { method: 'POST', path: '/api/v1/posts/{post_id}/sign', sends: ['comment'], reads: ['status', 'status_label', 'can'] },
  sendBackPost: { method: 'POST', path: '/api/v1/posts/{post_id}/send-back', sends: ['comment'], reads: ['status', 'status_label', 'can'] }
}

/** The path of a call with its {placeholders} filled from params. */
function pathOf(name, params) {
  const call = CALLS[name]
  if (!call) throw new Error(`unknown call ${name}`)
  return call.path.replace(/\{(\w+)\}/g, (_, key) => {
    if (!params || params[key] === undefined) throw new Error(`${name}: missing ${key}`)
    return encodeURIComponent(params[key])
  })
}

module.exports = { CALLS, pathOf }
