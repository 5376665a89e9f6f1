// Print every server call the mini-program makes (the CALLS table) as JSON, for the contract test.
const { CALLS } = require('../utils/endpoints')

process.stdout.write(JSON.stringify(CALLS, null, 2))
