// The tile map of a collection (/ogc/collections/{id}/map): the plan's six zones as a backdrop
// and the collection's Mapbox Vector Tiles (OGC API – Tiles, WebMercatorQuad) drawn by
// Leaflet.VectorGrid. Used by a register's page above 5,000 projects (register_tiles.js).
"use strict";
(function () {
  const box = document.getElementById("tile-map");
  if (!box) return;
  const cfg = JSON.parse(box.dataset.config);
  const map = L.map(box, { preferCanvas: true, zoomControl: true, attributionControl: false });
  if (cfg.bbox) {
    map.fitBounds([[cfg.bbox[1], cfg.bbox[0]], [cfg.bbox[3], cfg.bbox[2]]], { padding: [20, 20] });
  } else {
    map.setView([41.78, 123.4], 13);
  }
  fetch(cfg.zones, { headers: { Accept: "application/geo+json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((data) => {
      if (!data) return;
      L.geoJSON(data, {
        interactive: false,
        style: () => ({ color: "#555", weight: 1.5, fillOpacity: 0.04 }),
      }).addTo(map).bringToBack();
    });
  const colour = (cat) => (cfg.colors && cfg.colors[cat]) || "#d62728";
  const styles = {};
  styles[cfg.layer] = function (props, zoom) {
    const n = props.n || 1;
    return {
      radius: Math.min(2 + Math.sqrt(n), 9),
      weight: 0.5,
      color: "#ffffff",
      fill: true,
      fillColor: colour(props.category),
      fillOpacity: 0.85,
    };
  };
  // Leaflet.VectorGrid 1.3 draws only the first point of a MultiPoint (PointSymbolizer reads
  // geometry[0]); the server gathers a crowded tile's cells into MultiPoints, so each point is
  // made a feature of its own here, before the tile is drawn.
  const Split = L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise: function (coords, tileBounds) {
      return L.VectorGrid.Protobuf.prototype._getVectorTilePromise.call(this, coords, tileBounds).then((json) => {
        for (const name in json.layers) {
          const layer = json.layers[name];
          const out = [];
          for (const f of layer.features) {
            if (f.type === 1 && f.geometry.length > 1) {
              for (const ring of f.geometry) {
                out.push(Object.assign(Object.create(Object.getPrototypeOf(f)), f, { geometry: [ring] }));
              }
            } else {
              out.push(f);
            }
          }
          layer.features = out;
        }
        return json;
      });
    },
  });
  const tiles = new Split(cfg.tiles, {
    vectorTileLayerStyles: styles,
    interactive: false,
    maxNativeZoom: 20,
    rendererFactory: L.canvas.tile,
  });
  let drawn = 0;
  tiles.on("tileload", () => {
    drawn += 1;
    box.dataset.tilesLoaded = String(drawn);
  });
  tiles.addTo(map);
})();
