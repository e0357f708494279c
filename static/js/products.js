/* Seatkeeper: the products section of a user's page (templates/subscriptions/_member_products.html).

   Its forms post with htmx and swap the section's content (hx-target="#member-products"). Before
   the swap, an open item menu is closed properly (Bootstrap and Popper let go of it); after it,
   focus moves to the message that says what happened, since the button that had it is gone.
   Without this file everything still works: only focus and tidying are lost. */
(function () {
  "use strict";

  if (window.skMemberProducts) return; // loaded once, however often the section is rendered
  window.skMemberProducts = true;

  function isSection(event) {
    var target = event.detail && event.detail.target;
    return target && target.id === "member-products" ? target : null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var section = isSection(event);
    if (!section || !window.bootstrap) return;
    section.querySelectorAll('[data-bs-toggle="dropdown"]').forEach(function (toggle) {
      var menu = window.bootstrap.Dropdown.getInstance(toggle);
      if (menu) menu.dispose();
    });
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var section = isSection(event);
    if (!section) return;
    var focus = section.querySelector(".sk-messages .alert") || section.querySelector("h2");
    if (!focus) return;
    focus.setAttribute("tabindex", "-1");
    focus.focus({ preventScroll: true });
    focus.scrollIntoView({ block: "nearest" });
  });
})();
