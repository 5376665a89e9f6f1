// Subscribe prompts: at most three templates, each prompt opened by a tap of its page.
const fs = require('fs')
const path = require('path')
const { ROOT, freshWx } = require('./helpers')
const subscribe = require('../utils/subscribe')
const { ALL_SUBSCRIPTIONS } = require('./ui')

beforeEach(() => freshWx())

test('no topic asks for more than three templates, and two kinds sharing one are asked once', () => {
  const byKind = Object.fromEntries(ALL_SUBSCRIPTIONS.map(s => [s.kind, s.template_id]))
  byKind.activity_changed = byKind.activity_cancelled // one template configured for both
  wx.setStorageSync(subscribe.TEMPLATES_KEY, byKind)
  for (const topic of Object.keys(subscribe.TOPICS)) expect(subscribe.templatesFor(topic).length).toBeLessThanOrEqual(3)
  expect(subscribe.templatesFor('attending')).toEqual(['tpl-activity_reminder', 'tpl-activity_cancelled'])
})

test('every subscribe.ask of a page sits in a handler its template binds to a tap', () => {
  const pages = fs.readdirSync(path.join(ROOT, 'pages'))
  const asked = []
  for (const dir of pages) {
    const lines = fs.readFileSync(path.join(ROOT, 'pages', dir, 'index.js'), 'utf8').split('\n')
    const wxml = fs.readFileSync(path.join(ROOT, 'pages', dir, 'index.wxml'), 'utf8')
    lines.forEach((line, i) => {
      if (!line.includes('subscribe.ask(')) return
      // The method around it: the nearest line above that opens a method of `methods`.
      let j = i
      while (j >= 0 && !/^ {4}(async )?\w+\s*\([^)]*\)\s*\{/.test(lines[j])) j -= 1
      const method = /^ {4}(?:async )?(\w+)/.exec(lines[j])[1]
      asked.push(`${dir}.${method}`)
      expect([dir, method, wxml.includes(`bindtap="${method}"`)]).toEqual([dir, method, true])
      expect(['onLoad', 'onShow', 'refresh']).not.toContain(method)
    })
  }
  expect(asked.length).toBeGreaterThanOrEqual(9)
})
