// Files on the phone: activity photos go up (wx.uploadFile), documents come down and open
// (wx.downloadFile + wx.openDocument), pictures open full screen (wx.previewImage).
// Server calls still come only from the endpoint table (utils/endpoints.js); this module is the
// one place besides utils/api.js that moves files, because a notice's attachments are links to
// other sites and an upload is multipart, which wx.request cannot send.
const api = require('./api')
const config = require('../config')
const { CALLS, pathOf } = require('./endpoints')

// wx.openDocument: "新开页面打开文档" — fileType 合法值 doc, docx, xls, xlsx, ppt, pptx, pdf.
// Anything else cannot be opened on the phone.
const DOCUMENT_TYPES = ['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'pdf']
const IMAGE_TYPES = ['jpg', 'jpeg', 'png', 'gif', 'webp']
const UPLOAD_FAILED = '上传失败，请稍后重试'
const DOWNLOAD_FAILED = '文件下载失败，请稍后重试'

/** The lower-case extension of a file name or URL path ('' when none). */
function extensionOf(name) {
  const path = String(name || '').split(/[?#]/)[0]
  const dot = path.lastIndexOf('.')
  return dot > path.lastIndexOf('/') && dot >= 0 ? path.slice(dot + 1).toLowerCase() : ''
}

function parseBody(data) {
  if (data && typeof data === 'object') return data
  try {
    return JSON.parse(data || '{}')
  } catch (err) {
    return {}
  }
}

/**
 * Upload one local file to an endpoint of the table marked `upload` and answer its JSON.
 * wx.uploadFile: "客户端发起一个 HTTPS POST 请求，其中 content-type 为 multipart/form-data";
 * `name` is "文件对应的 key" (the server reads the part `file`), formData the other fields, and
 * the answer's data is a string (parsed here). A 401 refreshes the session once, as api.call does.
 */
async function upload(callName, { params, filePath, formData }) {
  const spec = CALLS[callName]
  if (!spec || !spec.upload) throw new Error(`${callName} is not an upload`)
  const url = config.apiBase + pathOf(callName, params)
  const once = token =>
    new Promise((resolve, reject) => {
      wx.uploadFile({
        url,
        filePath,
        name: 'file',
        formData: formData || {},
        header: { authorization: `Bearer ${token}` },
        timeout: config.timeout,
        success: res => resolve(res),
        fail: () => reject(new api.ApiError('network', api.NETWORK_MESSAGE))
      })
    })
  let session = await api.ensureSession()
  let res = await once(session.access_token)
  if (res.statusCode === 401) {
    session = await api.refresh()
    res = await once(session.access_token)
  }
  const body = parseBody(res.data)
  if (res.statusCode >= 200 && res.statusCode < 300) return body
  throw new api.ApiError(body.error || 'upload', body.message || UPLOAD_FAILED, res.statusCode, body)
}

/**
 * Download a file to a temp path. wx.downloadFile: "只要服务器有响应数据，就会把响应内容写入文件
 * 并进入 success 回调，业务需要自行判断是否下载到了想要的内容" — so the status code is checked.
 * `header` carries the token for the server's own files; a notice's attachment links need none.
 */
function downloadTo(url, header) {
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url,
      header: header || {},
      success: res => (res.statusCode === 200 ? resolve(res.tempFilePath) : reject(new api.ApiError('download', DOWNLOAD_FAILED, res.statusCode))),
      fail: () => reject(new api.ApiError('network', api.NETWORK_MESSAGE))
    })
  })
}

function promisify(fn, options) {
  return new Promise((resolve, reject) => fn({ ...options, success: resolve, fail: reject }))
}

/**
 * Open a document for reading: a link (a notice's attachment) or a file of the server
 * (`call` + `params`, downloaded with the token). Pictures open in the image preview; other
 * types wx.openDocument cannot show have their link copied for a computer. Resolves to what
 * happened: 'document', 'image' or 'copied'.
 */
async function openDocument({ url, name, call, params }) {
  const type = extensionOf(name) || extensionOf(url)
  if (!DOCUMENT_TYPES.includes(type) && !IMAGE_TYPES.includes(type)) {
    if (call) throw new api.ApiError('unsupported', `“${name}”的格式无法在手机上打开，请在电脑上的管理后台查看`)
    await promisify(wx.setClipboardData, { data: url })
    wx.showModal({ title: '无法在手机上打开', content: `“${name}”的格式无法在手机上打开，链接已复制，可在电脑浏览器中下载。`, showCancel: false })
    return 'copied'
  }
  wx.showLoading({ title: '正在打开', mask: true })
  try {
    let filePath
    if (call) {
      const session = await api.ensureSession()
      filePath = await downloadTo(config.apiBase + pathOf(call, params), { authorization: `Bearer ${session.access_token}` })
    } else {
      filePath = await downloadTo(url)
    }
    if (IMAGE_TYPES.includes(type)) {
      preview([filePath], filePath)
      return 'image'
    }
    // "微信客户端 7.0.12 版本前默认显示右上角菜单按钮，之后的版本默认不显示，需主动传入 showMenu"
    // — the menu is where she forwards or saves the file.
    await promisify(wx.openDocument, { filePath, fileType: type, showMenu: true })
    return 'document'
  } finally {
    wx.hideLoading()
  }
}

/**
 * wx.previewImage: "在新页面中全屏预览图片。预览的过程中用户可以进行保存图片、发送给朋友等操作";
 * current defaults to the first of urls.
 */
function preview(urls, current) {
  const list = (urls || []).filter(Boolean)
  if (!list.length) return
  wx.previewImage({ urls: list, current: current || list[0] })
}

module.exports = { DOCUMENT_TYPES, extensionOf, upload, openDocument, preview }
