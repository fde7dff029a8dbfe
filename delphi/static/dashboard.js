// Consensus dashboard: take a panelist's suggested rewording as the starting text of a revision.
// The page works without this (the comments are readable and the wording box can be edited by hand).
(function () {
  "use strict";
  document.querySelectorAll("button.use-wording").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-target"));
      var text = button.parentNode.querySelector(".comment-text");
      if (!target || !text) return;
      target.value = text.textContent.trim();
      var form = target.closest("form");
      var select = form && form.querySelector("select[name=decision]");
      if (select) select.value = "revise";
      target.focus();
    });
  });
})();
