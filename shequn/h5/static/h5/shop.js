// Shop pages: re-price the checkout when a choice changes; show the chosen spec's price on a product page.
// Without JavaScript the pages still work: the checkout has a "重新计算" button, the product form posts.
(function () {
  var form = document.querySelector("[data-checkout-form]");
  if (form) {
    form.querySelectorAll("[data-requote]").forEach(function (input) {
      input.addEventListener("change", function () {
        var action = document.createElement("input");
        action.type = "hidden";
        action.name = "action";
        action.value = "quote";
        form.appendChild(action);
        form.submit();
      });
    });
    form.addEventListener("submit", function () {
      var place = form.querySelector("[data-place]");
      if (place) setTimeout(function () { place.disabled = true; }, 0);  // one tap, one order
    });
  }
  var box = document.querySelector("[data-price-box]");
  if (box) {
    document.querySelectorAll("input[name=sku][data-price]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        box.querySelector("[data-member-price]").textContent = radio.getAttribute("data-price");
        var list = box.querySelector("[data-list-price]");
        var tag = box.querySelector(".member-tag");
        var saving = radio.getAttribute("data-list") !== radio.getAttribute("data-price");
        if (list) { list.textContent = radio.getAttribute("data-list"); list.hidden = !saving; }
        if (tag) tag.hidden = !saving;
      });
    });
  }
})();
