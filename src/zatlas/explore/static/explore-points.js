// zatlas explorer 3/8, the points: drawn by the page into a plain canvas under each Bokeh
// view (whose own glyph is invisible and only answers hover and selection). Bokeh's WebGL
// markers cost seconds per paint at 165,000 points in a software renderer; stamping pixels
// into an ImageData costs tens of milliseconds.
(function () {
  "use strict";
  const Z = window.zatlas, meta = Z.meta;
  const probe = document.createElement("canvas").getContext("2d");
  const known = new Map();
  // marker diameter in CSS pixels, as Bokeh drew them
  Z.markerPx = meta.n < 2000 ? 6 : meta.n < 50000 ? 3 : 2;
  const ALPHA = 0.7, SELECTED = 0.9, FADED = 0.08; // Bokeh's alphas before

  function rgb(css) {
    let v = known.get(css);
    if (v) return v;
    probe.fillStyle = "#000";
    probe.fillStyle = css; // the browser's own parse: "#rrggbb" or "rgba(r, g, b, a)"
    const s = probe.fillStyle;
    v = s[0] === "#"
      ? [1, 3, 5].map(function (k) { return parseInt(s.slice(k, k + 2), 16); })
      : s.match(/[\d.]+/g).slice(0, 3).map(Number);
    known.set(css, v);
    return v;
  }

  // each point's colour (r, g, b in one Uint32) under a colouring: LinearColorMapper's rule,
  // bin floor((v - low) / (high - low) * palette length), clamped; no value: grey
  Z.pointColours = function (col) {
    const pal = col.palette.map(rgb).map(function (p) { return p[0] | (p[1] << 8) | (p[2] << 16); });
    const n = meta.n, out = new Uint32Array(n), c = col.c, k = pal.length;
    const scale = k / (col.high - col.low), grey = 128 | (128 << 8) | (128 << 16);
    for (let i = 0; i < n; i++) {
      const v = c[i];
      if (!Number.isFinite(v)) { out[i] = grey; continue; }
      let j = Math.floor((v - col.low) * scale);
      out[i] = pal[j < 0 ? 0 : j >= k ? k - 1 : j];
    }
    return out;
  };

  Z.addPoints = function (V) {
    const c = document.createElement("canvas");
    c.className = "points";
    V.el.appendChild(c);
    V.pointCanvas = c;
    [V.plot.x_range, V.plot.y_range].forEach(function (r) {
      r.change.connect(function () { Z.drawPoints(V); });
    });
  };

  Z.drawPoints = function (V) {
    if (V.pointFrame) return;
    V.pointFrame = requestAnimationFrame(function () { V.pointFrame = 0; paint(V); });
  };
  Z.redrawPoints = function () {
    Z.views.forEach(function (V) { if (V.source) Z.drawPoints(V); });
  };

  // pixel offsets of one marker of diameter d: a square up to 3 pixels, a disc beyond
  function stamp(d) {
    const out = [], r = d / 2;
    for (let dy = 0; dy < d; dy++) {
      for (let dx = 0; dx < d; dx++) {
        const ex = dx + 0.5 - r, ey = dy + 0.5 - r;
        if (d <= 3 || ex * ex + ey * ey <= r * r) out.push([dx - Math.floor(r), dy - Math.floor(r)]);
      }
    }
    return out;
  }

  function paint(V) {
    const pv = Bokeh.index.find_one(V.plot);
    if (!pv || !Z.colours) return;
    const t0 = performance.now();
    const f = pv.frame.bbox, box = V.el.getBoundingClientRect();
    const at = pv.canvas_view.el.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(f.width * dpr)), h = Math.max(1, Math.round(f.height * dpr));
    const c = V.pointCanvas;
    c.style.left = at.left - box.left + f.x + "px";
    c.style.top = at.top - box.top + f.y + "px";
    c.style.width = f.width + "px";
    c.style.height = f.height + "px";
    if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
    // premultiplied colour and alpha per pixel, composited "over" in drawing order
    if (!V.acc || V.acc.length !== w * h * 4) V.acc = new Float32Array(w * h * 4);
    const acc = V.acc;
    acc.fill(0);
    const xs = pv.frame.x_scale, ys = pv.frame.y_scale;
    const bx = (xs.compute(0) - f.x) * dpr, ax = (xs.compute(1) - f.x) * dpr - bx;
    const by = (ys.compute(0) - f.y) * dpr, ay = (ys.compute(1) - f.y) * dpr - by;
    const offsets = stamp(Math.max(1, Math.round(Z.markerPx * dpr)));
    const X = V.x, Y = V.y, col = Z.colours, mask = Z.selectionMask, n = meta.n;
    function draw(i, a) {
      const px = Math.round(ax * X[i] + bx), py = Math.round(ay * Y[i] + by);
      if (!(px > -8 && px < w + 8 && py > -8 && py < h + 8)) return; // NaN: not in this view
      const rgbi = col[i], r = (rgbi & 255) * a, g = ((rgbi >> 8) & 255) * a;
      const b = ((rgbi >> 16) & 255) * a, keep = 1 - a;
      for (let o = 0; o < offsets.length; o++) {
        const qx = px + offsets[o][0], qy = py + offsets[o][1];
        if (qx < 0 || qy < 0 || qx >= w || qy >= h) continue;
        const p = (qy * w + qx) * 4;
        acc[p] = r + acc[p] * keep;
        acc[p + 1] = g + acc[p + 1] * keep;
        acc[p + 2] = b + acc[p + 2] * keep;
        acc[p + 3] = a + acc[p + 3] * keep;
      }
    }
    if (mask) {
      for (let i = 0; i < n; i++) if (!mask[i]) draw(i, FADED);
      for (let i = 0; i < n; i++) if (mask[i]) draw(i, SELECTED);
    } else {
      for (let i = 0; i < n; i++) draw(i, ALPHA);
    }
    const g = c.getContext("2d"), img = g.createImageData(w, h), out = img.data;
    for (let p = 0; p < acc.length; p += 4) {
      const a = acc[p + 3];
      if (a <= 0) continue;
      out[p] = acc[p] / a;
      out[p + 1] = acc[p + 1] / a;
      out[p + 2] = acc[p + 2] / a;
      out[p + 3] = a * 255;
    }
    g.putImageData(img, 0, 0);
    V.painted = (V.painted || 0) + 1;
    Z.timing.paint_ms = performance.now() - t0; // the last paint of the points
  }
})();
