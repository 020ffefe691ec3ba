// Lists and certificate pages: a copy button beside each shortened identifier (a serial),
// copying the whole value. Hidden without a clipboard; the value stays on hover (title) and
// on the certificate's page, so it can always be copied by hand.
(function () {
  "use strict";

  if (!navigator.clipboard || !window.isSecureContext) return;
  document.querySelectorAll("button.copy-value[data-copy-value]").forEach(function (button) {
    var original = button.getAttribute("title");
    button.hidden = false;
    button.addEventListener("click", function () {
      var value = button.getAttribute("data-copy-value");
      navigator.clipboard.writeText(value).then(
        function () {
          button.classList.add("copied");
          button.setAttribute("title", "Copied");
          window.setTimeout(function () {
            button.classList.remove("copied");
            button.setAttribute("title", original);
          }, 1500);
        },
        function () {
          button.setAttribute("title", "The browser refused to copy: select the value by hand");
        }
      );
    });
  });
})();
