/* Ciudades al Mundo: small enhancements. Every page works without this file. */
(function () {
  "use strict";

  function setupFinder() {
    var form = document.getElementById("finder");
    var list = document.getElementById("cards");
    var count = document.getElementById("count");
    if (!form || !list || !count) return;
    form.hidden = false;
    var cards = Array.prototype.slice.call(list.querySelectorAll(".card"));
    var search = form.querySelector("input[type=search]");
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-facet]"));

    function apply() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      cards.forEach(function (card) {
        var text = card.getAttribute("data-search") || "";
        var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
        selects.forEach(function (select) {
          if (!ok || !select.value) return;
          var values = (card.getAttribute("data-" + select.getAttribute("data-facet")) || "").split(" ");
          ok = values.indexOf(select.value) !== -1;
        });
        card.hidden = !ok;
        if (ok) shown += 1;
      });
      var total = count.getAttribute("data-total");
      count.textContent = shown === 0
        ? count.getAttribute("data-none")
        : count.getAttribute("data-template").replace("{n}", shown).replace("{total}", total);
    }

    search.addEventListener("input", apply);
    selects.forEach(function (select) { select.addEventListener("change", apply); });
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  }

  function sortKey(cell) {
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    var number = Number(value.replace(/[\s\u202f,]/g, ""));
    return value !== "" && !isNaN(number) ? { n: number } : { s: value.toLowerCase() };
  }

  function compare(a, b) {
    if (a.n !== undefined && b.n !== undefined) return a.n - b.n;
    if (a.n !== undefined) return -1;
    if (b.n !== undefined) return 1;
    return a.s.localeCompare(b.s);
  }

  function setupSorting() {
    var lang = document.documentElement.lang === "es" ? "es" : "en";
    var label = lang === "es" ? "Ordenar por " : "Sort by ";
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      var body = table.tBodies[0];
      heads.forEach(function (th, index) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort-button";
        button.textContent = th.textContent;
        button.setAttribute("aria-label", label + th.textContent);
        th.textContent = "";
        th.appendChild(button);
        button.addEventListener("click", function () {
          var ascending = th.getAttribute("aria-sort") !== "ascending";
          heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (r1, r2) {
            var result = compare(sortKey(r1.cells[index]), sortKey(r2.cells[index]));
            return ascending ? result : -result;
          });
          rows.forEach(function (row) { body.appendChild(row); });
        });
      });
    });
  }

  function fillToday() {
    var today = new Date().toISOString().slice(0, 10);
    document.querySelectorAll("[data-today-placeholder]").forEach(function (node) {
      node.textContent = node.textContent.replace(node.getAttribute("data-today-placeholder"), today);
    });
  }

  function start() {
    setupFinder();
    setupSorting();
    fillToday();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
