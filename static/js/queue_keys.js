// Keyboard shortcuts of the ticket queue: "/" search, j/k move between rows, x select the row,
// Enter or o open it. Never while typing in a field; the list of keys is shown on the page.
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#results tr[data-ticket]"));
  }

  function current(list) {
    var active = document.activeElement;
    for (var i = 0; i < list.length; i++) {
      if (list[i].contains(active) || list[i].classList.contains("row-current")) return i;
    }
    return -1;
  }

  function focusRow(list, index) {
    list.forEach(function (row) { row.classList.remove("row-current"); });
    var row = list[Math.max(0, Math.min(index, list.length - 1))];
    if (!row) return;
    row.classList.add("row-current");
    var link = row.querySelector("td.subject a, a");
    if (link) link.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    var list = rows();
    var index = current(list);
    switch (event.key) {
      case "/":
        var search = document.getElementById("id_q");
        if (search) { event.preventDefault(); search.focus(); search.select(); }
        break;
      case "j":
        event.preventDefault();
        focusRow(list, index + 1);
        break;
      case "k":
        event.preventDefault();
        focusRow(list, index < 0 ? 0 : index - 1);
        break;
      case "x":
        if (index >= 0) {
          var box = list[index].querySelector("input[type=checkbox]");
          if (box) { event.preventDefault(); box.checked = !box.checked; }
        }
        break;
      case "o":
        if (index >= 0) {
          var open = list[index].querySelector("td.subject a");
          if (open) { event.preventDefault(); window.location.assign(open.href); }
        }
        break;
    }
  });
})();
