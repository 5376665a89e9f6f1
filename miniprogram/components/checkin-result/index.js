// The answer to a scan, in Chinese: success, already, a refusal with its reason, or queued.
const { describe } = require('../../utils/checkin')

Component({
  properties: {
    result: { type: Object, value: null }
  },
  data: { view: null },
  observers: {
    result(result) {
      this.setData({ view: result ? describe(result) : null })
    }
  }
})
