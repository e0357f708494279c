/* Seatkeeper: the little JavaScript the shell needs. Loaded with `defer` from base.html; the CSP
   allows no inline script, so behaviour is attached here, from data in the page.

   - Dialogs: a screen loads a dialog with htmx into #sk-dialog-content (hx-target) and it opens in
     the shared Bootstrap modal #sk-dialog. A response with the header `HX-Trigger: dialog:close`
     closes it. Without JavaScript the same links open the dialog as a page.
   - Failed htmx requests show a toast instead of failing silently. */
(function () {
  "use strict";

  var strings = function () {
    var el = document.getElementById("sk-strings");
    return el ? el.dataset : {};
  };

  function toast(message) {
    var template = document.getElementById("sk-toast-template");
    var container = document.getElementById("sk-toasts");
    if (!template || !container || !window.bootstrap) return;
    var node = template.content.firstElementChild.cloneNode(true);
    node.querySelector(".toast-body").textContent = message;
    container.appendChild(node);
    node.addEventListener("hidden.bs.toast", function () { node.remove(); });
    window.bootstrap.Toast.getOrCreateInstance(node).show();
  }

  function dialog() {
    var el = document.getElementById("sk-dialog");
    return el && window.bootstrap ? window.bootstrap.Modal.getOrCreateInstance(el) : null;
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "sk-dialog-content") {
      var modal = dialog();
      if (modal) modal.show();
    }
  });

  // Someone who starts typing while the dialog still fades in must not lose what they type: once
  // the fade ends, Bootstrap's focus trap focuses the modal itself, taking the focus away from the
  // field (the next letters went nowhere, and the dialog was sent with half a name). The field
  // that had the focus gets it back, with its caret where it was.
  var typing = null;
  document.addEventListener("focusout", function (event) {
    var field = event.target;
    var content = document.getElementById("sk-dialog-content");
    if (!content || !content.contains(field)) return;
    var caret = null;
    try {
      caret = [field.selectionStart, field.selectionEnd];
    } catch (error) { /* a checkbox or a button has no caret */ }
    typing = { field: field, caret: caret };
  }, true);

  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target.id !== "sk-dialog") return;
    var was = typing;
    typing = null;
    if (!was || document.activeElement !== event.target || !was.field.isConnected) return;
    was.field.focus({ preventScroll: true });
    if (was.caret && was.caret[0] !== null && was.field.setSelectionRange) {
      try { was.field.setSelectionRange(was.caret[0], was.caret[1]); } catch (error) { /* not a text field */ }
    }
  });

  document.addEventListener("dialog:close", function () {
    var modal = dialog();
    if (modal) modal.hide();
  });

  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id === "sk-dialog") {
      document.getElementById("sk-dialog-content").replaceChildren();
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    // 503: the database cannot be reached for a moment (portal/middleware.py).
    toast(status === 403 ? strings().forbidden : status === 503 ? strings().unavailable : strings().requestFailed);
  });

  document.addEventListener("htmx:sendError", function () {
    toast(strings().offline);
  });
})();
