/* ЭЖ: the little vanilla JS the pages need (no inline handlers, so a strict CSP may be set). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) { return; }
    var button = target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();
