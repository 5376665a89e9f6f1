#!/usr/bin/env node
// Release settings of the mini-program, from one place: the environment variables
// SONGJIAO_MP_APPID and SONGJIAO_MP_API_BASE (see README "小程序：真机预览与发布").
//
//   node scripts/release.js configure   write them into project.config.json and config.js
//   node scripts/release.js check       refuse a build that cannot work on a real phone
//
// WeChat's rules (小程序开发文档「网络 · 使用说明」, 服务器域名配置): "域名只支持 https (wx.request、
// wx.uploadFile、wx.downloadFile) 和 wss (wx.connectSocket) 协议；域名不能使用 IP 地址（小程序的局域网
// IP 除外）或 localhost；…域名必须经过 ICP 备案". The tourist appid (touristappid) cannot be
// uploaded or previewed on a phone, and urlCheck must stay on so DevTools checks the same domains.
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')

function files(root) {
  return { project: path.join(root, 'project.config.json'), config: path.join(root, 'config.js') }
}

function readApiBase(configText) {
  const m = configText.match(/^\s*apiBase:\s*'([^']*)'/m)
  return m ? m[1] : null
}

function readDevLoginCode(configText) {
  const m = configText.match(/^\s*devLoginCode:\s*'([^']*)'/m)
  return m ? m[1] : ''
}

function isIpHost(host) {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':') || host.startsWith('[')
}

/** What stops this build from working on a real phone, in Chinese; empty when none. */
function problems(root = ROOT) {
  const f = files(root)
  const found = []
  const project = JSON.parse(fs.readFileSync(f.project, 'utf8'))
  const appid = project.appid || ''
  if (!appid || appid === 'touristappid') {
    found.push('project.config.json 的 appid 仍是游客 appid（touristappid）：请设置 SONGJIAO_MP_APPID 为小程序后台「开发管理 → 开发设置」中的 AppID')
  } else if (!/^wx[0-9a-f]{16}$/.test(appid)) {
    found.push(`project.config.json 的 appid「${appid}」不是有效的小程序 AppID（wx 加 16 位十六进制）`)
  }
  if (!project.setting || project.setting.urlCheck !== true) {
    found.push('project.config.json 的 setting.urlCheck 必须为 true：发布版只能访问后台登记的服务器域名')
  }
  const configText = fs.readFileSync(f.config, 'utf8')
  const base = readApiBase(configText)
  let url = null
  try {
    url = new URL(base)
  } catch (err) {
    found.push(`config.js 的 apiBase「${base}」不是有效的网址`)
  }
  if (url) {
    const host = url.hostname.toLowerCase()
    if (url.protocol !== 'https:') found.push(`config.js 的 apiBase 必须使用 https：小程序只能访问 https 域名（现为 ${base}）`)
    if (host === 'localhost' || host.endsWith('.localhost')) found.push('config.js 的 apiBase 不能是 localhost：请填写已备案并登记为 request 合法域名的域名')
    else if (isIpHost(host)) found.push(`config.js 的 apiBase 不能是 IP 地址（${host}）：请填写已备案并登记为 request 合法域名的域名`)
    if (url.pathname !== '/' || url.search || url.hash) found.push('config.js 的 apiBase 只写协议和域名，不带路径或参数')
  }
  if (readDevLoginCode(configText)) found.push('config.js 的 devLoginCode 仅供沙箱演示，发布前必须留空')
  return found
}

/** Write the environment's release settings into project.config.json and config.js. */
function configure(env = process.env, root = ROOT) {
  const f = files(root)
  const appid = (env.SONGJIAO_MP_APPID || '').trim()
  const apiBase = (env.SONGJIAO_MP_API_BASE || '').trim().replace(/\/+$/, '')
  const missing = []
  if (!appid) missing.push('SONGJIAO_MP_APPID（小程序 AppID）')
  if (!apiBase) missing.push('SONGJIAO_MP_API_BASE（https 开头的服务器域名）')
  if (missing.length) return [`缺少环境变量：${missing.join('、')}`]
  const project = JSON.parse(fs.readFileSync(f.project, 'utf8'))
  project.appid = appid
  project.setting = { ...(project.setting || {}), urlCheck: true }
  fs.writeFileSync(f.project, JSON.stringify(project, null, 2) + '\n')
  const configText = fs.readFileSync(f.config, 'utf8')
    .replace(/^(\s*apiBase:\s*)'[^']*'/m, `$1'${apiBase}'`)
    .replace(/^(\s*devLoginCode:\s*)'[^']*'/m, "$1''")
  fs.writeFileSync(f.config, configText)
  return problems(root)
}

function main(argv) {
  const mode = argv[2]
  if (mode !== 'check' && mode !== 'configure') {
    console.error('用法：node scripts/release.js check | configure')
    return 2
  }
  const found = mode === 'configure' ? configure() : problems()
  if (found.length) {
    console.error('小程序还不能发布：')
    for (const p of found) console.error(`  - ${p}`)
    return 1
  }
  console.log(mode === 'configure' ? '已写入发布设置，检查通过。' : '发布设置检查通过。')
  return 0
}

if (require.main === module) process.exitCode = main(process.argv)

module.exports = { problems, configure }
