// The seat grid (templates/staffing/grid.html): move between cells with the arrow
// keys (Enter moves down), paste a column (or block) copied from a spreadsheet
// into a cell to fill down from it, keep the row and column totals up to date,
// and post only the cells changed, packed in one field ("cells"), so that a grid
// of any size can be saved (a national grid has 7,000 cells on one page: typing
// touches one row and one column, never the whole grid). Without JavaScript the
// form posts every cell and the server adds up the totals.
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
    var colCells = Array.prototype.slice.call(table.querySelectorAll("tfoot [data-col-total]"));
    var grandCell = table.querySelector("tfoot [data-grand-total]");
    var messages = {
      changed: table.getAttribute("data-msg-changed") || "",
      held: table.getAttribute("data-msg-held") || "",
      skipped: table.getAttribute("data-msg-skipped") || ""
    };

    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (tr) {
        var last = tr.lastElementChild;
        if (last && last.hasAttribute("data-row-total")) rows.push(tr);
      });
    });

    // The totals are kept as numbers and changed by the difference a cell
    // makes: typing in one cell of a national grid (7,000 cells) touches its
    // row, its column and the grand total, never the whole grid.
    var rowSums = [];
    var colSums = colCells.map(function () { return 0; });
    var grand = 0;
    var changes = 0;
    // Each input: its row (in rows) and column (cell index), the seats it
    // counts for in the totals now, and whether it differs from the page's.
    var place = new WeakMap();
    var inputs = [];
    rows.forEach(function (tr, r) {
      var sum = 0;
      for (var c = 1; c < tr.cells.length - 1; c++) {
        var td = tr.cells[c];
        var input = td.querySelector("input");
        var value;
        if (input) {
          value = seatsOf(input);
          var differs = changed(input);
          place.set(input, { row: r, col: c, counted: value, changed: differs });
          inputs.push(input);
          if (differs) {
            changes += 1;
            mark(input);
          }
        } else {
          var seats = td.getAttribute("data-seats");
          value = seats ? parseInt(seats, 10) : 0;
        }
        sum += value;
        if (c - 1 < colSums.length) colSums[c - 1] += value;
      }
      rowSums.push(sum);
      grand += sum;
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

    function mark(input) {
      var td = input.parentNode;
      td.classList.toggle("pc-grid__changed", changed(input));
      var held = parseInt(input.getAttribute("data-held") || "0", 10);
      var below = held > 0 && seatsOf(input) < held && NUMBER.test(input.value.trim() || "0");
      td.classList.toggle("pc-grid__below", below);
      if (below) input.title = messages.held.replace("%s", String(held));
      else if (input.hasAttribute("title")) input.removeAttribute("title");
    }

    function showStatus() {
      if (!status) return;
      var text = changes ? messages.changed.replace("%s", String(changes)) : "";
      if (status.textContent !== text) status.textContent = text;
    }

    // A total is written into its cell's box (see grid.css: the table is not
    // laid out again for it).
    function show(td, value) {
      if (!td) return;
      var box = td.firstElementChild || td;
      if (box.textContent !== String(value)) box.textContent = String(value);
    }

    function showTotals(r, c) {
      var tr = rows[r];
      show(tr.cells[tr.cells.length - 1], rowSums[r]);
      show(colCells[c - 1], colSums[c - 1]);
      show(grandCell, grand);
    }

    // One cell typed in (or pasted into): its row, column and grand totals
    // move by the difference, the count of changed cells by one at most.
    function refresh(input) {
      var at = place.get(input);
      if (!at) return;
      mark(input);
      var value = seatsOf(input);
      var delta = value - at.counted;
      if (delta) {
        at.counted = value;
        rowSums[at.row] += delta;
        if (at.col - 1 < colSums.length) colSums[at.col - 1] += delta;
        grand += delta;
        showTotals(at.row, at.col);
      }
      var differs = changed(input);
      if (differs !== at.changed) {
        at.changed = differs;
        changes += differs ? 1 : -1;
      }
    }

    table.addEventListener("input", function (event) {
      if (event.target.tagName !== "INPUT") return;
      refresh(event.target);
      showStatus();
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
          refresh(target);
          filled.push(target);
        });
      });
      showStatus();
      if (skipped && status) status.textContent += " " + messages.skipped.replace("%s", String(skipped));
      if (filled.length) filled[filled.length - 1].focus();
    });

    form.addEventListener("submit", function () {
      var tokens = [];
      inputs.forEach(function (input) {
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

    // The totals of the numbers shown (after a refused save: as typed), where
    // the page's differ.
    rows.forEach(function (tr, r) { show(tr.cells[tr.cells.length - 1], rowSums[r]); });
    colCells.forEach(function (td, i) { show(td, colSums[i]); });
    show(grandCell, grand);
    showStatus();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-grid]"), setUp);
    var errors = document.getElementById("grid-errors");
    if (errors) errors.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
