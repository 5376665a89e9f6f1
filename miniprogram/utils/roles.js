// What a person's roles mean in the mini-program: labels and the home page's entries.
const ROLE_LABELS = {
  teacher: '教师',
  organizer: '组织者',
  director: '园长',
  leader: '领导',
  parent: '家长',
  admin: '管理员'
}

const ENTRIES = [
  { key: 'checkin', label: '扫码签到', url: '/pages/checkin/index', roles: ['teacher', 'organizer', 'director', 'parent'] },
  { key: 'activities', label: '帮扶活动', url: '/pages/activities/index', roles: ['teacher', 'organizer', 'director', 'leader', 'admin'] },
  { key: 'hours', label: '我的学时', url: '/pages/hours/index', roles: ['teacher', 'organizer', 'director'] },
  { key: 'notices', label: '通知', url: '/pages/notices/index', roles: ['teacher', 'organizer', 'director', 'leader', 'parent', 'admin'] },
  { key: 'kindergarten', label: '本园概况', url: '/pages/kindergarten/index', roles: ['director'] },
  { key: 'summary', label: '工作简报', url: '/pages/summary/index', roles: ['leader', 'admin'] },
  { key: 'posts', label: '推文审核', url: '/pages/posts/index', roles: ['director', 'leader', 'admin'] },
  { key: 'rankings', label: '通报排名', url: '/pages/rankings/index', roles: ['leader', 'admin'] },
  { key: 'scan-login', label: '电脑登录', url: '/pages/scan-login/index', roles: ['teacher', 'organizer', 'director', 'leader', 'admin'] },
  { key: 'settings', label: '我的', url: '/pages/settings/index', roles: null }
]

/** The distinct role codes of a person. */
function roleCodes(person) {
  const codes = ((person && person.roles) || []).map(r => r.role)
  return Array.from(new Set(codes))
}

function hasRole(person, ...wanted) {
  const codes = roleCodes(person)
  return wanted.some(w => codes.includes(w))
}

/** "园长（湘江县实验幼儿园）" lines for display. */
function roleLines(person) {
  return ((person && person.roles) || []).map(r => `${ROLE_LABELS[r.role] || r.role}${r.scope_name ? `（${r.scope_name}）` : ''}`)
}

/** The home page's entries for this person, in a fixed order. */
function entriesFor(person) {
  const codes = roleCodes(person)
  return ENTRIES.filter(e => e.roles === null || e.roles.some(r => codes.includes(r)))
}

/** The kindergarten a director runs, or null. */
function directedKindergarten(person) {
  const grant = ((person && person.roles) || []).find(r => r.role === 'director' && r.scope_kind === 'kindergarten')
  return grant ? { id: grant.scope_id, name: grant.scope_name } : null
}

module.exports = { ROLE_LABELS, roleCodes, hasRole, roleLines, entriesFor, directedKindergarten }
