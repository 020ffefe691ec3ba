// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  // Dates: the reader's time zone (the UTC date stays on hover).
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) {
      el.textContent = d.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
      });
    }
  });

  // SAN rows: show the filled ones (at least one), reveal more with "Add".
  document.querySelectorAll("[data-san-group]").forEach(function (group) {
    var rows = Array.prototype.slice.call(group.querySelectorAll("[data-san-row]"));
    var add = group.querySelector("[data-san-add]");
    function refresh() {
      var hidden = rows.filter(function (r) { return r.hidden; });
      if (add) add.hidden = hidden.length === 0;
    }
    var shown = 0;
    rows.forEach(function (row, i) {
      var input = row.querySelector("input");
      var keep = (input && input.value) || i < Math.max(1, Number(group.dataset.min || 0));
      row.hidden = !keep;
      if (keep) shown++;
      var remove = row.querySelector("[data-san-remove]");
      if (remove) {
        remove.hidden = false;
        remove.addEventListener("click", function () {
          if (input) input.value = "";
          row.hidden = true;
          refresh();
        });
      }
    });
    if (add) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var next = rows.find(function (r) { return r.hidden; });
        if (next) { next.hidden = false; var i = next.querySelector("input"); if (i) i.focus(); }
        refresh();
      });
    }
    refresh();
  });

  // "Add <CN> as a DNS name" (a warning's offer): fill the first empty DNS name row.
  document.querySelectorAll("[data-add-dns]").forEach(function (button) {
    var group = document.querySelector('[data-san-group][data-san-type="DNSNAME"]');
    var inputs = group ? Array.prototype.slice.call(group.querySelectorAll("input")) : [];
    var empty = inputs.find(function (i) { return !i.value && !i.disabled; });
    if (!empty) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var row = empty.closest("[data-san-row]");
      if (row) row.hidden = false;
      empty.value = button.dataset.addDns;
      empty.focus();
      button.hidden = true;
    });
  });

  // Key mode: show the fields of the chosen mode only.
  var modes = document.querySelectorAll("input[name=key_mode]");
  function showMode() {
    var chosen = document.querySelector("input[name=key_mode]:checked");
    document.querySelectorAll("[data-key-mode]").forEach(function (el) {
      el.hidden = chosen && el.dataset.keyMode !== chosen.value;
    });
    // With a CSR, names left blank come from it: the browser stops requiring them.
    document.querySelectorAll("[data-names-mandatory]").forEach(function (el) {
      el.required = !(chosen && chosen.value === "csr");
    });
  }
  modes.forEach(function (m) { m.addEventListener("change", showMode); });
  if (modes.length) showMode();

  // Error summary: take the reader there first (screen readers announce it); its links
  // focus the field they name, revealing a row the SAN script had hidden.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var hidden = target.closest("[hidden]");
      if (hidden && hidden.matches("[data-san-row]")) hidden.hidden = false;
      target.focus();
    });
  }

  // Progress while the portal works (generating an RSA key can take seconds); a second
  // click does not send the form twice.
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      var box = document.getElementById(form.dataset.progress);
      if (box) box.hidden = false;
      if (event.submitter) event.submitter.setAttribute("aria-disabled", "true");
    });
  });

  // --- Small screens (issue 17): a table wider than the screen scrolls inside its own box
  // (Bootstrap's .table-responsive), never the whole page. A box that scrolls takes the
  // keyboard's focus, so that the arrow keys scroll it too.
  var boxes = [];
  document.querySelectorAll("table").forEach(function (table) {
    var box = table.closest(".table-responsive");
    if (!box) {
      box = document.createElement("div");
      box.className = "table-responsive";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    }
    boxes.push(box);
  });
  function focusableWhenScrolling() {
    boxes.forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) box.tabIndex = 0;
      else box.removeAttribute("tabindex");
    });
  }
  focusableWhenScrolling();
  window.addEventListener("resize", focusableWhenScrolling);
})();
