// A dialog whose form was refused comes back with the page (status 400): the server marks it `show-on-load`
// and this opens it again, so the clerk sees the error next to what they typed instead of a closed dialog.
// A file of its own, loaded with src: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function reopen() {
    const dialog = document.querySelector(".modal.show-on-load");
    if (!dialog || !window.bootstrap) {
      return;
    }
    window.bootstrap.Modal.getOrCreateInstance(dialog).show();
    const invalid = dialog.querySelector(".is-invalid, [aria-invalid=true]");
    if (invalid) {
      dialog.addEventListener("shown.bs.modal", function () { invalid.focus(); }, { once: true });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reopen);
  } else {
    reopen();
  }
})();
