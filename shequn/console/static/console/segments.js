/* Segment builder: number new condition rows, remove rows, and refresh the live count after either. */
(function () {
  "use strict";
  function refresh() {
    var form = document.getElementById("segment-form");
    if (form && window.htmx) { window.htmx.trigger(form, "change"); }
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var rows = document.getElementById("cond-rows");
    if (event.detail.elt && event.detail.elt.id === "add-condition" && rows) {
      var n = parseInt(rows.getAttribute("data-next"), 10) || 1;
      event.detail.parameters.n = String(n);
      rows.setAttribute("data-next", String(n + 1));
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".cond-remove") : null;
    if (!button) { return; }
    button.closest(".cond-row").remove();
    refresh();
  });
})();
