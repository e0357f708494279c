/* Seatkeeper, Activity log: a filter chosen from a list applies at once. Without JavaScript the
   "Filter" button does the same; dates and the search wait for it (or Enter). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.closest("[data-filter-form]") && target.matches("select")) {
      target.form.requestSubmit();
    }
  });
})();
