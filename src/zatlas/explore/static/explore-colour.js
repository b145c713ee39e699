// zatlas explorer 6/8, colour by any column: categories (the k-means cluster, the split,
// string columns) with a legend of counts, numbers on a continuous scale, yes/no flags.
(function () {
  "use strict";
  const Z = window.zatlas, meta = Z.meta;
  const MAX_COLOURS = 60; // categories past the 60 commonest share one grey
  const OTHER = "#b0b0b0";

  function categoryColour(j) {
    if (j < meta.categorical.length) return meta.categorical[j];
    if (j >= MAX_COLOURS) return OTHER;
    // past the 20 of the palette: hues a golden angle apart, three lightnesses
    return "hsl(" + Math.round((j * 137.508) % 360) + ",60%," + (35 + (j % 3) * 15) + "%)";
  }

  // {c: the colour column, palette, low, high, legend: [[label, colour, count]], scale}
  Z.colouring_of = function (key) {
    const spec = meta.colourings.find(function (c) { return c.key === key; });
    if (!spec) throw new Error("no colouring " + key);
    const n = meta.n;
    if (spec.kind === "flag") {
      const c = new Uint8Array(n);
      let on = 0;
      for (let i = 0; i < n; i++) { c[i] = Z.flag(i, spec.bit); on += c[i]; }
      return { key: key, c: c, palette: ["#c8c8c8", "#d62728"], low: -0.5, high: 1.5,
               legend: [["no", "#c8c8c8", n - on], [key, "#d62728", on]] };
    }
    const col = Z.cols[spec.column];
    if (spec.kind === "numeric") {
      const c = new Float32Array(n);
      let missing = 0;
      for (let i = 0; i < n; i++) { c[i] = col[i]; if (!Number.isFinite(col[i])) missing++; }
      return { key: key, c: c, palette: meta.continuous, low: spec.range[0], high: spec.range[1],
               legend: missing ? [["missing", "#808080", missing]] : [], scale: spec.range };
    }
    const k = Math.max(spec.names.length, 2);
    const palette = [];
    for (let j = 0; j < k; j++) palette.push(categoryColour(j));
    const legend = spec.names.map(function (name, j) { return [name, palette[j], spec.counts[j]]; });
    if (legend.length > MAX_COLOURS) {
      const rest = legend.splice(MAX_COLOURS);
      legend.push(["other " + rest.length,
                   OTHER, rest.reduce(function (s, e) { return s + e[2]; }, 0)]);
    }
    return { key: key, c: col, palette: palette, low: -0.5, high: k - 0.5, legend: legend };
  };

  function legend(col) {
    const box = document.getElementById("legend");
    box.innerHTML = "";
    if (col.scale) {
      const bar = document.createElement("span");
      bar.className = "scale";
      bar.style.background = "linear-gradient(to right, " +
        [0, 64, 128, 192, 255].map(function (j) { return meta.continuous[j]; }).join(",") + ")";
      box.append(col.scale[0].toPrecision(3) + " ", bar, " " + col.scale[1].toPrecision(3) +
                 " (1st to 99th percentile) ");
    }
    col.legend.forEach(function (e) {
      const s = document.createElement("span");
      s.className = "entry";
      const sw = document.createElement("i");
      sw.style.background = e[1];
      s.append(sw, e[0] + " ", Object.assign(document.createElement("small"),
                                             { textContent: e[2].toLocaleString("en") }));
      box.appendChild(s);
    });
  }

  // colour every view by `key`: the points' colours, which every view draws
  Z.recolour = function (key) {
    const col = Z.colouring_of(key);
    Z.colouring = col;
    Z.colours = Z.pointColours(col);
    Z.redrawPoints();
    legend(col);
    Z.colourBy = key;
    document.getElementById("color-by").value = key;
  };
})();
