// Pages by URL fragment (#executive, #team-<slug>; the section's id is "page-" + that, so the
// browser does not scroll to it), charts drawn when their page is first shown, and sortable
// tables (click a header; numbers sort by their data-sort value).
(function () {
  "use strict";
  var pages = Array.prototype.slice.call(document.querySelectorAll("section.page"));
  var select = document.getElementById("team-select");

  function drawCharts(page) {
    page.querySelectorAll("div.chart").forEach(function (div) {
      if (div.dataset.drawn) { return; }
      var figure = JSON.parse(div.nextElementSibling.textContent);
      window.Plotly.newPlot(div, figure.data, figure.layout,
        { displaylogo: false, responsive: true });
      div.dataset.drawn = "true";
    });
  }

  function show() {
    var id = decodeURIComponent(window.location.hash.replace(/^#/, "")) || "executive";
    var target = document.getElementById("page-" + id);
    if (!target || !target.classList.contains("page")) { target = pages[0]; }
    var route = target.dataset.page;
    pages.forEach(function (page) { page.hidden = page !== target; });
    select.value = route === "executive" ? "" : route;
    document.title = "AI FinOps report: " + target.querySelector("h2").textContent;
    drawCharts(target);
    document.body.dataset.page = route;
  }

  select.addEventListener("change", function () {
    window.location.hash = select.value || "executive";
  });
  window.addEventListener("hashchange", function () { show(); window.scrollTo(0, 0); });

  function sortBy(th) {
    var table = th.closest("table");
    var column = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) {
      var cell = row.cells[column];
      var sort = cell.getAttribute("data-sort");
      return sort === null ? cell.textContent : parseFloat(sort);
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var order = (typeof x === "number" && typeof y === "number") ? x - y
        : String(x).localeCompare(String(y));
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable th").forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { sortBy(th); }
    });
  });
  show();
})();
