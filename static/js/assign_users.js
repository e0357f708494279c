/* Seatkeeper, By Product: the little behaviour "Assign users" and a product's page need. Everything
   works without it (the dialog posts and comes back; the arrow beside a user is a link); this only
   saves keystrokes.

   - "Assign users": focus goes to the field to type in (or the first item of Customize) whenever the
     dialog opens or comes back; the arrow keys move between the field and the suggestions, Escape
     in the field clears the suggestions.
   - The suggestions themselves are htmx (hx-get on the field), not this file. */
(function () {
  "use strict";

  if (window.skAssignUsers) return; // loaded once, from the page and from the dialog page alike
  window.skAssignUsers = true;

  function focusFirst(root) {
    var form = root && root.querySelector ? root.querySelector("[data-assign-form]") : null;
    if (!form) return;
    var target = form.querySelector("[data-assign-focus]");
    if (!target) return;
    target.focus({ preventScroll: true });
    if (target.select && target.value) target.select();
  }

  function suggestions(form) {
    return Array.prototype.slice.call(form.querySelectorAll("[data-suggestion]:not(:disabled)"));
  }

  document.addEventListener("keydown", function (event) {
    var form = event.target.closest ? event.target.closest("[data-assign-form]") : null;
    if (!form) return;
    var field = form.querySelector("input[name=query]");
    var buttons = suggestions(form);
    var index = buttons.indexOf(event.target);
    if (event.key === "ArrowDown" && (event.target === field || index >= 0)) {
      var next = buttons[index + 1];
      if (next) { next.focus(); event.preventDefault(); }
    } else if (event.key === "ArrowUp" && index >= 0) {
      (index === 0 ? field : buttons[index - 1]).focus();
      event.preventDefault();
    } else if (event.key === "Escape" && event.target === field && field.value) {
      // Clears the field (and the suggestions) rather than closing the dialog.
      event.preventDefault();
      event.stopPropagation();
      field.value = "";
      var box = form.querySelector("#assign-suggestions");
      if (box) box.replaceChildren();
    }
  }, true);

  // The modal focuses itself once it is shown; then the field takes the focus, unless the admin
  // is already typing in the dialog (portal.js gives them their field back): selecting the field's
  // text then would have their next letters replace what they typed.
  document.addEventListener("shown.bs.modal", function (event) {
    var active = document.activeElement;
    var form = event.target.querySelector ? event.target.querySelector("[data-assign-form]") : null;
    if (form && active && form.contains(active)) return;
    focusFirst(event.target);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "sk-dialog-content" && target.closest(".modal.show")) focusFirst(target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    // The dialog as a page (no modal): the same focus.
    if (!document.querySelector("#sk-dialog [data-assign-form]")) focusFirst(document);
  });
})();
