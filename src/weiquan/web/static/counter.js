// A live character count under every field with data-limit, so a person sees the limit coming
// instead of finding text cut off. The server refuses text over the limit with the count.
(function () {
  "use strict";
  function attach(field) {
    if (field.dataset.counted) return;
    field.dataset.counted = "1";
    var limit = parseInt(field.dataset.limit, 10);
    var counter = document.createElement("p");
    counter.className = "hint counter";
    counter.id = field.id + "-count";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    function update() {
      var count = Array.from(field.value).length;
      counter.textContent = count + " / " + limit;
      counter.classList.toggle("over", count > limit);
    }
    field.addEventListener("input", update);
    update();
  }
  function attachAll(root) {
    root.querySelectorAll("[data-limit]").forEach(attach);
  }
  document.addEventListener("DOMContentLoaded", function () { attachAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { attachAll(event.target); });
})();
