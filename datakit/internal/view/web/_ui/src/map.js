// The connection map with Cytoscape.js: processes and remote endpoints as
// nodes, flows as edges sized by bytes and red where TCP retransmitted.
// The graph is updated in place; the layout runs again only when the set
// of nodes changes, so a steady host keeps a steady picture.
import cytoscape from "cytoscape";

let cy = null;
let nodeSet = "";

const edgeId = (e) => e.from + "|" + e.to + "|" + e.transport;

export function drawMap(el, flows) {
  if (!cy) {
    cy = cytoscape({
      container: el,
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, width: "data(size)", height: "data(size)", "background-color": "#2f6fde" } },
        { selector: "node[kind = 'endpoint']", style: { shape: "round-rectangle", "background-color": "#8899aa" } },
        { selector: "edge", style: { width: "data(width)", "curve-style": "bezier", "target-arrow-shape": "triangle", "line-color": "#7d8ea0", "target-arrow-color": "#7d8ea0", label: "data(label)", "font-size": 9, "text-rotation": "autorotate", color: "#445" } },
        { selector: "edge[retrans > 0]", style: { "line-color": "#d9485f", "target-arrow-color": "#d9485f" } },
      ],
    });
  }
  const maxBytes = Math.max(1, ...flows.nodes.map((n) => n.bytes));
  const want = new Set();
  cy.batch(() => {
    for (const n of flows.nodes) {
      want.add(n.id);
      const data = { id: n.id, label: n.label, kind: n.kind, size: 18 + 22 * Math.sqrt(n.bytes / maxBytes) };
      const have = cy.getElementById(n.id);
      if (have.nonempty()) have.data(data);
      else cy.add({ group: "nodes", data });
    }
    for (const e of flows.edges) {
      const id = edgeId(e);
      want.add(id);
      const total = e.bytes_sent + e.bytes_recv;
      const label = e.connections ? `${e.connections} conn` : e.transport;
      const data = { id, source: e.from, target: e.to, width: 1 + Math.min(9, Math.log10(1 + total)), retrans: e.retransmits, label };
      const have = cy.getElementById(id);
      if (have.nonempty()) have.data(data);
      else cy.add({ group: "edges", data });
    }
    cy.elements().forEach((x) => { if (!want.has(x.id())) cy.remove(x); });
  });
  const ids = flows.nodes.map((n) => n.id).sort().join();
  if (ids !== nodeSet) {
    nodeSet = ids;
    cy.layout({ name: "cose", animate: false, randomize: false, nodeRepulsion: 8000, idealEdgeLength: 120 }).run();
    cy.fit(undefined, 30);
  }
}

export function resizeMap() {
  if (cy) { cy.resize(); cy.fit(undefined, 30); }
}
