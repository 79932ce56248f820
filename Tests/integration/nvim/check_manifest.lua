-- Neovim (0.7) as a real LSP client: start `slipway serve`, open a manifest, wait for diagnostics, hover.
-- Writes what Neovim saw as JSON to $SLIPWAY_NVIM_OUT, then quits (exit code 1 on any failure).
local bin = os.getenv("SLIPWAY_BIN")
local file = os.getenv("SLIPWAY_MANIFEST")
local out = os.getenv("SLIPWAY_NVIM_OUT")

local function fail(msg)
  io.stderr:write("nvim test: " .. msg .. "\n")
  vim.cmd("cquit 1")
end

vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "slipway",
  cmd = { bin, "serve" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
if not client_id then fail("start_client failed") end
vim.lsp.buf_attach_client(buf, client_id)

local got = vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
if not got then fail("no diagnostics within 15 s") end
local d = vim.diagnostic.get(buf)[1]

-- Hover on the broken key, at the diagnostic's first character (Neovim converts columns to UTF-16 for us).
local line = vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]
local _, utf16_col = vim.str_utfindex(line, d.col)  -- returns (UTF-32, UTF-16) indices
local results = vim.lsp.buf_request_sync(buf, "textDocument/hover", {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  position = { line = d.lnum, character = utf16_col },
}, 10000)
local hover = ""
for _, r in pairs(results or {}) do
  if r.result and r.result.contents then hover = r.result.contents.value or "" end
end

local f = io.open(out, "w")
f:write(vim.fn.json_encode({
  lnum = d.lnum, col = d.col, end_col = d.end_col, code = d.code, message = d.message,
  severity = d.severity, hover = hover,
}))
f:close()
vim.lsp.stop_client(client_id)
vim.cmd("qall!")
