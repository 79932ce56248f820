;;; check_manifest.el --- Emacs + eglot as a real LSP client of `slipway serve' (batch mode).  -*- lexical-binding: t; -*-
;; Environment: SLIPWAY_BIN, SLIPWAY_MANIFEST (in a git repository, so project.el finds a project),
;; SLIPWAY_EMACS_OUT (where the result is written as JSON). Exits non-zero on failure.
(require 'eglot)
(require 'flymake)
(require 'json)

(defun slipway-test-fail (msg)
  (princ (format "emacs test: %s\n" msg) #'external-debugging-output)
  (kill-emacs 1))

(define-derived-mode slipway-yaml-mode prog-mode "SlipwayYAML")
(let* ((bin (getenv "SLIPWAY_BIN"))
       (file (getenv "SLIPWAY_MANIFEST"))
       (out (getenv "SLIPWAY_EMACS_OUT")))
  (add-to-list 'eglot-server-programs `(slipway-yaml-mode . (,bin "serve")))
  (find-file file)
  (slipway-yaml-mode)
  (let ((project (project-current nil (file-name-directory file))))
    (unless project (slipway-test-fail "no project"))
    (eglot '(slipway-yaml-mode) project 'eglot-lsp-server `(,bin "serve") "yaml"))
  (let ((deadline (+ (float-time) 20)) diags)
    (while (and (null (setq diags (flymake-diagnostics))) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (unless diags (slipway-test-fail "no diagnostics within 20 s"))
    (let* ((d (car diags))
           (beg (flymake-diagnostic-beg d))
           (line (line-number-at-pos beg))
           (col (- beg (save-excursion (goto-char beg) (line-beginning-position))))  ; characters, not display columns
           (hover (jsonrpc-request (eglot-current-server) :textDocument/hover
                                   (list :textDocument (eglot--TextDocumentIdentifier)
                                         :position (eglot--pos-to-lsp-position beg)))))
      (with-temp-file out
        (insert (json-encode
                 (list (cons 'line line) (cons 'column col)
                       (cons 'text (flymake-diagnostic-text d))
                       (cons 'hover (or (plist-get (plist-get hover :contents) :value) "")))))))
    (eglot-shutdown (eglot-current-server))
    (kill-emacs 0)))
