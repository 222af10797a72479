// Countdown on the "get code" button after a code was sent (the server also enforces the interval).
// The words come from the button's data attributes, in the page's language.
(function () {
  var button = document.querySelector(".btn-code[data-wait]");
  if (!button) return;
  var left = parseInt(button.getAttribute("data-wait"), 10) || 0;
  var label = button.textContent;
  var resend = button.getAttribute("data-resend") || label;
  var countdown = button.getAttribute("data-countdown") || "{n}";
  var counted = false;
  function tick() {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = counted ? resend : label;
      return;
    }
    counted = true;
    button.disabled = true;
    button.textContent = countdown.replace("{n}", left);
    left -= 1;
    setTimeout(tick, 1000);
  }
  tick();
})();
