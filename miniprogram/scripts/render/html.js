// A page rendered by miniprogram-simulate, written out as an HTML file a browser can show at a
// phone's width: the WXML tree (j-component's toJSON) as elements, WeChat's built-in components
// drawn with plain HTML, and the styles WeChat would apply to each node.
//
// Styles follow WeChat's isolation rules ("组件模板和样式", 微信开放文档):
// - "app.wxss 中的样式、组件所在页面的的样式对自定义组件无效（除非更改组件样式隔离选项）";
//   `addGlobalClass: true` "等价于设置 styleIsolation: apply-shared", which lets the page's and
//   app.wxss's classes in; "如果这个 Component 构造器用于构造页面，则默认值为 shared".
// - WeUI from `useExtendedLib` is the app's own stylesheet: its quick start says the extended
//   library needs no `@import 'weui-miniprogram/weui-wxss/dist/style/weui.wxss'` in app.wxss,
//   so it reaches exactly what app.wxss reaches.
// - Tag selectors are not isolated; class selectors are. So each node's classes carry the prefix
//   of the page or component that wrote it (as miniprogram-simulate does), and each stylesheet
//   is prefixed for the scopes it reaches.
const fs = require('fs')
const path = require('path')
const SIMULATE = path.dirname(require.resolve('miniprogram-simulate/package.json'))
// The postcss miniprogram-simulate compiles wxss with (7.x, whose plugin API this file uses).
const postcss = require(require.resolve('postcss', { paths: [SIMULATE] }))
const wxss = require('miniprogram-simulate/src/wxss')

const ROOT = path.resolve(__dirname, '..', '..')
const WEUI = path.join(ROOT, 'node_modules', 'weui-miniprogram', 'miniprogram_dist', 'weui-wxss', 'dist', 'style', 'weui.wxss')
/** The phone width the page is drawn for; 750rpx is always the screen's width. */
const WIDTH = 375

const TAGS = ['page', 'view', 'text', 'button', 'image', 'icon', 'input', 'textarea', 'navigator', 'progress', 'switch', 'checkbox', 'radio', 'label', 'picker', 'form', 'scroll-view', 'swiper', 'swiper-item', 'rich-text', 'block', 'checkbox-group', 'radio-group']
const TAG_RE = new RegExp(`(^|[\\s>+~,(])(${TAGS.join('|')})(?=$|[\\s>+~,.:#\\[)])`, 'g')

/** rpx to px at the phone's width. */
function px(css) {
  return css.replace(/(-?\d*\.?\d+)rpx/g, (_, n) => `${+(Number(n) * WIDTH / 750).toFixed(3)}px`)
}

/** WXML tag selectors name the elements this file writes (`view` is `wx-view`). */
const wxTags = postcss.plugin('wx-tags', () => root => {
  root.walkRules(rule => {
    if (rule.parent && rule.parent.type === 'atrule' && /keyframes/.test(rule.parent.name)) return
    rule.selectors = rule.selectors.map(s => s.replace(TAG_RE, (all, before, tag) => `${before}wx-${tag}`))
  })
})

function readCss(file) {
  return fs.existsSync(file) ? wxss.getContent(file) : ''
}

/** A stylesheet for the nodes of one scope: its classes prefixed, rpx in px, tags renamed. */
function scoped(css, prefix) {
  if (!css.trim()) return ''
  return px(postcss([wxTags]).process(wxss.compile(css, { prefix }), { from: undefined }).css)
}

/** Whether page and app classes reach into a component, from its options or its json. */
function sharesGlobalClasses(def) {
  const options = (def && def.options) || {}
  const json = (def && def.json) || {}
  const isolation = json.styleIsolation || options.styleIsolation
  if (isolation) return isolation === 'apply-shared' || isolation === 'shared'
  return options.addGlobalClass === true
}

/**
 * All the CSS of one rendered page. `components` maps a component's tag to { path, options, json }
 * as it was registered; `pagePath` is the page's path without extension.
 */
function stylesFor(pagePath, components) {
  const app = readCss(path.join(ROOT, 'app.wxss'))
  const weui = fs.readFileSync(WEUI, 'utf8')
  const page = readCss(`${pagePath}.wxss`)
  const parts = [scoped(weui, 'main'), scoped(app, 'main'), scoped(page, 'main')]
  for (const [tag, def] of Object.entries(components)) {
    if (sharesGlobalClasses(def)) parts.push(scoped(weui, tag), scoped(app, tag), scoped(page, tag))
    parts.push(scoped(readCss(`${def.path}.wxss`), tag))
  }
  return parts.join('\n')
}

function escapeText(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function escapeAttr(s) {
  return escapeText(s).replace(/"/g, '&quot;')
}

function imageSource(src) {
  if (!src) return ''
  const file = String(src)
  if (/^(https?:|data:)/.test(file)) return file
  // The app's own images by their path in the package (/images/…), else a downloaded temp file.
  const packaged = path.join(ROOT, file)
  const local = file.startsWith('/') && fs.existsSync(packaged) ? packaged : file.replace(/^wxfile:\/\//, '/')
  if (!fs.existsSync(local)) return ''
  const bytes = fs.readFileSync(local)
  const type = bytes.slice(1, 4).toString() === 'PNG' ? 'image/png' : 'image/jpeg'
  return `data:${type};base64,${bytes.toString('base64')}`
}

const ICON_COLOURS = { success: '#07c160', success_no_circle: '#07c160', info: '#10aeff', warn: '#fa5151', waiting: '#10aeff', cancel: '#fa5151', download: '#07c160', search: '#b2b2b2', clear: '#b2b2b2' }
const ICON_MARKS = { success: '✓', success_no_circle: '✓', info: 'i', warn: '!', waiting: '…', cancel: '×', download: '↓', search: '⌕', clear: '×' }

/** What a built-in component draws inside itself, from its attributes. */
function builtinInside(tag, attrs, inner) {
  switch (tag) {
    case 'wx-image': {
      const src = imageSource(attrs.src)
      return src ? `<img src="${escapeAttr(src)}" alt="">` : ''
    }
    case 'wx-icon': {
      const size = Number(attrs.size) || 23
      const colour = attrs.color || ICON_COLOURS[attrs.type] || '#07c160'
      return `<span class="wx-icon-mark" style="width:${size}px;height:${size}px;line-height:${size}px;font-size:${Math.round(size * 0.6)}px;background:${escapeAttr(colour)}">${ICON_MARKS[attrs.type] || ''}</span>`
    }
    case 'wx-progress': {
      const percent = Math.max(0, Math.min(100, Number(attrs.percent) || 0))
      const stroke = Number(attrs['stroke-width'] || attrs.strokeWidth) || 6
      const colour = attrs.activeColor || attrs['active-color'] || '#09bb07'
      const info = attrs['show-info'] || attrs.showInfo ? `<span class="wx-progress-info">${percent}%</span>` : ''
      return `<span class="wx-progress-bar" style="height:${stroke}px"><span style="width:${percent}%;background:${escapeAttr(colour)}"></span></span>${info}`
    }
    case 'wx-input': {
      const type = attrs.password ? 'password' : 'text'
      return `<input type="${type}" value="${escapeAttr(attrs.value === undefined ? '' : attrs.value)}" placeholder="${escapeAttr(attrs.placeholder || '')}">`
    }
    case 'wx-textarea':
      return `<textarea placeholder="${escapeAttr(attrs.placeholder || '')}">${escapeText(attrs.value || '')}</textarea>`
    case 'wx-switch':
      return `<span class="wx-switch-track${attrs.checked ? ' on' : ''}"></span>`
    case 'wx-checkbox':
    case 'wx-radio':
      return `<span class="wx-check${attrs.checked ? ' on' : ''}"></span>${inner}`
    case 'wx-rich-text':
      return typeof attrs.nodes === 'string' ? attrs.nodes : inner
    default:
      return inner
  }
}

const PLAIN = value => ['string', 'number', 'boolean'].includes(typeof value)

/** One node of j-component's toJSON tree as HTML, its classes in the scope that wrote it. */
function nodeHtml(node, scope, componentTags) {
  if (typeof node === 'string') return escapeText(node)
  if (!node || typeof node !== 'object') return ''
  const attrs = {}
  for (const { name, value } of node.attrs || []) attrs[name] = value
  const isRoot = node.tagName === 'main'
  const tag = isRoot ? 'wx-page' : node.tagName
  const inScope = componentTags.has(node.tagName) ? node.tagName : scope
  const inner = (node.children || []).map(child => nodeHtml(child, inScope, componentTags)).join('')
  const out = []
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'class') {
      const names = String(value || '').split(/\s+/).filter(Boolean)
      if (names.length) out.push(`class="${escapeAttr(names.map(n => `${scope}--${n}`).join(' '))}"`)
    } else if (name === 'style') {
      if (value) out.push(`style="${escapeAttr(px(String(value)))}"`)
    } else if (name === 'hidden') {
      if (value) out.push('hidden')
    } else if (!/^(data-|bind|catch|wx:)/.test(name) && PLAIN(value) && value !== false && name !== 'nodes') {
      out.push(value === true ? name : `${name}="${escapeAttr(value)}"`)
    }
  }
  const body = tag.startsWith('wx-') ? builtinInside(tag, attrs, inner) : inner
  return `<${tag}${out.length ? ` ${out.join(' ')}` : ''}>${body}</${tag}>`
}

/** WeChat's built-in components as the base library draws them (style v2), in plain CSS. */
const BASE_CSS = `
html, body { margin: 0; padding: 0; }
body { font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", sans-serif; font-size: 16px; -webkit-text-size-adjust: 100%; }
[hidden] { display: none !important; }
wx-page { display: block; min-height: calc(100vh - 44px); }
wx-view, wx-scroll-view, wx-swiper, wx-swiper-item, wx-form, wx-navigator, wx-picker, wx-rich-text, wx-checkbox-group, wx-radio-group, wx-textarea { display: block; }
wx-text, wx-label { display: inline; }
wx-scroll-view { overflow: auto; }
wx-scroll-view[scroll-x] { overflow-x: auto; white-space: nowrap; }
wx-image { display: inline-block; width: 320px; height: 240px; overflow: hidden; }
wx-image > img { display: block; width: 100%; height: 100%; object-fit: fill; }
wx-image[mode=widthFix] { height: auto; }
wx-image[mode=widthFix] > img { height: auto; }
wx-image[mode=aspectFit] > img { object-fit: contain; }
wx-image[mode=aspectFill] > img { object-fit: cover; }
wx-icon { display: inline-block; font-size: 0; vertical-align: middle; }
.wx-icon-mark { display: inline-block; border-radius: 50%; color: #fff; text-align: center; font-weight: bold; font-family: sans-serif; }
wx-progress { display: flex; align-items: center; }
.wx-progress-bar { flex: 1; display: block; background: #ebebeb; }
.wx-progress-bar > span { display: block; height: 100%; }
.wx-progress-info { margin-left: 15px; font-size: 16px; }
wx-button { position: relative; display: block; width: 184px; margin-left: auto; margin-right: auto; padding: 8px 24px; box-sizing: border-box; font-size: 17px; font-weight: 700; text-align: center; line-height: 1.41176471; border-radius: 8px; overflow: hidden; color: #06ae56; background-color: #f2f2f2; }
wx-button[type=primary] { color: #fff; background-color: #07c160; }
wx-button[type=warn] { color: #fa5151; background-color: #f2f2f2; }
wx-button[size=mini] { display: inline-block; width: auto; padding: 0 0.75em; line-height: 2; font-size: 16px; }
wx-button[disabled] { opacity: 0.5; }
wx-input { display: block; height: 1.4rem; min-height: 1.4rem; overflow: hidden; }
wx-input > input, wx-textarea > textarea { display: block; width: 100%; height: 100%; border: 0; padding: 0; margin: 0; background: transparent; font: inherit; color: inherit; outline: none; }
wx-textarea { width: 300px; height: 150px; }
wx-switch { display: inline-block; vertical-align: middle; }
.wx-switch-track { display: inline-block; width: 52px; height: 32px; border-radius: 16px; background: #dfdfdf; position: relative; }
.wx-switch-track::after { content: ""; position: absolute; top: 2px; left: 2px; width: 28px; height: 28px; border-radius: 50%; background: #fff; }
.wx-switch-track.on { background: #04be02; }
.wx-switch-track.on::after { left: 22px; }
wx-checkbox, wx-radio { display: inline-block; }
.wx-check { display: inline-block; width: 22px; height: 22px; border: 1px solid #d1d1d1; border-radius: 3px; vertical-align: middle; margin-right: 5px; }
wx-radio .wx-check { border-radius: 50%; }
.wx-check.on { background: #07c160; border-color: #07c160; }
.sjt-nav { position: relative; z-index: 100000; height: 44px; line-height: 44px; text-align: center; font-size: 17px; font-weight: 600; }
.sjt-tabs { display: flex; height: 50px; background: var(--tab-bg, #fff); border-top: 1px solid rgba(0,0,0,0.15); }
.sjt-tab { flex: 1; text-align: center; font-size: 10px; padding-top: 4px; }
.sjt-tab img { display: block; width: 24px; height: 24px; margin: 0 auto 2px; }
`

function tabBarHtml(app, pageRoute) {
  const bar = app.tabBar
  if (!bar || !bar.list.some(t => t.pagePath === pageRoute)) return ''
  const tabs = bar.list.map(t => {
    const on = t.pagePath === pageRoute
    const icon = on ? t.selectedIconPath : t.iconPath
    const img = icon ? `<img src="${escapeAttr(imageSource(path.join(ROOT, icon)))}" alt="">` : ''
    return `<div class="sjt-tab" style="color:${escapeAttr(on ? bar.selectedColor : bar.color)}">${img}${escapeText(t.text)}</div>`
  })
  return `<nav class="sjt-tabs" style="--tab-bg:${escapeAttr(bar.backgroundColor || '#fff')}">${tabs.join('')}</nav>`
}

/**
 * The HTML file of a rendered page: WeChat's navigation bar (title from the page's json), the
 * page, and the tab bar on tab pages, so the screenshot looks as it does on the phone.
 */
function pageHtml({ tree, pagePath, components, pageJson }) {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
  const route = path.relative(ROOT, pagePath)
  const win = { ...app.window, ...pageJson }
  const nav = `<header class="sjt-nav" style="background:${escapeAttr(win.navigationBarBackgroundColor || '#f6f6f6')};color:${win.navigationBarTextStyle === 'white' ? '#fff' : '#000'}">${escapeText(win.navigationBarTitleText || '')}</header>`
  const componentTags = new Set(Object.keys(components))
  const body = nodeHtml(tree, 'main', componentTags)
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeText(route)}</title>
<style>${BASE_CSS}</style>
<style>${stylesFor(pagePath, components)}</style>
</head><body style="background:${escapeAttr(win.backgroundColor || '#fff')}">${nav}${body}${tabBarHtml(app, route)}</body></html>
`
}

module.exports = { pageHtml, px, scoped, sharesGlobalClasses, WIDTH }
