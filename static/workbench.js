// Keyboard shortcuts, in the manner of annotation tools: a key works the control that carries
// data-shortcut="<key>" (a link or button is clicked, a field is focused). In the queue, j/k move
// a highlighted row and Enter opens it. Keys typed into a field are left alone.
(function () {
  "use strict";

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function visible(element) {
    return element.offsetParent !== null || element.getClientRects().length > 0;
  }

  function control(key) {
    var found = document.querySelectorAll('[data-shortcut="' + CSS.escape(key) + '"]');
    for (var i = 0; i < found.length; i++) {
      if (visible(found[i]) && !found[i].disabled) return found[i];
    }
    return null;
  }

  function queueRows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-queue] [data-row]"));
  }

  function moveInQueue(step) {
    var rows = queueRows();
    if (rows.length === 0) return false;
    var current = rows.findIndex(function (row) { return row.classList.contains("selected"); });
    var next = current === -1 ? 0 : Math.min(rows.length - 1, Math.max(0, current + step));
    rows.forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-current"); });
    rows[next].classList.add("selected");
    rows[next].setAttribute("aria-current", "true");
    rows[next].scrollIntoView({ block: "nearest" });
    return true;
  }

  function openSelected() {
    var row = document.querySelector("[data-queue] [data-row].selected [data-open]");
    if (row) { row.click(); return true; }
    return false;
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (help) help.hidden = !help.hidden;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      if (typing(event.target)) { event.target.blur(); return; }
      var help = document.getElementById("shortcuts");
      if (help) help.hidden = true;
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    if (key === "?") { toggleHelp(); event.preventDefault(); return; }
    if ((key === "j" || key === "k") && moveInQueue(key === "j" ? 1 : -1)) {
      event.preventDefault();
      return;
    }
    if (key === "Enter" && openSelected()) { event.preventDefault(); return; }
    var target = control(key);
    if (target === null) return;
    event.preventDefault();
    if (target.matches("input, textarea, select")) {
      target.focus();
      if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
    } else {
      target.click();
    }
  });
})();
