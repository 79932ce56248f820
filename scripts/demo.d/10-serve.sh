# demo: slipway serve: a scripted editor session over stdio (open, diagnostics, hover, quick fix, lenses)
python3 "$(dirname "$0")/../lsp_demo.py" "$1"
