/* Keyboard shortcuts of the staff ticket page, and focus after htmx swaps.
 *
 * r: public reply, n: internal note, s: status, a: assign to me, t: log time, ?: the list.
 * Shortcuts never fire while typing in a field (Esc leaves the field), nor with Ctrl, Alt or
 * Meta held, so browser and screen-reader keys keep working. Elements are looked up at each
 * key press: htmx replaces the whole region after every action.
 */
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(
      target.isContentEditable ||
        target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']")
    );
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function focusField(element) {
    if (!element) return false;
    element.scrollIntoView({ block: "center" });
    element.focus();
    return true;
  }

  function writeMessage(visibility) {
    var choice = document.querySelector(
      "#ticket-page input[name='visibility'][value='" + visibility + "']"
    );
    if (choice) choice.checked = true;
    return focusField(byId("id_body"));
  }

  function toggleShortcuts() {
    var list = byId("shortcuts");
    if (!list) return false;
    list.open = !list.open;
    if (list.open) list.querySelector("summary").focus();
    return true;
  }

  var actions = {
    r: function () { return writeMessage("public"); },
    n: function () { return writeMessage("internal"); },
    s: function () { return focusField(byId("id_status")); },
    t: function () { return focusField(byId("id_minutes")); },
    a: function () {
      var button = byId("assign-me");
      if (!button) return false;
      button.click();
      return true;
    },
    "?": toggleShortcuts,
  };

  document.addEventListener("keydown", function (event) {
    if (!byId("ticket-page")) return;
    if (event.key === "Escape" && typing(event.target)) {
      event.target.blur();
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
    if (typing(event.target)) return;
    var action = actions[event.key];
    if (action && action()) event.preventDefault();
  });

  // After a swap, show where things stand. htmx:load fires on the new content itself (the
  // replaced element is detached, so events on it never reach the document).
  document.addEventListener("htmx:load", function (event) {
    var element = event.target;
    if (element.id === "reply-body") {
      var body = byId("id_body");
      var canned = byId("canned");
      if (canned) canned.open = false;
      if (body) {
        body.focus();
        body.setSelectionRange(body.value.length, body.value.length);
      }
      return;
    }
    if (element.id !== "ticket-page") return;
    // An action's answer: the first field in error, else the messages.
    var invalid = element.querySelector("[aria-invalid='true']");
    if (invalid) {
      focusField(invalid);
      return;
    }
    var messages = element.querySelector(".messages");
    if (messages) messages.focus();
  });
})();
