// The entity page's network neighbourhood, drawn by Cytoscape.js (vendor/cytoscape.min.js).
// Data comes from GET /entities/{id}/network: short labels under the nodes, the full name and country
// on hover, amounts on trade edges; clicking a company node opens its page.
(function () {
  "use strict";
  const box = document.getElementById("network");
  const status = document.getElementById("network-status");
  const tip = document.getElementById("network-tip");
  if (!box || typeof cytoscape !== "function") return;

  const style = [
    { selector: "node", style: {
      "label": "data(short)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "color": "#1f2933",
      "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 2,
      "background-color": "#9aa5b1", "width": 20, "height": 20, "border-width": 1, "border-color": "#ffffff" } },
    { selector: "node[kind = 'entity']", style: { "shape": "ellipse" } },
    { selector: "node[kind = 'brand']", style: { "shape": "round-rectangle", "background-color": "#c3b1e1" } },
    { selector: "node[kind = 'domain']", style: { "shape": "diamond", "background-color": "#a3d9c9" } },
    { selector: "node[?lead]", style: { "background-color": "#f0b429" } },
    { selector: "node[?sanctioned]", style: { "background-color": "#d64545", "border-color": "#7a0c0c", "border-width": 3 } },
    { selector: "node[?focus]", style: { "width": 32, "height": 32, "border-color": "#102a43", "border-width": 4, "font-weight": "bold" } },
    { selector: "edge", style: {
      "width": 1.5, "line-color": "#bcccdc", "curve-style": "bezier",
      "target-arrow-shape": "triangle", "target-arrow-color": "#bcccdc", "arrow-scale": 0.8 } },
    { selector: "edge[kind = 'trade']", style: {
      "line-color": "#486581", "target-arrow-color": "#486581", "label": "data(amount)", "font-size": 10,
      "color": "#0b3d6b", "text-background-color": "#ffffff", "text-background-opacity": 0.9,
      "text-background-padding": 1, "text-rotation": "autorotate" } },
    { selector: "edge[kind = 'commissioning']", style: { "line-style": "dashed", "line-color": "#d55e00", "target-arrow-color": "#d55e00", "width": 2.5 } },
    { selector: "edge[kind = 'ownership'], edge[kind = 'directorship']", style: { "line-style": "dashed", "line-color": "#8d2b0b", "target-arrow-color": "#8d2b0b" } },
    { selector: "edge[kind = 'link']", style: { "line-style": "dotted", "line-color": "#7b8794", "target-arrow-color": "#7b8794" } },
  ];

  function showTip(evt) {
    if (!tip) return;
    const d = evt.target.data();
    tip.textContent = d.label + (d.country ? " (" + d.country + ")" : "") + (d.sanctioned ? " · sanctioned" : "");
    const p = evt.renderedPosition || evt.target.renderedPosition();
    tip.style.left = (box.offsetLeft + p.x + 12) + "px";
    tip.style.top = (box.offsetTop + p.y + 12) + "px";
    tip.hidden = false;
  }

  fetch(box.dataset.src, { headers: { "Accept": "application/json" } })
    .then((r) => { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then((data) => {
      if (!data.nodes.length || data.nodes.length === 1 && !data.edges.length) {
        status.textContent = "No network links for this entity (run `diversion graph`).";
      } else if (data.truncated) {
        status.textContent = "Showing the closest " + data.nodes.length + " nodes (largest flows first).";
      }
      const cy = cytoscape({
        container: box,
        elements: { nodes: data.nodes, edges: data.edges },
        style: style,
        layout: {
          name: "cose", animate: false, padding: 30, randomize: false, fit: true, nodeDimensionsIncludeLabels: true,
          nodeRepulsion: () => 90000, idealEdgeLength: () => 110, nodeOverlap: 12, gravity: 40, numIter: 2000,
        },
        minZoom: 0.2, maxZoom: 3,
      });
      // Use the whole canvas: fit the drawing to the box (a small graph is scaled up, within reason).
      cy.fit(undefined, 30);
      if (cy.zoom() > 2.2) { cy.zoom(2.2); cy.center(); }
      // Keep labels readable (about 11 px on screen) when the fit zoomed out.
      if (cy.zoom() < 1) {
        cy.style().selector("node").style("font-size", Math.min(11 / cy.zoom(), 24)).update();
        cy.style().selector("edge[kind = 'trade']").style("font-size", Math.min(10 / cy.zoom(), 22)).update();
      }
      cy.on("tap", "node", (evt) => {
        const href = evt.target.data("href");
        if (href && !evt.target.data("focus")) window.location.assign(href);
      });
      cy.on("mouseover", "node", (evt) => {
        showTip(evt);
        if (evt.target.data("href")) box.style.cursor = "pointer";
      });
      cy.on("mouseout", "node", () => { box.style.cursor = ""; if (tip) tip.hidden = true; });
      box.dataset.ready = "true";
      window.diversionNetwork = cy; // for tests and the console
    })
    .catch((err) => { status.textContent = "Could not load the network: " + err.message; });
})();
