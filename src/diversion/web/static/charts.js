// The flows dashboard: each .chart element names a <script type="application/json"> holding
// a Plotly figure built by the server; plotly.js comes from the plotly wheel (/assets/plotly.min.js).
(function () {
  "use strict";
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll(".chart[data-figure]").forEach((el) => {
    const src = document.getElementById(el.dataset.figure);
    if (!src) return;
    const fig = JSON.parse(src.textContent);
    Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false }).then(() => {
      el.dataset.ready = "true";
    });
  });
})();
