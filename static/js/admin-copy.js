// Admin pages: copy a value shown once (a new API key) to the clipboard. The value sits in a
// read-only input, selected when it gets the focus, so it can always be copied by hand; the
// Copy button appears only where the browser offers the clipboard.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy]").forEach(function (box) {
    var source = box.querySelector("[data-copy-source]");
    var button = box.querySelector("[data-copy-button]");
    var status = box.querySelector("[data-copy-status]");
    if (!source) return;

    source.addEventListener("focus", function () { source.select(); });
    source.addEventListener("click", function () { source.select(); });

    if (!button || !navigator.clipboard || !window.isSecureContext) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(
        function () {
          if (status) status.textContent = "Copied to the clipboard.";
          button.textContent = "Copied";
        },
        function () {
          source.focus();
          if (status) status.textContent = "The browser refused to copy: the key is selected, copy it with Ctrl+C (⌘C).";
        }
      );
    });
  });
})();
