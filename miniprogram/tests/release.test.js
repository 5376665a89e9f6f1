const fs = require('fs')
const os = require('os')
const path = require('path')
const { problems, configure } = require('../scripts/release')

const ROOT = path.resolve(__dirname, '..')

function copyProject() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sjt-release-'))
  for (const name of ['project.config.json', 'config.js']) fs.copyFileSync(path.join(ROOT, name), path.join(dir, name))
  return dir
}

test('the development build is refused for release, naming each reason in Chinese', () => {
  const found = problems(copyProject())
  expect(found.join('\n')).toContain('游客 appid')
  expect(found.join('\n')).toContain('urlCheck')
  expect(found.join('\n')).toContain('https')
})

test.each([
  ['https://127.0.0.1', 'IP 地址'],
  ['https://10.0.0.8', 'IP 地址'],
  ['https://localhost', 'localhost'],
  ['http://songjiao.example.cn', 'https'],
  ['https://songjiao.example.cn/api', '不带路径']
])('apiBase %s is refused (%s)', (apiBase, reason) => {
  const dir = copyProject()
  const found = configure({ SONGJIAO_MP_APPID: 'wx0123456789abcdef', SONGJIAO_MP_API_BASE: apiBase }, dir)
  expect(found.join('\n')).toContain(reason)
})

test('configure writes the appid, urlCheck and the https domain, and the check passes', () => {
  const dir = copyProject()
  fs.writeFileSync(path.join(dir, 'config.js'), fs.readFileSync(path.join(dir, 'config.js'), 'utf8').replace("devLoginCode: ''", "devLoginCode: 'demo-teacher'"))
  const found = configure({ SONGJIAO_MP_APPID: 'wx0123456789abcdef', SONGJIAO_MP_API_BASE: 'https://songjiao.example.cn/' }, dir)
  expect(found).toEqual([])
  const project = JSON.parse(fs.readFileSync(path.join(dir, 'project.config.json'), 'utf8'))
  expect(project.appid).toBe('wx0123456789abcdef')
  expect(project.setting.urlCheck).toBe(true)
  const config = require(path.join(dir, 'config.js'))
  expect(config.apiBase).toBe('https://songjiao.example.cn')
  expect(config.devLoginCode).toBe('')
})

test('configure without the variables says which are missing', () => {
  expect(configure({}, copyProject())[0]).toContain('SONGJIAO_MP_APPID')
})
