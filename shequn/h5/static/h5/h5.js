// Countdown on "获取验证码" after a code was sent (the server also enforces the interval).
(function () {
  var button = document.querySelector(".btn-code[data-wait]");
  if (!button) return;
  var left = parseInt(button.getAttribute("data-wait"), 10) || 0;
  var label = button.textContent;
  var counted = false;
  function tick() {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = counted ? "重新获取" : label;
      return;
    }
    counted = true;
    button.disabled = true;
    button.textContent = left + " 秒后重发";
    left -= 1;
    setTimeout(tick, 1000);
  }
  tick();
})();
