// The profile editor: add, remove and reorder rule rows; refresh the enroll form preview as
// the admin types (the server renders it from the editor's values, nothing is saved). Each
// section is a page of its own (?section=…): the form holds only that section's fields.
(function () {
  "use strict";
  var form = document.getElementById("profile-editor");
  if (!form) { return; }

  // Saving a profile in use: the summary to confirm is where the keyboard starts.
  var confirmation = document.getElementById("confirm-change");
  if (confirmation) { confirmation.focus(); }

  function renumber(tbody) {
    Array.prototype.forEach.call(tbody.querySelectorAll("[data-row]"), function (row, i) {
      var position = row.querySelector("[data-position]");
      if (position) { position.value = i; }
    });
  }

  document.querySelectorAll("[data-rules]").forEach(function (block) {
    var prefix = block.getAttribute("data-prefix");
    var tbody = block.querySelector("[data-rows]");
    var total = block.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = block.querySelector("template[data-empty-row]");
    var add = block.querySelector("[data-add-row]");
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      tbody.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var row = tbody.lastElementChild;
      wire(row);
      renumber(tbody);
      var first = row.querySelector("input:not([type=hidden]), select");
      if (first) { first.focus(); }
      schedule();
    });
    function wire(row) {
      row.querySelectorAll("[data-move]").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          var step = parseInt(button.getAttribute("data-move"), 10);
          var sibling = step < 0 ? row.previousElementSibling : row.nextElementSibling;
          if (!sibling) { return; }
          if (step < 0) { tbody.insertBefore(row, sibling); } else { tbody.insertBefore(sibling, row); }
          renumber(tbody);
          button.focus();
          schedule();
        });
      });
      var remove = row.querySelector("[data-delete]");
      if (remove) {
        remove.addEventListener("change", function () {
          row.classList.toggle("opacity-50", remove.checked);
          schedule();
        });
      }
    }
    Array.prototype.forEach.call(tbody.querySelectorAll("[data-row]"), wire);
  });

  // Sections and fields of some modules only (data-modules): those of the module chosen.
  var moduleSelect = form.querySelector("select[name='profile-module']");
  function showModule() {
    var chosen = moduleSelect.value;
    form.querySelectorAll("[data-modules]").forEach(function (element) {
      element.hidden = element.getAttribute("data-modules").split(" ").indexOf(chosen) < 0;
    });
  }
  if (moduleSelect) {
    moduleSelect.addEventListener("change", showModule);
    showModule();
  }

  // The whole profile in one form (a new profile): one section in view at a time, chosen in
  // the section list; the others stay in the form and are sent with it. The server checks
  // everything (no browser check on a field out of view) and the section of the first
  // field in error opens.
  if (form.hasAttribute("data-tabbed")) {
    var sections = form.querySelectorAll(".editor-section");
    var links = document.querySelectorAll(".editor-sections a[href^='#section-']");
    var showSection = function (id) {
      sections.forEach(function (section) { section.hidden = section.id !== id; });
      links.forEach(function (link) {
        var on = link.getAttribute("href") === "#" + id;
        link.classList.toggle("active", on);
        if (on) { link.setAttribute("aria-current", "step"); } else { link.removeAttribute("aria-current"); }
      });
    };
    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        showSection(link.getAttribute("href").slice(1));
      });
    });
    form.noValidate = true;
    var invalid = form.querySelector(".is-invalid, .invalid-feedback");
    var start = invalid ? invalid.closest(".editor-section") : document.getElementById(location.hash.slice(1));
    if (!start || !start.classList.contains("editor-section")) { start = sections[0]; }
    if (start) { showSection(start.id); }
  }

  var pane = document.getElementById("preview-pane");
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var sequence = 0;
  function refresh() {
    var mine = ++sequence;
    var body = new FormData(form);
    body.set("action", "preview");
    fetch(url, { method: "POST", body: body, credentials: "same-origin",
                 headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) { if (mine === sequence) { pane.innerHTML = html; } })
      .catch(function () { /* the Preview button still works */ });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
})();
