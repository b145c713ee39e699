// zatlas explorer 4/8, the rings: where the hovered face's neighbours in z landed on each
// view, drawn on a plain canvas over the view. A change to a Bokeh glyph would repaint
// every point of the view, which takes seconds at 165,000 points in a software renderer.
(function () {
  "use strict";
  const Z = window.zatlas;

  Z.addRings = function (V) {
    const c = document.createElement("canvas");
    c.className = "rings";
    V.el.appendChild(c);
    V.ringCanvas = c;
    V.rings = { x: [], y: [], focus: [] };
    // pan, zoom, reset and the search move the ranges: redraw once per frame
    [V.plot.x_range, V.plot.y_range].forEach(function (r) {
      r.change.connect(function () { Z.drawRings(V); });
    });
  };

  // ring point i's neighbours on view V (nothing where the view lacks point i)
  Z.setRings = function (V, i) {
    const d = { x: [], y: [], focus: [] };
    const x0 = i >= 0 ? V.x[i] : NaN, y0 = i >= 0 ? V.y[i] : NaN;
    if (Number.isFinite(x0)) {
      d.focus = [x0, y0];
      Z.neighbours(i).forEach(function (nd) {
        const x = V.x[nd[0]], y = V.y[nd[0]];
        if (!Number.isFinite(x)) return; // a view without that face
        d.x.push(x);
        d.y.push(y);
      });
    }
    V.rings = d;
    Z.drawRings(V);
  };

  Z.drawRings = function (V) {
    if (V.ringFrame) return;
    V.ringFrame = requestAnimationFrame(function () { V.ringFrame = 0; paint(V); });
  };

  function paint(V) {
    const pv = Bokeh.index.find_one(V.plot);
    if (!pv) return;
    const c = V.ringCanvas, box = V.el.getBoundingClientRect();
    const at = pv.canvas_view.el.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.ceil(box.width), h = Math.ceil(box.height);
    if (c.width !== w * dpr || c.height !== h * dpr) {
      c.width = w * dpr;
      c.height = h * dpr;
      c.style.width = w + "px";
      c.style.height = h + "px";
    }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const d = V.rings;
    if (!d.focus.length) return;
    const ox = at.left - box.left, oy = at.top - box.top, f = pv.frame.bbox;
    const sx = function (x) { return ox + pv.frame.x_scale.compute(x); };
    const sy = function (y) { return oy + pv.frame.y_scale.compute(y); };
    g.save();
    g.beginPath();
    g.rect(ox + f.x, oy + f.y, f.width, f.height);
    g.clip();
    const fx = sx(d.focus[0]), fy = sy(d.focus[1]);
    g.strokeStyle = "rgba(34,34,34,0.6)";
    g.lineWidth = 1;
    g.beginPath();
    d.x.forEach(function (x, j) { g.moveTo(fx, fy); g.lineTo(sx(x), sy(d.y[j])); });
    g.stroke();
    g.strokeStyle = "#111";
    g.lineWidth = 2;
    d.x.forEach(function (x, j) {
      g.beginPath();
      g.arc(sx(x), sy(d.y[j]), 5.5, 0, 2 * Math.PI);
      g.stroke();
    });
    g.strokeStyle = "#d62728";
    g.lineWidth = 3;
    g.beginPath();
    g.arc(fx, fy, 8, 0, 2 * Math.PI);
    g.stroke();
    g.restore();
  }
})();
