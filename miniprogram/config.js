// The one place that says where the server is. Change apiBase before uploading a build.
module.exports = {
  // WeChat DevTools against `bash scripts/run.sh` on this machine; production: the HTTPS domain
  // registered under 开发管理 → 服务器域名 (request and downloadFile).
  apiBase: 'http://127.0.0.1:8000',
  // Sandbox only: log in as this demo person (e.g. 'demo-teacher', see docs/demo-logins.md)
  // instead of the code wx.login returns. The real WeChat refuses such codes; leave it empty.
  devLoginCode: '',
  // How many times a check-in is re-sent (same nonce) when the network fails mid-request.
  checkinRetries: 2,
  // Milliseconds between those retries.
  retryDelayMs: 800,
  // Requests give up after this many milliseconds.
  timeout: 10000
}
