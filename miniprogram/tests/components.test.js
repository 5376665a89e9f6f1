const { freshWx, render, settle, text } = require('./helpers')
const privacy = require('../utils/privacy')

beforeEach(() => freshWx())

test('checkin-result shows success with late and location notes', async () => {
  const comp = render('components/checkin-result/index', {
    result: { status: 'checked_in', reason: null, message: '签到成功', checkin: { late: true, no_location: true, outside_geofence: false } }
  })
  await settle()
  expect(text(comp, '.title')).toBe('签到成功')
  expect(comp.dom.textContent).toContain('迟到签到')
  expect(comp.dom.textContent).toContain('未获取位置')
})

test('target-list draws each target with its progress', async () => {
  const comp = render('components/target-list/index', {
    targets: [{ key: 'send_hours', label: '送教课时', unit: '课时', done: 4, target: 10, rate: 0.4, status: 'at_risk', status_label: '进度落后' }]
  })
  await settle()
  expect(comp.dom.textContent).toContain('送教课时')
  expect(comp.dom.textContent).toContain('4 / 10 课时')
  expect(comp.dom.textContent).toContain('进度落后')
})

test('privacy-popup appears when WeChat asks and answers agree', async () => {
  privacy.install()
  const comp = render('components/privacy-popup/index')
  await settle()
  expect(comp.querySelector('.dialog')).toBeFalsy()
  const resolve = jest.fn()
  const handler = wx.onNeedPrivacyAuthorization.mock.calls[0][0]
  handler(resolve)
  await settle()
  expect(comp.dom.textContent).toContain('用户隐私保护提示')
  comp.instance.agree()
  await settle()
  expect(resolve).toHaveBeenCalledWith({ event: 'agree', buttonId: 'privacy-agree' })
  expect(comp.querySelector('.dialog')).toBeFalsy()
})
