/* Segment builder: add, swap (another field) and remove condition rows, and refresh the live count
   (debounced, through the preview panel's HTMX "refresh" trigger) whenever a condition changes. */
(function () {
  "use strict";
  var timer = null;

  function refresh(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var preview = document.getElementById("segment-preview");
      if (preview && window.htmx) { window.htmx.trigger(preview, "refresh"); }
    }, delay);
  }

  function fetchRow(n, field) {
    var rows = document.getElementById("cond-rows");
    var url = rows.getAttribute("data-row-url") + "?n=" + encodeURIComponent(n) +
              (field ? "&field=" + encodeURIComponent(field) : "");
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      return holder.firstElementChild;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.closest || !target.closest("#segment-form")) { return; }
    if (target.classList.contains("cond-field")) {
      var row = target.closest(".cond-row");
      fetchRow(row.getAttribute("data-row"), target.value).then(function (fresh) {
        row.replaceWith(fresh);
        refresh(50);
      });
      return;
    }
    refresh(300);
  });
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.closest && target.closest("#segment-form") && (target.type === "number" || target.type === "text")) {
      refresh(600);
    }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest) { return; }
    if (event.target.closest("#add-condition")) {
      var rows = document.getElementById("cond-rows");
      var n = parseInt(rows.getAttribute("data-next"), 10) || 1;
      rows.setAttribute("data-next", String(n + 1));
      fetchRow(n, "").then(function (fresh) {
        rows.appendChild(fresh);
        refresh(50);
      });
      return;
    }
    var remove = event.target.closest(".cond-remove");
    if (remove) {
      remove.closest(".cond-row").remove();
      refresh(50);
    }
  });
})();
