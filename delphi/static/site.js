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
