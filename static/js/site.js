// Behaviour shared by every page, switched on by data attributes, so that no template needs an inline
// script or an on…= handler (the Content-Security-Policy allows scripts from files only; docs/security.md).
// Listeners sit on the document, so content that htmx swaps in later works without binding again.
//
//   <form data-confirm="确认…?">            asks before submitting; "cancel" keeps the form unsent
//   <form data-disable-on-submit>           disables its submit buttons once sent (no double submit)
//   <select data-autosubmit>                submits its form when the choice changes
//   <form data-select-change>               fires the "select-change" event (for hx-trigger) when one of
//                                           its selects changes; htmx trigger filters would need eval
//   <form data-input-removes="#some-id">    removes that element when anything in the form is typed
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    const question = form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (form.hasAttribute("data-disable-on-submit")) {
      form.querySelectorAll("[type=submit]").forEach(function (button) {
        // After this event's listeners, so the button's own name/value is still sent with the form.
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    }
  }, true);

  document.addEventListener("change", function (event) {
    const element = event.target;
    if (!(element instanceof HTMLElement)) {
      return;
    }
    if (element.hasAttribute("data-autosubmit") && element.form) {
      element.form.requestSubmit();
      return;
    }
    if (element.tagName === "SELECT") {
      const form = element.closest("[data-select-change]");
      if (form) {
        form.dispatchEvent(new CustomEvent("select-change", { bubbles: true }));
      }
    }
  });

  document.addEventListener("input", function (event) {
    const element = event.target;
    if (!(element instanceof HTMLElement)) {
      return;
    }
    const owner = element.closest("[data-input-removes]");
    if (owner) {
      const gone = document.querySelector(owner.dataset.inputRemoves);
      if (gone) {
        gone.remove();
      }
    }
  });
})();
