"use strict";
(function () {
  var table = document.querySelector("table.findings");
  if (!table) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("q");
  var severity = document.getElementById("severity");
  var rule = document.getElementById("rule");
  var sheet = document.getElementById("sheet");
  var fixable = document.getElementById("fixable");
  var shown = document.getElementById("shown-count");
  var none = document.querySelector("#findings .none");

  function apply() {
    var text = search.value.trim().toLowerCase();
    var count = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var visible = (!severity.value || d.severity === severity.value) &&
        (!rule.value || d.code === rule.value) &&
        (!sheet.value || d.sheet === sheet.value) &&
        (!fixable.checked || d.fixable === "1") &&
        (!text || row.textContent.toLowerCase().indexOf(text) !== -1);
      row.hidden = !visible;
      if (visible) count++;
    });
    shown.textContent = count;
    none.hidden = count !== 0;
  }
  [search, severity, rule, sheet, fixable].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  document.getElementById("reset").addEventListener("click", function () {
    setTimeout(apply, 0);
  });
  document.querySelector("form.filters").addEventListener("submit", function (e) {
    e.preventDefault();
  });

  function showOnly(select, value) {
    select.value = value;
    apply();
    document.getElementById("findings").scrollIntoView({ behavior: "smooth" });
  }
  document.querySelectorAll(".bar[data-rule]").forEach(function (bar) {
    bar.addEventListener("click", function () { showOnly(rule, bar.dataset.rule); });
  });
  document.querySelectorAll(".bar[data-sheet]").forEach(function (bar) {
    bar.addEventListener("click", function () { showOnly(sheet, bar.dataset.sheet); });
  });

  // A link can open the table filtered: report.html#rule=SKU001&severity=error
  var wanted = new URLSearchParams(location.hash.slice(1));
  if (wanted.has("q")) search.value = wanted.get("q");
  [["severity", severity], ["rule", rule], ["sheet", sheet]].forEach(function (pair) {
    if (wanted.has(pair[0])) pair[1].value = wanted.get(pair[0]);
  });
  fixable.checked = wanted.get("fixable") === "1";
  apply();

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var headers = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers, function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var col = Number(th.dataset.col);
      var direction = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
      function key(row) {
        var cell = row.cells[col];
        return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
      }
      rows.sort(function (a, b) {
        return direction * collator.compare(key(a), key(b)) ||
          Number(a.dataset.order) - Number(b.dataset.order);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
