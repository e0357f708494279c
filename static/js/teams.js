/* Seatkeeper, By User: the little behaviour the list and the "Change role" dialog need. Everything
   works without it; this only saves clicks and explains earlier.

   - The list: "select all" ticks the rows of the page; the bulk bar counts the ticked rows and its
     buttons wait for a selection. Once every row of the page is ticked, "Select all 1,017 users that
     match" sets the bulk form's `select=all` (the server resolves them from the list's filters);
     without JavaScript the same link reloads the list with select=all. A filter that changes submits
     the filter form.
   - "Change role": choosing Primary or Secondary admin unticks and disables "This is a guest user",
     because admins cannot be guests (R-G3); the server says the same if the box is sent ticked. */
(function () {
  "use strict";

  // --- The list -------------------------------------------------------------------------------
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-select-row]"));
  }

  function selectInput() {
    return document.querySelector("[data-bulk-form] input[data-select-input]");
  }

  function selectsAll() {
    var input = selectInput();
    return !!input && input.value === "all";
  }

  function setSelectsAll(on) {
    var input = selectInput();
    if (input) input.value = on ? "all" : "";
  }

  // "All 50 users on this page are selected. Select all 1,017 users that match" once every row of the
  // page is ticked; "All 1,017 users that match are selected. Clear selection" after the link.
  function updateBanner(all, ticked) {
    var banner = document.querySelector("[data-select-banner]");
    if (!banner) return;
    var every = all.length > 0 && ticked === all.length;
    var matching = selectsAll();
    banner.hidden = !(every || matching);
    banner.querySelector('[data-select-state="page"]').hidden = matching;
    banner.querySelector('[data-select-state="all"]').hidden = !matching;
    var pageSelected = banner.querySelector("[data-page-selected]");
    if (pageSelected) pageSelected.hidden = false;
  }

  function updateSelection() {
    var bar = document.querySelector("[data-bulk-form]");
    if (!bar) return;
    var all = rows();
    var ticked = all.filter(function (box) { return box.checked; }).length;
    if (selectsAll() && ticked < all.length) setSelectsAll(false);  // a row unticked: the page's rows again
    var label = bar.querySelector("[data-selected-count]");
    if (label) {
      label.textContent = selectsAll() ? label.dataset.all
        : ticked === 0 ? label.dataset.none
        : ticked === 1 ? label.dataset.one
        : label.dataset.many.replace("%(count)s", String(ticked));
      label.classList.toggle("sk-bulk-count-active", ticked > 0);
    }
    updateBanner(all, ticked);
    bar.querySelectorAll("[data-needs-selection]").forEach(function (button) { button.disabled = ticked === 0; });
    var selectAll = document.querySelector("input[data-select-all]");
    if (selectAll) {
      selectAll.checked = ticked > 0 && ticked === all.length;
      selectAll.indeterminate = ticked > 0 && ticked < all.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[data-select-all]")) {
      rows().forEach(function (box) { box.checked = target.checked; });
      updateSelection();
    } else if (target.matches("input[data-select-row]")) {
      updateSelection();
    } else if (target.closest("[data-filter-form]") && target.matches("select, input[type=checkbox]")) {
      target.form.requestSubmit();
    } else if (target.matches("[data-role-form] input[name=role]")) {
      updateGuest(target.form);
    }
  });

  document.addEventListener("click", function (event) {
    var matching = event.target.closest("[data-select-matching]");
    var clear = event.target.closest("[data-select-clear]");
    if (!matching && !clear) return;
    event.preventDefault();
    rows().forEach(function (box) { box.checked = !!matching; });
    setSelectsAll(!!matching);
    updateSelection();
    // The link pressed is hidden now: the focus goes to the one that undoes it, or to "select all".
    var next = matching ? document.querySelector("[data-select-clear]") : document.querySelector("input[data-select-all]");
    if (next) next.focus();
  });

  // --- "Change role" ------------------------------------------------------------------------------
  function updateGuest(form) {
    if (!form) return;
    var box = form.querySelector("input[name=is_guest]");
    var option = form.querySelector("[data-guest-option]");
    var role = form.querySelector("input[name=role]:checked");
    if (!box || !option || !role) return;
    if (option.dataset.locked === undefined) option.dataset.locked = box.disabled ? "1" : "";
    var admin = role.hasAttribute("data-admin-role");
    if (admin) box.checked = false;
    box.disabled = admin || option.dataset.locked === "1";
    option.classList.toggle("sk-disabled", box.disabled);
  }

  function init(root) {
    updateSelection();
    (root || document).querySelectorAll("[data-role-form]").forEach(updateGuest);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.detail.target); });
  // Back from another page: the browser may restore ticked boxes without firing change.
  window.addEventListener("pageshow", function () { updateSelection(); });
})();
