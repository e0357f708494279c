/* Seatkeeper: the little JavaScript the shell needs. Loaded with `defer` from base.html; the CSP
   allows no inline script, so behaviour is attached here, from data in the page.

   - Dialogs: a screen loads a dialog with htmx into #sk-dialog-content (hx-target) and it opens in
     the shared Bootstrap modal #sk-dialog. A response with the header `HX-Trigger: dialog:close`
     closes it. Without JavaScript the same links open the dialog as a page.
   - Focus (WCAG 2.4.3): when the dialog closes (Escape, Cancel, ×) the focus goes back to the
     button or link that opened it; when it closes by a Save or Send that loads the page again, to
     that button on the new page if it is there. After its content is swapped (errors, the
     Single/Multiple tabs) the focus goes to the first field with an error, else to an error of the
     whole form, else to the title, unless a screen's own script already put it in the dialog. When
     the page that opened it is gone (Delete), to the new page's message, else its heading.
   - Failed htmx requests show a toast instead of failing silently.
   - Busy buttons: the button that sent a form (through htmx or as a plain post) says so until the
     answer comes (aria-busy, a spinner) and a second press sends nothing twice.
   - The menu buttons of the top bar are links (to a page that works without JavaScript) with
     role="button": Space presses them as it presses a button. */
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

  function isDialogContent(target) {
    return target && target.id === "sk-dialog-content";
  }

  function isOpen() {
    var el = document.getElementById("sk-dialog");
    return !!el && el.classList.contains("show");
  }

  // The element that opened the dialog: the one with the focus when its request started (a click
  // focuses a link or button too), else the element that sent the request.
  var opener = null;
  var RETURN_KEY = "sk-dialog-opener";

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isDialogContent(event.detail.target) || isOpen()) return;
    var active = document.activeElement;
    opener = active && active !== document.body && !active.closest("#sk-dialog") ? active : event.detail.elt;
  });

  // The opener found again on a page loaded anew: by its id, else its link or htmx URL.
  function selectorFor(el) {
    if (!el || !el.getAttribute) return null;
    if (el.id) return "#" + CSS.escape(el.id);
    var attributes = ["href", "hx-get", "hx-post"];
    for (var i = 0; i < attributes.length; i++) {
      var value = el.getAttribute(attributes[i]);
      if (value) return el.tagName.toLowerCase() + "[" + attributes[i] + '="' + CSS.escape(value) + '"]';
    }
    return null;
  }

  function focusable(el) {
    return el && el.isConnected && !el.disabled && el.getClientRects().length > 0;
  }

  // Save or Send: the server answers with HX-Redirect and the page loads anew.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    if (!isDialogContent(event.detail.target) || !xhr || !xhr.getResponseHeader("HX-Redirect")) return;
    var selector = selectorFor(opener);
    if (!selector) return;
    try {
      sessionStorage.setItem(RETURN_KEY, JSON.stringify({ path: location.pathname, selector: selector }));
    } catch (error) { /* storage switched off: the focus starts at the top, as on any page */ }
  });

  (function returnAfterReload() {
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(RETURN_KEY) || "null");
      sessionStorage.removeItem(RETURN_KEY);
    } catch (error) { return; }
    if (!saved) return;
    var el = saved.path === location.pathname ? document.querySelector(saved.selector) : null;
    if (focusable(el)) {
      el.focus({ preventScroll: false });
      return;
    }
    // The opener is gone (Delete took the person's page away, and By User came instead): the focus
    // goes to what the dialog did, the page's message, else its heading, so that Tab goes on from there
    // and a screen reader reads it, instead of starting again at the skip link.
    var main = document.getElementById("main");
    var landing = main && (main.querySelector(".sk-messages .alert") || main.querySelector("h1"));
    if (!landing) return;
    landing.setAttribute("tabindex", "-1");
    landing.focus({ preventScroll: false });
  })();

  document.addEventListener("htmx:afterSwap", function (event) {
    if (isDialogContent(event.detail.target)) {
      var modal = dialog();
      if (modal) modal.show();
    }
  });

  // The dialog's content swapped while it was open: the button that was pressed is gone, and with it
  // the focus (Escape then did nothing, since the focus was outside the dialog). A dialog that opens
  // is Bootstrap's to focus (and a screen's script's, after it).
  var swappedWhileOpen = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isDialogContent(event.detail.target)) swappedWhileOpen = isOpen();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!isDialogContent(event.detail.target) || !swappedWhileOpen) return;
    var content = event.detail.target;
    if (content.contains(document.activeElement)) return;
    // The first field in error (its message is its description, read with it), else an error of
    // the whole form (role=alert), else the title.
    var target =
      content.querySelector("[aria-invalid=true], .is-invalid") ||
      content.querySelector(".modal-body [role=alert]") ||
      content.querySelector("#sk-dialog-title");
    if (!target) return;
    if (!target.matches("input, select, textarea, button, a[href]")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
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
      var was = opener;
      opener = null;
      if (focusable(was)) was.focus({ preventScroll: true });
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
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== " " || !el.matches || !el.matches('a[role="button"]')) return;
    event.preventDefault();
    el.click();
  });

  // Busy buttons. htmx: from the request to its answer (an error too). A plain post: until the next
  // page replaces this one; coming back to it (the browser's Back) makes it ready again.
  function busy(button, on) {
    if (!button || !button.classList) return;
    button.classList.toggle("sk-busy", on);
    if (on) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var submitter = trigger && trigger.submitter;
    if (submitter) {
      busy(submitter, true);
      event.detail.elt.skBusyButton = submitter;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.skBusyButton) {
      busy(elt.skBusyButton, false);
      elt.skBusyButton = null;
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.hasAttribute("hx-post") || form.method.toLowerCase() !== "post") return;
    if (form.dataset.skSubmitting) {
      event.preventDefault(); // pressed again while the first is on its way
      return;
    }
    form.dataset.skSubmitting = "1";
    busy(event.submitter, true);
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sk-submitting]").forEach(function (form) {
      delete form.dataset.skSubmitting;
    });
    document.querySelectorAll(".sk-busy").forEach(function (button) { busy(button, false); });
  });
})();
