// The township entry screen (扫码认证): keeps the keyboard flow of an ID card reader working.
// Scan → Enter shows the card with the certify button focused → Enter certifies → the cursor is back in the
// scan box. A new scan while a card is shown goes into the scan box, never into the focused button (a reader
// "types" digits and Enter: without this, its Enter would certify the person still on the screen).
(function () {
  "use strict";

  const screen = document.getElementById("entry-screen");
  if (!screen) {
    return;
  }
  const scanForm = document.getElementById("entry-scan");
  const scanInput = scanForm.querySelector("input[name=id_number]");
  const card = document.getElementById("entry-card");

  function backToScan(clear) {
    if (clear) {
      scanInput.value = "";
    }
    scanInput.focus();
    scanInput.select();
  }

  function isTyping(element) {
    if (!element) {
      return false;
    }
    const tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") {
      return true;
    }
    return tag === "INPUT" && !["radio", "checkbox", "button", "submit", "file"].includes(element.type);
  }

  // Refusals come back as 400/404 with a message to show: swap them like any answer.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const status = event.detail.xhr.status;
    if (screen.contains(event.detail.elt) && (status === 400 || status === 404)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After the settle, not the swap: htmx wires the new card's form up while settling, and a button focused
  // before that would submit the form as a plain page on the officer's Enter.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target !== card) {
      return;
    }
    const button = document.getElementById("entry-certify-button");
    if (button) {
      button.focus(); // the card: one Enter certifies
    } else if (card.querySelector("#entry-refusal, #entry-already, #entry-cannot")) {
      backToScan(false); // nothing to do for this number: the next scan replaces it
    } else {
      backToScan(true); // saved: the card is gone, ready for the next person
    }
  });

  // A reader's digits (or x) typed while the focus is elsewhere start a new scan.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey) {
      return;
    }
    if (event.key === "Escape") {
      card.innerHTML = "";
      backToScan(true);
      return;
    }
    if (event.key.length === 1 && /[0-9xX]/.test(event.key) && !isTyping(document.activeElement)) {
      event.preventDefault();
      scanInput.focus();
      scanInput.value = event.key;
      // The caret after the digit: focus() brings back the old selection, which the next digit would replace.
      scanInput.setSelectionRange(1, 1);
    }
  });

  // The channel decides which extra field is needed; the officer lands on it (or back on the button).
  card.addEventListener("change", function (event) {
    const radio = event.target;
    if (radio.name !== "channel") {
      return;
    }
    let target = null;
    card.querySelectorAll("[data-channel-field]").forEach(function (field) {
      const shown = field.dataset.channelField === radio.value;
      field.classList.toggle("d-none", !shown);
      if (shown) {
        target = field.querySelector("input");
      }
    });
    (target || document.getElementById("entry-certify-button")).focus();
  });
})();
