-- Start `slipway serve` for Slipway manifests. Neovim 0.8+ uses vim.lsp.start (reuses one client per
-- root); 0.7 uses vim.lsp.start_client + buf_attach_client.
local M = {}

local function is_manifest(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name:match("%.slipway%.ya?ml$") or name:match("/slipway%.yaml$") then return true end
  for _, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, 50, false)) do
    if line:match("^slipway:") then return true end
    if line:match("^%-%-%-") then break end
  end
  return false
end

local function root_dir(bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local git = vim.fs and vim.fs.find and vim.fs.find(".git", { upward = true, path = path })[1]
  return git and vim.fn.fnamemodify(git, ":h") or vim.fn.fnamemodify(path, ":h")
end

local clients = {}

function M.attach(bufnr)
  if not is_manifest(bufnr) then return end
  local config = { name = "slipway", cmd = { "slipway", "serve" }, root_dir = root_dir(bufnr) }
  if vim.lsp.start then
    vim.lsp.start(config, { bufnr = bufnr })
  else
    local id = clients[config.root_dir] or vim.lsp.start_client(config)
    clients[config.root_dir] = id
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

vim.api.nvim_create_autocmd("FileType", {
  pattern = "yaml",
  callback = function(args) M.attach(args.buf) end,
})

return M
