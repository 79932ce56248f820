;;; slipway.el --- Slipway manifests through eglot  -*- lexical-binding: t; -*-
;; Load this file (or copy its forms into your init) with eglot installed (built in from Emacs 29,
;; `elpa-eglot` on Debian). Then `M-x eglot` in a manifest, or keep the hook below.
(require 'eglot)

(defun slipway--manifest-p ()
  (or (and buffer-file-name (string-match-p "\\(\\.slipway\\.ya?ml\\|/slipway\\.yaml\\)\\'" buffer-file-name))
      (save-excursion (goto-char (point-min)) (re-search-forward "^slipway:" 4000 t))))

(add-to-list 'eglot-server-programs '((yaml-mode yaml-ts-mode) . ("slipway" "serve")))

(defun slipway-maybe-eglot ()
  (when (slipway--manifest-p) (eglot-ensure)))

(add-hook 'yaml-mode-hook #'slipway-maybe-eglot)
(add-hook 'yaml-ts-mode-hook #'slipway-maybe-eglot)

(provide 'slipway)
;;; slipway.el ends here
