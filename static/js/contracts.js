/* Seatkeeper, Billing & Orders › Contracts: a filter that changes submits the filter form, so the
   list follows the choice at once. Without this file the "Filter" button does the same. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-filter-form] select")) target.form.requestSubmit();
  });
})();
