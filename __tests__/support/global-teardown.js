module.exports = require("./temp-check").teardown;
