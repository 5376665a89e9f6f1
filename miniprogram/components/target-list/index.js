// Targets of DOMAIN.md with progress bars (leader's summary, director's kindergarten).
const { targetRows } = require('../../utils/format')

Component({
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
