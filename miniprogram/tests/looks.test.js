// What WeChat needs for the pages to look as designed, checked from the files themselves.
// (How the pages actually look, with real data, is tests/miniprogram/test_render_pages.py.)
const fs = require('fs')
const path = require('path')
const { ROOT } = require('./helpers')

const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'))
const read = file => fs.readFileSync(path.join(ROOT, file), 'utf8')
const APP_CLASSES = new Set(Array.from(read('app.wxss').matchAll(/\.([\w-]+)/g), m => m[1]))

/** The definition a component's script passes to Component(). */
function definitionOf(dir) {
  let captured = null
  const saved = global.Component
  global.Component = def => {
    captured = def
  }
  try {
    jest.isolateModules(() => require(path.join(ROOT, dir, 'index.js')))
  } finally {
    global.Component = saved
  }
  return captured
}

function componentDirs() {
  return fs.readdirSync(path.join(ROOT, 'components')).map(name => `components/${name}`)
}

describe('style isolation', () => {
  // "除继承样式外，app.wxss 中的样式、组件所在页面的的样式对自定义组件无效（除非更改组件样式隔离选项）"
  // and WeUI from useExtendedLib is app-wide style: a component using its classes (or app.wxss's)
  // must let them in with addGlobalClass (= styleIsolation: apply-shared) or styleIsolation.
  test.each(componentDirs())('%s lets in the app-wide classes it uses', dir => {
    const classes = Array.from(read(`${dir}/index.wxml`).matchAll(/class="([^"]*)"/g), m => m[1].replace(/\{\{[^}]*\}\}/g, ' ').split(/\s+/)).flat()
    const global = classes.filter(c => c.startsWith('weui-') || APP_CLASSES.has(c))
    const own = new Set(Array.from(read(`${dir}/index.wxss`).matchAll(/\.([\w-]+)/g), m => m[1]))
    const needed = global.filter(c => !own.has(c))
    const def = definitionOf(dir)
    const json = JSON.parse(read(`${dir}/index.json`))
    const isolation = json.styleIsolation || (def.options && def.options.styleIsolation)
    const shared = isolation ? ['apply-shared', 'shared'].includes(isolation) : Boolean(def.options && def.options.addGlobalClass)
    if (needed.length) expect({ dir, shared }).toEqual({ dir, shared: true })
  })

  test('the target list and the privacy popup use WeUI, so the check above reaches them', () => {
    expect(read('components/target-list/index.wxml')).toContain('weui-cells')
    expect(read('components/privacy-popup/index.wxml')).toContain('weui-btn_primary')
  })
})

describe('tab bar', () => {
  // tabBar: "backgroundColor | HexColor | 是 | tab 的背景色"; list items: "iconPath: 图片路径，icon
  // 大小限制为 40kb，建议尺寸为 81px * 81px，不支持网络图片" (微信开放文档, 全局配置). The icons are drawn
  // by scripts/tab_icons.py.
  test('has its required background colour', () => {
    expect(app.tabBar.backgroundColor).toMatch(/^#[0-9a-fA-F]{6}$/)
  })

  test.each(app.tabBar.list.map(t => [t.text, t]))('%s has both icons: local PNGs, 81 × 81 px, at most 40 KB', (_, tab) => {
    for (const icon of [tab.iconPath, tab.selectedIconPath]) {
      expect(icon).toMatch(/^images\/tab\/[\w-]+\.png$/)
      const bytes = fs.readFileSync(path.join(ROOT, icon))
      expect(bytes.slice(1, 4).toString()).toBe('PNG')
      expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([81, 81])
      expect(bytes.length).toBeLessThanOrEqual(40 * 1024)
    }
    expect(tab.iconPath).not.toBe(tab.selectedIconPath)
  })
})

describe('pages built with Component()', () => {
  // "页面也可以使用 Component 构造器构造，拥有与普通组件一样的定义段与实例方法。但此时要求对应
  // json 文件中包含 usingComponents 定义段" (微信开放文档, Component 构造器).
  test.each(app.pages)('%s declares usingComponents', page => {
    expect(read(`${page}.js`)).toMatch(/\bComponent\(/)
    expect(JSON.parse(read(`${page}.json`)).usingComponents).toEqual(expect.any(Object))
  })
})
