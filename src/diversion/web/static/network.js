// The entity page's network neighbourhood, drawn by Cytoscape.js (vendor/cytoscape.min.js).
// Data comes from GET /entities/{id}/network; clicking a company node opens its page.
(function () {
  "use strict";
  const box = document.getElementById("network");
  const status = document.getElementById("network-status");
  if (!box || typeof cytoscape !== "function") return;

  const style = [
    { selector: "node", style: {
      "label": "data(label)", "font-size": 11, "text-wrap": "ellipsis", "text-max-width": 140,
      "text-valign": "bottom", "text-margin-y": 4, "color": "#1f2933",
      "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 2,
      "background-color": "#9aa5b1", "width": 18, "height": 18, "border-width": 1, "border-color": "#ffffff" } },
    { selector: "node[kind = 'entity']", style: { "shape": "ellipse" } },
    { selector: "node[kind = 'brand']", style: { "shape": "round-rectangle", "background-color": "#c3b1e1" } },
    { selector: "node[kind = 'domain']", style: { "shape": "diamond", "background-color": "#a3d9c9" } },
    { selector: "node[kind = 'country']", style: { "shape": "hexagon", "background-color": "#e4e7eb" } },
    { selector: "node[?lead]", style: { "background-color": "#f0b429" } },
    { selector: "node[?sanctioned]", style: { "background-color": "#d64545", "border-color": "#7a0c0c", "border-width": 3 } },
    { selector: "node[?focus]", style: { "width": 30, "height": 30, "border-color": "#102a43", "border-width": 4, "font-weight": "bold" } },
    { selector: "edge", style: {
      "width": 1.5, "line-color": "#bcccdc", "curve-style": "bezier",
      "target-arrow-shape": "triangle", "target-arrow-color": "#bcccdc", "arrow-scale": 0.8 } },
    { selector: "edge[kind = 'trade']", style: { "line-color": "#486581", "target-arrow-color": "#486581" } },
    { selector: "edge[kind = 'ownership'], edge[kind = 'directorship']", style: { "line-style": "dashed", "line-color": "#8d2b0b", "target-arrow-color": "#8d2b0b" } },
    { selector: "edge[kind = 'sanction']", style: { "line-color": "#d64545", "target-arrow-color": "#d64545" } },
  ];

  fetch(box.dataset.src, { headers: { "Accept": "application/json" } })
    .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then((data) => {
      if (!data.nodes.length || data.nodes.length === 1 && !data.edges.length) {
        status.textContent = "No network links for this entity (run `diversion graph`).";
      } else if (data.truncated) {
        status.textContent = "Showing the closest " + data.nodes.length + " nodes.";
      }
      const cy = cytoscape({
        container: box,
        elements: { nodes: data.nodes, edges: data.edges },
        style: style,
        layout: {
          name: "cose", animate: false, padding: 40, randomize: false, nodeDimensionsIncludeLabels: true,
          nodeRepulsion: () => 60000, idealEdgeLength: () => 70, nodeOverlap: 10, gravity: 80, numIter: 1500,
        },
        minZoom: 0.2, maxZoom: 4,
      });
      cy.on("tap", "node", (evt) => {
        const href = evt.target.data("href");
        if (href && !evt.target.data("focus")) window.location.assign(href);
      });
      // A handful of nodes would otherwise be blown up to fill the box.
      if (cy.zoom() > 1.3) { cy.zoom(1.3); cy.center(); }
      // Keep labels readable (about 11 px on screen) when the fit zoomed out.
      if (cy.zoom() < 1) {
        cy.style().selector("node").style("font-size", Math.min(11 / cy.zoom(), 24)).update();
      }
      // Show a hand over clickable nodes (cursor is no Cytoscape style property).
      cy.on("mouseover", "node[href != '']", () => { box.style.cursor = "pointer"; });
      cy.on("mouseout", "node", () => { box.style.cursor = ""; });
      box.dataset.ready = "true";
      window.diversionNetwork = cy; // for tests and the console
    })
    .catch((err) => { status.textContent = "Could not load the network: " + err.message; });
})();
