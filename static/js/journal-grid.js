/* ЭЖ: keyboard-first editing of the journal grid (no framework, no inline handlers).
 *
 * Arrows move the cursor; a digit or a letter starts editing the cell with that character;
 * Enter saves and goes down, Tab / Shift+Tab right / left, Esc cancels; Delete or Backspace
 * clears the cell; F2, «?» or a double click opens the cell's details. Each save is a POST
 * (lesson, student, value, was[, reason]) to the table's data-save, shown at once and
 * confirmed, refused or queued for a retry by the answer. Saves of one cell go in order. */
(function () {
  "use strict";

  var LETTERS = { "н": 1, "б": 1, "у": 1, "п": 1, "оп": 1 };

  function init() {
    var table = document.getElementById("journal-grid");
    if (!table || !table.dataset.save) { return; }
    var saveUrl = table.dataset.save;
    var detailUrl = table.dataset.detail || saveUrl;
    var fromPaper = table.dataset.paper === "1"; // carrying over the paper journal (R-OPS-5)
    var status = document.getElementById("journal-status");
    var statusText = status ? status.querySelector(".j-status-text") : null;
    var retryButton = status ? status.querySelector(".j-retry") : null;
    var dialog = document.getElementById("journal-reason");
    var panel = document.getElementById("journal-panel");
    var token = csrfToken();
    var cursor = null;
    var editor = null; // {td, input, before}
    var queues = {}; // cell key -> Promise chain (saves of one cell in order)
    var failed = []; // cells whose last save did not reach the server: {td, value, was, reason}

    table.tabIndex = 0;
    var first = table.querySelector("td[data-l]");
    if (first) { setCursor(first, false); }

    function csrfToken() {
      try {
        var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
        return headers["x-csrftoken"] || "";
      } catch (e) { return ""; }
    }

    function say(text, kind) {
      if (!statusText) { return; }
      statusText.textContent = text;
      status.classList.toggle("is-error", kind === "error");
      status.classList.toggle("is-ok", kind === "ok");
      if (retryButton) { retryButton.hidden = failed.length === 0; }
    }

    function student(td) { return td.parentNode.dataset.s; }
    function key(td) { return td.dataset.l + ":" + student(td); }

    function who(td) {
      var row = td.parentNode;
      var head = table.tHead.rows[1] ? table.tHead.rows[1].cells[td.cellIndex - 2] : null;
      var link = head ? head.querySelector("a") : null;
      var day = link ? link.title.split(",")[0] : "";
      return (row.dataset.name || "") + (day ? ", " + day : "");
    }

    // --- cursor ---------------------------------------------------------------------------
    function setCursor(td, scroll) {
      if (cursor) { cursor.classList.remove("cursor"); }
      cursor = td;
      td.classList.add("cursor");
      if (scroll !== false && td.scrollIntoView) { td.scrollIntoView({ block: "nearest", inline: "nearest" }); }
    }

    function editable(td) { return td && td.hasAttribute("data-l"); }

    function step(td, dRow, dCol) {
      var rows = table.tBodies[0].rows;
      var r = td.parentNode.sectionRowIndex;
      var c = td.cellIndex;
      for (;;) {
        r += dRow;
        c += dCol;
        if (r < 0 || r >= rows.length) { return null; }
        var cell = rows[r].cells[c];
        if (!cell) { return null; }
        if (editable(cell)) { return cell; }
      }
    }

    function move(dRow, dCol) {
      if (!cursor) { return false; }
      var next = step(cursor, dRow, dCol);
      if (next) { setCursor(next); return true; }
      return false;
    }

    // --- showing a cell's text --------------------------------------------------------------
    function show(td, text) {
      while (td.firstChild) { td.removeChild(td.firstChild); }
      var parts = (text || "").split(/\s+/).filter(Boolean);
      parts.forEach(function (part, i) {
        if (i) { td.appendChild(document.createTextNode(" ")); }
        var el = document.createElement(LETTERS[part.toLowerCase()] ? "i" : "b");
        el.textContent = part;
        td.appendChild(el);
      });
    }

    function mark(td, state, title) {
      td.classList.remove("saving", "failed", "conflict", "saved");
      if (state) { td.classList.add(state); }
      if (title !== undefined) {
        if (title) { td.title = title; } else { td.removeAttribute("title"); }
      }
    }

    // --- the editor -------------------------------------------------------------------------
    function startEdit(td, text) {
      if (editor) { finishEdit(false); }
      setCursor(td, false);
      var input = document.createElement("input");
      input.type = "text";
      input.maxLength = 40;
      input.autocomplete = "off";
      input.spellcheck = false;
      input.setAttribute("aria-label", "Запись в клетке: " + who(td));
      input.value = text;
      editor = { td: td, input: input, before: Array.prototype.slice.call(td.childNodes) };
      while (td.firstChild) { td.removeChild(td.firstChild); }
      td.classList.add("editing");
      td.appendChild(input);
      input.focus();
      var end = input.value.length;
      input.setSelectionRange(end, end);
      input.addEventListener("keydown", onEditorKey);
      input.addEventListener("blur", function () {
        if (editor && editor.input === input) { finishEdit(true); }
      });
    }

    function finishEdit(save) {
      var ed = editor;
      if (!ed) { return; }
      editor = null;
      var td = ed.td;
      delete td.dataset.typed;
      var value = ed.input.value.replace(/\s+/g, " ").trim();
      td.classList.remove("editing");
      td.removeChild(ed.input);
      if (!save || value === (td.dataset.v || "")) {
        ed.before.forEach(function (n) { td.appendChild(n); });
      } else {
        send(td, value, "");
      }
      table.focus({ preventScroll: true });
    }

    function onEditorKey(event) {
      var k = event.key;
      if (k === "Enter") { event.preventDefault(); finishEdit(true); move(1, 0); }
      else if (k === "Tab") { event.preventDefault(); finishEdit(true); move(0, event.shiftKey ? -1 : 1); }
      else if (k === "Escape") { event.preventDefault(); finishEdit(false); }
      else if (k === "ArrowDown" || k === "ArrowUp") {
        event.preventDefault(); finishEdit(true); move(k === "ArrowDown" ? 1 : -1, 0);
      }
      event.stopPropagation();
    }

    // --- saving -------------------------------------------------------------------------------
    function send(td, value, reason) {
      show(td, value);
      mark(td, "saving", "Сохраняется…");
      var k = key(td);
      var prev = queues[k] || Promise.resolve();
      var next = prev.then(function () { return post(td, value, reason); });
      queues[k] = next.catch(function () {});
      return next;
    }

    function post(td, value, reason) {
      var was = td.dataset.v || "";
      var body = new URLSearchParams();
      body.set("lesson", td.dataset.l);
      body.set("student", student(td));
      body.set("value", value);
      body.set("was", was);
      if (reason) { body.set("reason", reason); }
      if (fromPaper) { body.set("paper", "1"); }
      var job = { td: td, value: value, was: was, reason: reason };
      return fetch(saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "x-csrftoken": token, "Accept": "application/json",
                   "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
        body: body.toString()
      }).then(function (response) {
        return response.text().then(function (text) {
          var data = null;
          try { data = JSON.parse(text); } catch (e) { data = null; }
          answer(job, response.status, data || {});
        });
      }, function () {
        unsaved(job, "Не сохранено: нет связи с сервером");
      });
    }

    function forget(td) {
      failed = failed.filter(function (j) { return j.td !== td; });
    }

    function answer(job, code, data) {
      var td = job.td;
      if (code === 200) {
        forget(td);
        if (data.state === "pending") {
          show(td, job.was);
          td.dataset.pending = "1";
          mark(td, "", "Исправление ждёт утверждения: «" + job.value + "»");
          say("Исправление (" + who(td) + ": «" + job.value + "») ждёт утверждения заместителем директора", "ok");
          return;
        }
        var text = typeof data.text === "string" ? data.text : job.value;
        td.dataset.v = text;
        delete td.dataset.typed;
        delete td.dataset.pending;
        show(td, text);
        mark(td, "saved", "");
        window.setTimeout(function () { td.classList.remove("saved"); }, 1500);
        say(data.state === "same" ? "Без изменений" : "Сохранено: " + who(td) + (text ? " — " + text : " — пусто"), "ok");
        return;
      }
      if (code === 409) {
        forget(td);
        var current = typeof data.current === "string" ? data.current : (td.dataset.v || "");
        td.dataset.v = current;
        show(td, current);
        mark(td, "conflict", "Клетку уже изменили: сейчас в ней «" + current + "»");
        say(data.error || "Клетку уже изменил другой пользователь; ваша запись не сохранена", "error");
        return;
      }
      if (code === 422 && data.need) {
        forget(td);
        askReason(job, data);
        return;
      }
      if (code === 400 || code === 422 || code === 404 || code === 403) {
        forget(td);
        mark(td, "failed", data.error || "Не сохранено");
        say((data.error || (code === 403 ? "Не сохранено: обновите страницу и войдите снова" : "Не сохранено")) +
            " (" + who(td) + ")", "error");
        if (code === 400 || code === 422) {
          td.dataset.typed = job.value; // Enter on the cell brings the typed text back for fixing
          show(td, td.dataset.v || "");
          if (!editor) {
            setCursor(td);
            startEdit(td, job.value);
            td.classList.add("failed");
          }
        } else {
          show(td, td.dataset.v || "");
        }
        return;
      }
      unsaved(job, "Не сохранено (ошибка сервера " + code + ")");
    }

    function unsaved(job, message) {
      forget(job.td);
      failed.push(job);
      mark(job.td, "failed", "Не сохранено: «" + job.value + "». Нажмите, чтобы повторить");
      say(message + ". Записей ждут повтора: " + failed.length, "error");
    }

    function retry(only) {
      var jobs = failed.filter(function (j) { return !only || j.td === only; });
      failed = failed.filter(function (j) { return only && j.td !== only; });
      jobs.forEach(function (j) { send(j.td, j.value, j.reason); });
      if (jobs.length) { say("Повторяю сохранение…"); }
    }

    // --- the reason dialog --------------------------------------------------------------------
    function askReason(job, data) {
      var td = job.td;
      if (!dialog || !dialog.showModal) {
        show(td, td.dataset.v || "");
        mark(td, "failed", data.error);
        say(data.error || "Нужна причина исправления", "error");
        return;
      }
      var text = dialog.querySelector(".j-reason-text");
      var input = dialog.querySelector("textarea");
      var explain = data.need === "approval"
        ? " Исправление вступит в силу после утверждения заместителем директора."
        : "";
      text.textContent = (data.error || "Запись закрыта для свободного изменения.") + explain +
        " " + who(td) + ": «" + (job.was || "пусто") + "» → «" + (job.value || "пусто") + "».";
      input.value = job.reason || "";
      dialog.returnValue = "";
      var onClose = function () {
        dialog.removeEventListener("close", onClose);
        var reason = input.value.trim();
        if (dialog.returnValue === "ok" && reason) {
          send(td, job.value, reason);
        } else {
          show(td, td.dataset.v || "");
          mark(td, "", "");
          say("Изменение отменено: причина не указана");
          table.focus({ preventScroll: true });
        }
      };
      dialog.addEventListener("close", onClose);
      dialog.showModal();
      input.focus();
    }

    // --- the detail panel ---------------------------------------------------------------------
    function openDetail(td) {
      if (!panel || !editable(td)) { return; }
      var body = panel.querySelector(".j-panel-body");
      body.textContent = "Загрузка…";
      panel.hidden = false;
      fetch(detailUrl + "/" + td.dataset.l + "/" + student(td), {
        credentials: "same-origin", headers: { "HX-Request": "true", "Accept": "text/html" }
      }).then(function (response) {
        return response.text().then(function (html) {
          if (!response.ok) { body.textContent = "Подробности клетки недоступны (" + response.status + ")"; return; }
          body.innerHTML = html;
          if (window.htmx && window.htmx.process) { window.htmx.process(body); }
        });
      }, function () { body.textContent = "Нет связи с сервером"; });
    }

    if (panel) {
      panel.querySelector(".j-panel-close").addEventListener("click", function () {
        panel.hidden = true;
        table.focus({ preventScroll: true });
      });
    }
    if (retryButton) { retryButton.addEventListener("click", function () { retry(null); }); }

    // --- mouse and keyboard -------------------------------------------------------------------
    table.addEventListener("click", function (event) {
      var td = event.target.closest ? event.target.closest("td") : null;
      if (!td || !editable(td) || (editor && editor.td === td)) { return; }
      setCursor(td, false);
      table.focus({ preventScroll: true });
      if (td.classList.contains("failed") && failed.some(function (j) { return j.td === td; })) { retry(td); }
    });
    table.addEventListener("dblclick", function (event) {
      var td = event.target.closest ? event.target.closest("td") : null;
      if (td && editable(td) && !editor) { openDetail(td); }
    });

    document.addEventListener("keydown", function (event) {
      if (editor || !cursor) { return; }
      if (dialog && dialog.open) { return; }
      var active = document.activeElement;
      if (active && active !== table && active !== document.body && table.contains(active) === false) { return; }
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      var k = event.key;
      var moves = { ArrowDown: [1, 0], ArrowUp: [-1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (moves[k]) { event.preventDefault(); move(moves[k][0], moves[k][1]); return; }
      if (k === "Tab") {
        if (move(0, event.shiftKey ? -1 : 1)) { event.preventDefault(); }
        return;
      }
      if (k === "Enter") {
        event.preventDefault();
        var typed = cursor.dataset.typed;
        startEdit(cursor, typed !== undefined ? typed : (cursor.dataset.v || ""));
        return;
      }
      if (k === "F2" || k === "?") { event.preventDefault(); openDetail(cursor); return; }
      if (k === "Delete" || k === "Backspace") {
        event.preventDefault();
        if (cursor.dataset.v) { send(cursor, "", ""); }
        return;
      }
      if (k === "Escape" && panel && !panel.hidden) { panel.hidden = true; return; }
      if (k.length === 1 && /[0-9A-Za-zА-Яа-яЁё]/.test(k)) {
        event.preventDefault();
        startEdit(cursor, k);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
