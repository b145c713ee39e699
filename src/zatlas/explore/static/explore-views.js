// zatlas explorer 2/8, the views: one Bokeh document per view, built the first time it is
// shown, their selections kept in step; the card and the rings follow the hovered face.
(function () {
  "use strict";
  const Z = window.zatlas, meta = Z.meta;
  Z.views = meta.views.map(function (name, v) {
    return { name: name, el: document.getElementById("view-" + v), built: null, shown: v === 0 };
  });
  Z.syncing = false;

  // Build view v (once); resolves when Bokeh has made its models and views.
  Z.build = function (v) {
    const V = Z.views[v];
    if (V.built) return V.built;
    const item = JSON.parse(document.getElementById("zatlas-view-" + v).textContent);
    // the figure fills its box at a fixed size (a stretching figure is laid out twice)
    const fig = item.doc.roots[0].attributes;
    const side = Math.floor(Math.min(V.el.clientWidth, V.el.clientHeight || Infinity));
    if (side > 100) Object.assign(fig, { width: side, height: side });
    V.built = Bokeh.embed.embed_item(item, V.el).then(function () {
      const doc = Bokeh.documents[Bokeh.documents.length - 1];
      V.plot = doc.get_model_by_name("view");
      V.source = doc.get_model_by_name("points");
      V.x = V.source.data.x;
      V.y = V.source.data.y;
      Z.addPoints(V);
      Z.addRings(V);
      Z.drawPoints(V);
      if (Z.selection.length) {
        Z.syncing = true;
        V.source.selected.indices = Z.selection.slice();
        Z.syncing = false;
      }
      if (Z.hovered >= 0) overlay(V, Z.hovered);
      return V;
    }).catch(function (e) { Z.errors.push(String(e)); throw e; });
    return V.built;
  };

  Z.show = function (v, on) {
    const V = Z.views[v];
    if (!on && Z.views.filter(function (W) { return W.shown; }).length === 1) return;
    V.shown = on;
    V.el.hidden = !on;
    const button = document.querySelector('#view-toggles [data-view="' + v + '"]');
    if (button) button.setAttribute("aria-pressed", String(on));
    requestAnimationFrame(Z.fit); // the other views take the room that is left
    if (on) return Z.build(v);
  };

  // each built view at the size of its box (after a view is shown or hidden, or the window
  // is resized); Bokeh lays it out and paints it again only where the size changed
  Z.fit = function () {
    built().forEach(function (V) {
      if (!V.shown) return;
      const side = Math.floor(Math.min(V.el.clientWidth, V.el.clientHeight));
      if (side > 100 && side !== V.plot.width) V.plot.setv({ width: side, height: side });
      // after Bokeh has laid the view out again
      setTimeout(function () { Z.drawPoints(V); Z.drawRings(V); }, 30);
    });
  };
  let resizing = 0;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(Z.fit, 200);
  });

  function built() { return Z.views.filter(function (V) { return V.source; }); }

  Z.hover = function (v, cb_data) {
    const idx = cb_data.index.indices;
    Z.under = idx && idx.length ? idx[0] : -1;
    if (Z.under < 0) return;
    const i = Z.under;
    Z.lastHover = { index: i, id: Z.imageId(i), t: performance.now(), view: v };
    if (Z.pinned < 0) Z.focusOn(i);
  };

  // the card and the overlays follow point i
  Z.focusOn = function (i, force) {
    if (i === Z.hovered && !force) return;
    Z.hovered = i;
    Z.setCard(i);
    Z.shown = { index: i, id: Z.imageId(i), t: performance.now() };
    built().forEach(function (V) { overlay(V, i); });
  };
  Z.refresh = function () { Z.focusOn(Z.hovered, true); };

  function overlay(V, i) { Z.setRings(V, i); }

  Z.select = function (v, selected) {
    if (Z.syncing) return;
    Z.selection = Array.from(selected.indices);
    Z.syncing = true;
    try {
      built().forEach(function (V, u) {
        if (V !== Z.views[v]) V.source.selected.indices = Z.selection.slice();
      });
    } finally { Z.syncing = false; }
    selectionChanged();
  };

  function selectionChanged() {
    let mask = null;
    if (Z.selection.length) {
      mask = new Uint8Array(Z.meta.n);
      Z.selection.forEach(function (i) { mask[i] = 1; });
    }
    Z.selectionMask = mask;
    Z.redrawPoints();
    Z.showSelection();
  }

  Z.clearSelection = function () {
    Z.selection = [];
    Z.syncing = true;
    try { built().forEach(function (V) { V.source.selected.indices = []; }); }
    finally { Z.syncing = false; }
    selectionChanged();
  };

  // centre every shown view on point i, keeping its zoom
  Z.centre = function (i) {
    built().forEach(function (V) {
      const x = V.x[i], y = V.y[i];
      if (!Number.isFinite(x)) return;
      const xr = V.plot.x_range, yr = V.plot.y_range;
      const w = (xr.end - xr.start) / 2, h = (yr.end - yr.start) / 2;
      xr.setv({ start: x - w, end: x + w });
      yr.setv({ start: y - h, end: y + h });
    });
  };

  // page coordinates of data point (x, y) in view v: for tests and the benchmark
  Z.toScreen = function (v, x, y) {
    const pv = Bokeh.index.find_one(Z.views[v].plot);
    const r = pv.canvas_view.el.getBoundingClientRect();
    return [r.left + pv.frame.x_scale.compute(x), r.top + pv.frame.y_scale.compute(y)];
  };
  Z.pointOnScreen = function (v, i) {
    return Z.toScreen(v, Z.views[v].x[i], Z.views[v].y[i]);
  };
})();
