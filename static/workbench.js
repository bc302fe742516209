// Keyboard shortcuts, in the manner of annotation tools: a key works the control that carries
// data-shortcut="<key>" (a link or button is clicked, a field is focused). In the queue, j/k move
// a highlighted row and Enter opens it; x ticks the highlighted row for a bulk action and
// shift+j/k extend the ticks, as does shift-clicking a checkbox. Keys typed into a field are left
// alone (a checkbox is not a field: keys still work after clicking one).
(function () {
  "use strict";

  function typing(target) {
    if (target.matches && target.matches('input[type="checkbox"]')) return false;
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

  // --- Bulk selection: the queue's checkboxes (a plain form without this script) ----------------

  function pickOf(row) {
    return row ? row.querySelector("[data-pick]") : null;
  }

  function showPicked() {
    var rows = queueRows();
    var count = 0;
    rows.forEach(function (row) {
      var box = pickOf(row);
      var on = box !== null && box.checked;
      row.classList.toggle("picked", on);
      if (on) count += 1;
    });
    var label = document.querySelector("[data-selected-count]");
    if (label) label.textContent = count === 1 ? "1 selected" : count + " selected";
    var all = document.querySelector("[data-select-all]");
    if (all) {
      all.checked = count > 0 && count === rows.length;
      all.indeterminate = count > 0 && count < rows.length;
    }
  }

  function highlighted() {
    var rows = queueRows();
    return rows.findIndex(function (row) { return row.classList.contains("selected"); });
  }

  function toggleHighlighted() {
    var rows = queueRows();
    if (rows.length === 0 || pickOf(rows[0]) === null) return false;
    if (highlighted() === -1) moveInQueue(1);
    var box = pickOf(rows[highlighted()]);
    box.checked = !box.checked;
    lastPicked = highlighted();
    showPicked();
    return true;
  }

  function extendSelection(step) {
    var rows = queueRows();
    if (rows.length === 0 || pickOf(rows[0]) === null) return false;
    if (highlighted() === -1) {
      moveInQueue(1);
    } else {
      pickOf(rows[highlighted()]).checked = true;
      moveInQueue(step);
    }
    pickOf(rows[highlighted()]).checked = true;
    lastPicked = highlighted();
    showPicked();
    return true;
  }

  var lastPicked = -1;

  document.addEventListener("click", function (event) {
    var box = event.target.closest ? event.target.closest("[data-pick]") : null;
    if (box === null) return;
    var rows = queueRows();
    var index = rows.indexOf(box.closest("[data-row]"));
    if (event.shiftKey && lastPicked !== -1 && index !== -1) {
      var from = Math.min(lastPicked, index);
      var to = Math.max(lastPicked, index);
      for (var i = from; i <= to; i++) pickOf(rows[i]).checked = box.checked;
    }
    lastPicked = index;
    showPicked();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      queueRows().forEach(function (row) { pickOf(row).checked = event.target.checked; });
      showPicked();
    }
  });

  function startBulk() {
    var all = document.querySelector("[data-select-all]");
    if (all) all.hidden = false;
    if (document.querySelector("[data-pick]")) showPicked();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startBulk);
  } else {
    startBulk();
  }

  // --- The header's menus: <details>, so they open without this script; with it, a click
  // elsewhere or Esc closes an open one, as a menu does. ------------------------------------------

  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }

  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest("details.menu") : null);
  });

  document.addEventListener("keydown", function (event) {
    var open = event.key === "Escape" ? document.querySelector("details.menu[open]") : null;
    if (open === null) return;
    open.open = false;
    open.querySelector("summary").focus();
  });

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
    if ((key === "J" || key === "K") && extendSelection(key === "J" ? 1 : -1)) {
      event.preventDefault();
      return;
    }
    if (key === "x" && toggleHighlighted()) { event.preventDefault(); return; }
    // Enter on a focused button or link (the bulk bar's, say) presses that, not the row.
    var onControl = event.target.closest("a, button, input, select, textarea, summary") !== null;
    if (key === "Enter" && !onControl && openSelected()) { event.preventDefault(); return; }
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
