// A table wider than a phone screen scrolls inside itself (site.css); make it reachable and scrollable by keyboard
// (WCAG 2.1.1), named after the heading above it. Without JavaScript it still scrolls by touch or mouse.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("main table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.tabIndex = 0;
        var heading = table.closest("section") && table.closest("section").querySelector("h2, h3");
        if (heading && !table.hasAttribute("aria-label")) table.setAttribute("aria-label", heading.textContent.trim());
      }
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();

// The messages a page script shows, in the reader's language: the page writes them as JSON into
// <script type="application/json" id="ui-strings-NAME"> (templates/_macros/ui_strings.html). t(key, english,
// values) returns the page's text for key, else the English, with %(name)s filled in from values.
window.delphiStrings = function (name) {
  "use strict";
  var strings = {};
  var el = document.getElementById("ui-strings-" + name);
  try { strings = el ? JSON.parse(el.textContent) : {}; } catch (e) { strings = {}; }
  return function t(key, english, values) {
    var text = typeof strings[key] === "string" ? strings[key] : english;
    if (!values) return text;
    return text.replace(/%\((\w+)\)s/g, function (all, field) { return field in values ? String(values[field]) : all; });
  };
};
