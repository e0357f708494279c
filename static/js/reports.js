/* Seatkeeper, Reporting › Seat Usage: the team picker and the time range apply as soon as they
   change; choosing "Custom range" shows the two dates instead, which apply with "Show report".
   Dates that are hidden are not sent, so that the address says only what counts. Without this
   script the same form works with its button. The row selection and the "Unassign" bar of By User
   are static/js/teams.js's (data-select-row, data-bulk-form). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.closest("[data-report-form]");
    if (!form) return;
    if (target.name === "team") {
      form.requestSubmit();
    } else if (target.name === "range") {
      var dates = form.querySelector("[data-custom-dates]");
      if (target.value === "custom" && dates) {
        dates.hidden = false;
        var start = dates.querySelector("input[name=start]");
        if (start) start.focus();
      } else {
        form.requestSubmit();
      }
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-report-form]");
    if (!form) return;
    var dates = form.querySelector("[data-custom-dates]");
    if (dates && dates.hidden) {
      dates.querySelectorAll("input").forEach(function (input) { input.disabled = true; });
    }
  });

  // Back from another page: the browser may restore the form as it was submitted.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-report-form] [data-custom-dates] input").forEach(function (input) {
      input.disabled = false;
    });
  });
})();
