// The seat grid (templates/staffing/grid.html): move between cells with the arrow
// keys (Enter moves down), paste a column (or block) copied from a spreadsheet
// into a cell to fill down from it, keep the row and column totals up to date,
// and post only the cells changed, packed in one field ("cells"), so that a grid
// of any size can be saved. Without JavaScript the form posts every cell and the
// server adds up the totals.
(function () {
  "use strict";

  var NUMBER = /^\d+$/;

  function seatsOf(input) {
    var value = input.value.trim();
    if (value === "") return 0;
    return NUMBER.test(value) ? parseInt(value, 10) : 0;
  }

  function refOf(input) {
    var name = input.getAttribute("name");
    if (name && name.charAt(0) === "c") return name.slice(1);
    return input.getAttribute("data-c");
  }

  function wasOf(input) {
    var ref = refOf(input) || "";
    return parseInt(ref.split(".")[2] || "0", 10);
  }

  function changed(input) {
    var value = input.value.trim();
    var was = wasOf(input);
    if (value === "") return was !== 0;
    return !(NUMBER.test(value) && parseInt(value, 10) === was);
  }

  function setUp(table) {
    var form = table.closest("form");
    var status = form.querySelector("[data-grid-status]");
    var rows = [];
    var colTotals = Array.prototype.slice.call(table.querySelectorAll("tfoot [data-col-total]"));
    var grandTotal = table.querySelector("tfoot [data-grand-total]");
    var messages = {
      changed: table.getAttribute("data-msg-changed") || "",
      held: table.getAttribute("data-msg-held") || "",
      skipped: table.getAttribute("data-msg-skipped") || ""
    };

    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (tr) {
        if (tr.querySelector("[data-row-total]")) rows.push(tr);
      });
    });

    // Where each input is: its row (in rows) and column (cell index).
    var place = new WeakMap();
    rows.forEach(function (tr, r) {
      Array.prototype.forEach.call(tr.cells, function (td, c) {
        var input = td.querySelector("input");
        if (input) place.set(input, { row: r, col: c });
      });
    });

    function inputAt(r, c) {
      var tr = rows[r];
      if (!tr || !tr.cells[c]) return null;
      return tr.cells[c].querySelector("input");
    }

    function move(input, dr, dc) {
      var at = place.get(input);
      if (!at) return;
      var r = at.row + dr;
      var c = at.col + dc;
      while (r >= 0 && r < rows.length && c > 0 && c < rows[r].cells.length) {
        var next = inputAt(r, c);
        if (next) {
          next.focus();
          next.select();
          return;
        }
        r += dr;
        c += dc;
      }
    }

    function cellValue(td) {
      var input = td.querySelector("input");
      if (input) return seatsOf(input);
      var seats = td.getAttribute("data-seats");
      return seats ? parseInt(seats, 10) : 0;
    }

    function totals() {
      var cols = colTotals.map(function () { return 0; });
      var changes = 0;
      rows.forEach(function (tr) {
        var sum = 0;
        for (var c = 1; c < tr.cells.length - 1; c++) {
          var value = cellValue(tr.cells[c]);
          sum += value;
          cols[c - 1] += value;
        }
        tr.cells[tr.cells.length - 1].textContent = String(sum);
      });
      cols.forEach(function (value, i) { colTotals[i].textContent = String(value); });
      if (grandTotal) grandTotal.textContent = String(cols.reduce(function (a, b) { return a + b; }, 0));
      Array.prototype.forEach.call(table.querySelectorAll("input"), function (input) {
        if (changed(input)) changes += 1;
      });
      return changes;
    }

    function mark(input) {
      var td = input.parentNode;
      td.classList.toggle("pc-grid__changed", changed(input));
      var held = parseInt(input.getAttribute("data-held") || "0", 10);
      var below = held > 0 && seatsOf(input) < held && NUMBER.test(input.value.trim() || "0");
      td.classList.toggle("pc-grid__below", below);
      if (below) input.title = messages.held.replace("%s", String(held));
      else input.removeAttribute("title");
    }

    function update(input) {
      if (input) mark(input);
      var changes = totals();
      if (status) status.textContent = changes ? messages.changed.replace("%s", String(changes)) : "";
    }

    // Row totals refresh one row; the whole sum is cheap enough for 7,000 cells,
    // but only done once per animation frame.
    var pending = false;
    function later() {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        update(null);
      });
    }

    table.addEventListener("input", function (event) {
      if (event.target.tagName !== "INPUT") return;
      mark(event.target);
      later();
    });

    table.addEventListener("focusin", function (event) {
      if (event.target.tagName === "INPUT") event.target.select();
    });

    table.addEventListener("keydown", function (event) {
      var input = event.target;
      if (input.tagName !== "INPUT" || event.altKey || event.metaKey || event.ctrlKey) return;
      var length = input.value.length;
      var whole = input.selectionStart === 0 && input.selectionEnd === length;
      switch (event.key) {
        case "ArrowUp": move(input, -1, 0); break;
        case "ArrowDown": move(input, 1, 0); break;
        case "Enter": move(input, event.shiftKey ? -1 : 1, 0); break;
        case "ArrowLeft":
          if (!whole && input.selectionStart > 0) return;
          move(input, 0, -1);
          break;
        case "ArrowRight":
          if (!whole && input.selectionEnd < length) return;
          move(input, 0, 1);
          break;
        default: return;
      }
      event.preventDefault();
    });

    table.addEventListener("paste", function (event) {
      var input = event.target;
      var at = place.get(input);
      var data = event.clipboardData || window.clipboardData;
      if (!at || !data) return;
      var text = data.getData("text/plain") || data.getData("text") || "";
      if (!/[\r\n\t]/.test(text)) return; // one value: the browser pastes it
      event.preventDefault();
      var lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
      var skipped = 0;
      var filled = [];
      lines.forEach(function (line, i) {
        line.split("\t").forEach(function (value, j) {
          var target = inputAt(at.row + i, at.col + j);
          if (!target) {
            skipped += 1;
            return;
          }
          target.value = value.trim();
          mark(target);
          filled.push(target);
        });
      });
      update(null);
      if (skipped && status) status.textContent += " " + messages.skipped.replace("%s", String(skipped));
      if (filled.length) filled[filled.length - 1].focus();
    });

    form.addEventListener("submit", function () {
      var tokens = [];
      Array.prototype.forEach.call(table.querySelectorAll("input"), function (input) {
        var ref = refOf(input);
        if (!ref) return;
        if (changed(input)) tokens.push(ref + "=" + input.value.trim().replace(/\s+/g, "_"));
        // Posted packed, not as one field each (a national grid has 7,000).
        input.setAttribute("data-c", ref);
        input.removeAttribute("name");
      });
      var packed = document.createElement("input");
      packed.type = "hidden";
      packed.name = "cells";
      packed.value = tokens.join(" ");
      form.appendChild(packed);
    });

    Array.prototype.forEach.call(table.querySelectorAll("input"), function (input) {
      if (changed(input)) mark(input);
    });
    update(null);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-grid]"), setUp);
    var errors = document.getElementById("grid-errors");
    if (errors) errors.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
