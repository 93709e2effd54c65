-- Runs the README's Neovim recipe ($RECIPE, `svcc` found on $PATH), opens
-- $CONF as a user would, waits for the server's diagnostics, and writes
-- them to $OUT as `LNUM:COL:CODE` lines (0-based).
dofile(os.getenv("RECIPE"))
vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("CONF")))
local buf = vim.api.nvim_get_current_buf()
vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  table.insert(lines, string.format("%d:%d:%s", d.lnum, d.col, code))
end
table.sort(lines)
vim.fn.writefile(lines, os.getenv("OUT"))
vim.cmd("qa!")
