-- Opens $CONF in headless Neovim with `$SVCC lsp` attached, waits for the
-- server's diagnostics, and writes them to $OUT as `LNUM:COL:CODE` lines
-- (0-based, as vim.diagnostic holds them). Neovim 0.7's API.
local buf_path, out, svcc = os.getenv("CONF"), os.getenv("OUT"), os.getenv("SVCC")
vim.cmd("edit " .. vim.fn.fnameescape(buf_path))
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start_client({
  name = "svcc",
  cmd = { svcc, "lsp" },
  root_dir = vim.fn.fnamemodify(buf_path, ":h"),
})
vim.lsp.buf_attach_client(buf, id)
vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  table.insert(lines, string.format("%d:%d:%s", d.lnum, d.col, code))
end
table.sort(lines)
vim.fn.writefile(lines, out)
vim.lsp.stop_client(id)
vim.cmd("qa!")
