/* Webhook pages: copy the new secret; "all events" greys out the single choices. */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");  /* plain-http consoles have no clipboard API */
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.querySelector(button.dataset.copy);
    if (!source) { return; }
    var label = button.textContent;
    copyText(source.textContent.trim()).then(function () {
      button.textContent = button.dataset.copied;
      setTimeout(function () { button.textContent = label; }, 2000);
    }, function () {
      window.getSelection().selectAllChildren(source);
    });
  });

  function syncAll(box) {
    var groups = box.closest(".wh-events").querySelector(".wh-groups");
    groups.classList.toggle("off", box.checked);
    groups.querySelectorAll("input").forEach(function (input) { input.disabled = box.checked; });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches(".wh-all input")) { syncAll(event.target); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".wh-all input").forEach(syncAll);
  });
})();
