// Admin pages: a filter box above a long checkbox list (team members and managers). Without
// this file the whole list shows and the form works the same.
(function () {
  "use strict";

  document.querySelectorAll("[data-filter-list]").forEach(function (box) {
    var input = box.querySelector("[data-filter-input]");
    var items = Array.prototype.slice.call(box.querySelectorAll(".form-check"));
    if (!input || items.length === 0) return;
    input.hidden = false;
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
      items.forEach(function (item) {
        var text = item.textContent.toLowerCase();
        var checkbox = item.querySelector("input");
        // A ticked account always stays in sight: filtering never hides a choice made.
        var keep = (checkbox && checkbox.checked) || words.every(function (w) {
          return text.indexOf(w) !== -1;
        });
        item.hidden = !keep;
      });
    });
  });
})();
