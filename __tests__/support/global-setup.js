module.exports = require("./temp-check").setup;
