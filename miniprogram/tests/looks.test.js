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
