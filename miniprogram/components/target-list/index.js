// Targets of DOMAIN.md with progress bars (leader's summary, director's kindergarten).
const { targetRows } = require('../../utils/format')

Component({
  // WeUI comes from app.json's useExtendedLib, i.e. it is app-wide style, and "除继承样式外，
  // app.wxss 中的样式、组件所在页面的的样式对自定义组件无效（除非更改组件样式隔离选项）"; the
  // option: "addGlobalClass: true ... 这个选项等价于设置 styleIsolation: apply-shared", "表示页面
  // wxss 样式将影响到自定义组件，但自定义组件 wxss 中指定的样式不会影响页面" (微信开放文档, 组件模板和
  // 样式). Without it the weui-* classes below are dead and the targets list is unstyled.
  options: { addGlobalClass: true },
  properties: {
    targets: { type: null, value: [] }
  },
  data: { rows: [] },
  observers: {
    targets(targets) {
      this.setData({ rows: targetRows(targets) })
    }
  }
})
