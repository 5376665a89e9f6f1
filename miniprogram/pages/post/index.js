// One 公众号 post under review: the text and photos as they will go out, who did what, and the
// caller's step — 审核通过 (director), 签发 (leader), 退回修改 (either, with a comment).
const api = require('../../utils/api')
const { load, act } = require('../../utils/page')
const { dateTime } = require('../../utils/format')
const files = require('../../utils/files')

function promisify(fn, options = {}) {
  return new Promise((resolve, reject) => fn({ ...options, success: resolve, fail: reject }))
}

/**
 * The body for <rich-text>. Its pictures point at the server's files, which need the token that
 * <rich-text> cannot send, so they are left out here and shown below, downloaded with it.
 */
function bodyHtml(html) {
  return String(html || '').replace(/<img\b[^>]*>/gi, '')
}

function shape(post) {
  return {
    post,
    body: bodyHtml(post.html),
    steps: (post.steps || []).map(s => ({ ...s, when: dateTime(s.at) })),
    can: post.can || {}
  }
}

Component({
  data: { loading: true, error: '', id: null, post: null, body: '', steps: [], photos: [], can: {}, comment: '', busy: false },
  methods: {
    onLoad(options) {
      this.setData({ id: Number(options && options.id) })
      return this.refresh()
    },
    refresh() {
      return load(this, async () => {
        const post = await api.call('post', { params: { post_id: this.data.id } })
        const photos = []
        for (const p of post.photos || []) {
          const src = p.usable ? await api.download('fileContent', { params: { file_id: p.id } }).catch(() => '') : ''
          photos.push({ id: p.id, caption: p.caption, usable: p.usable, reason: p.reason || '', src })
        }
        return { ...shape(post), photos }
      })
    },
    onComment(e) {
      this.setData({ comment: e.detail.value })
    },
    preview(e) {
      files.preview(this.data.photos.map(p => p.src), e.currentTarget.dataset.src)
    },
    async step(call, success) {
      if (this.data.busy) return
      this.setData({ busy: true })
      const post = await act(this, () => api.call(call, { params: { post_id: this.data.id }, data: { comment: this.data.comment.trim() } }), success)
      this.setData({ busy: false })
      if (post) this.setData({ ...shape(post), comment: '' })
    },
    approve() {
      return this.step('approvePost', '已审核通过')
    },
    async sign() {
      const res = await promisify(wx.showModal, { title: '签发', content: '签发后推文将发布到公众号，发布后不能撤回。确定签发吗？', confirmText: '签发' }).catch(() => ({ confirm: false }))
      if (!res.confirm) return
      await this.step('signPost', '已签发')
    },
    sendBack() {
      if (!this.data.comment.trim()) {
        api.showError({ message: '退回时请填写修改意见' })
        return null
      }
      return this.step('sendBackPost', '已退回')
    }
  }
})
