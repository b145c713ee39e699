// zatlas explorer: hover card, colour-by and selection grid around Bokeh's WebGL scatters.
// Everything it reads is inside the page (two JSON script elements) or beside it (sprites).
(function () {
  "use strict";
  const t0 = performance.now();
  const meta = JSON.parse(document.getElementById("zatlas-meta").textContent);
  const item = JSON.parse(document.getElementById("zatlas-doc").textContent);
  const timing = { script_start: t0, parsed: performance.now() };
  const sp = meta.sprites;
  const Z = (window.zatlas = { meta: meta, ready: false, hovered: -1, lastHover: null,
                               lastMove: null, errors: [], timing: timing });
  const MAX_GRID = 300;
  // image id of point i: listed in the page, or CelebA's rule from the image's row
  function imageId(i) {
    if (meta.ids) return meta.ids[i];
    return String(Z.source.data.row[i] + 1).padStart(6, "0") + ".jpg";
  }
  Z.imageId = imageId;

  // pointer events reach Bokeh before mouse events: time the hover from the pointer event
  document.addEventListener("pointermove", function () { Z.lastMove = performance.now(); }, true);

  // A thumbnail: a clipped box holding the whole sheet, shifted so one face shows. The box
  // leaves out a rim of about half a thumbnail pixel, where the scaled sheet blends in the
  // neighbouring face.
  function thumb(slot, px, box) {
    if (!sp.n) {  // a run without images: no face to show, the card shows the metadata
      box = box || document.createElement("div");
      box.className = box.className || "thumb";
      return box;
    }
    const sheet = Math.floor(slot / sp.per_sheet);
    const k = slot % sp.per_sheet;
    const scale = px / sp.thumb;
    const rim = Math.ceil(scale / 2);
    box = box || document.createElement("div");
    box.className = box.className || "thumb";
    box.style.width = box.style.height = px - 2 * rim + "px";
    let img = box.firstChild;
    if (!img) { img = document.createElement("img"); img.alt = ""; box.appendChild(img); }
    const src = sp.files[sheet];
    if (img.getAttribute("src") !== src) img.src = src;
    img.style.width = sp.per_row * sp.thumb * scale + "px";
    img.style.left = -(k % sp.per_row) * px - rim + "px";
    img.style.top = -Math.floor(k / sp.per_row) * px - rim + "px";
    return box;
  }
  const CARD_PX = 4 * sp.thumb;

  function attributes(i, data) {
    const out = [];
    const lo = data.attr_lo[i], hi = data.attr_hi[i];
    meta.attribute_names.forEach(function (name, j) {
      const on = j < 32 ? (lo >>> j) & 1 : (hi >>> (j - 32)) & 1;
      if (on) out.push(name);
    });
    return out;
  }

  function setCard(i) {
    const d = Z.source.data;
    thumb(d.slot[i], CARD_PX, document.getElementById("hover-thumb"));
    const rows = [
      ["image", imageId(i)],
      ["split", meta.split_names[d.split[i]]],
      ["radius", Number(d.radius[i]).toFixed(3)],
      ["cluster", String(d.cluster[i])],
      ["attributes", attributes(i, d).join(", ") || "none"],
    ];
    Object.keys(meta.metadata || {}).forEach(function (k) {
      rows.push([k, String(meta.metadata[k][i])]);
    });
    const dl = document.getElementById("hover-info");
    dl.innerHTML = "";
    rows.forEach(function (r) {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = r[0];
      dd.textContent = r[1];
      if (r[0] === "image") dd.id = "hover-id";
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
  }

  Z.hover = function (cb_data) {
    if (!Z.source) return;
    const idx = cb_data.index.indices;
    if (!idx || !idx.length) return;
    const i = idx[0];
    if (i !== Z.hovered) { Z.hovered = i; setCard(i); }
    Z.lastHover = { index: i, id: imageId(i), t: performance.now() };
  };

  Z.select = function (selection) {
    const idx = selection.indices;
    document.getElementById("selection-count").textContent = String(idx.length);
    const grid = document.getElementById("selection-grid");
    grid.innerHTML = "";
    const d = Z.source.data;
    for (let n = 0; n < Math.min(idx.length, MAX_GRID); n++) {
      const box = thumb(d.slot[idx[n]], 48);
      box.title = imageId(idx[n]);
      if (!sp.n) box.textContent = imageId(idx[n]);
      grid.appendChild(box);
    }
    if (idx.length > MAX_GRID) {
      const more = document.createElement("p");
      more.textContent = "showing the first " + MAX_GRID + " of " + idx.length;
      grid.appendChild(more);
    }
  };

  // colour-by: a new colour column and palette for the shared colour mapper
  function colouring(key) {
    const d = Z.source.data, n = meta.n, c = new Float32Array(n);
    const cat = meta.categorical;
    if (key === "radius") {
      for (let i = 0; i < n; i++) c[i] = d.radius[i];
      return { c: c, palette: meta.continuous,
               low: meta.radius_range[0], high: meta.radius_range[1], legend: [] };
    }
    if (key === "cluster") {
      const k = Math.max(meta.n_clusters, 2);
      for (let i = 0; i < n; i++) c[i] = d.cluster[i];
      const pal = []; for (let j = 0; j < k; j++) pal.push(cat[j % cat.length]);
      return { c: c, palette: pal, low: -0.5, high: k - 0.5, legend: [] };
    }
    if (key === "split") {
      for (let i = 0; i < n; i++) c[i] = d.split[i];
      const k = Math.max(meta.split_names.length, 2);
      const pal = cat.slice(0, k);
      return { c: c, palette: pal, low: -0.5, high: k - 0.5,
               legend: meta.split_names.map(function (s, j) { return [s, pal[j]]; }) };
    }
    const j = meta.attribute_names.indexOf(key);
    for (let i = 0; i < n; i++) {
      c[i] = j < 32 ? (d.attr_lo[i] >>> j) & 1 : (d.attr_hi[i] >>> (j - 32)) & 1;
    }
    return { c: c, palette: ["#c8c8c8", "#d62728"], low: -0.5, high: 1.5,
             legend: [["no", "#c8c8c8"], [key, "#d62728"]] };
  }

  function recolour(key, keepData) {
    const col = colouring(key);
    Z.mapper.palette = col.palette;
    Z.mapper.low = col.low;
    Z.mapper.high = col.high;
    if (!keepData) Z.source.data = Object.assign({}, Z.source.data, { c: col.c });
    const legend = document.getElementById("legend");
    legend.innerHTML = "";
    if (key === "radius") {
      legend.textContent = "radius " + col.low.toFixed(2) + " (dark) to " + col.high.toFixed(2);
    }
    col.legend.forEach(function (e) {
      const s = document.createElement("span");
      s.innerHTML = '<i style="background:' + e[1] + '"></i>';
      s.appendChild(document.createTextNode(e[0]));
      legend.appendChild(s);
    });
    Z.colourBy = key;
    document.getElementById("color-by").value = key;
  }
  Z.recolour = recolour;

  // page coordinates of data point (x, y) in view v: for tests and the benchmark
  Z.toScreen = function (v, x, y) {
    const pv = Bokeh.index.find_one(Z.plots[v]);
    const r = pv.canvas_view.el.getBoundingClientRect();
    return [r.left + pv.frame.x_scale.compute(x), r.top + pv.frame.y_scale.compute(y)];
  };

  window.addEventListener("error", function (e) { Z.errors.push(String(e.message)); });

  Bokeh.embed.embed_item(item, "plots").then(function () {
    timing.embedded = performance.now();
    const doc = Bokeh.documents[Bokeh.documents.length - 1];
    Z.source = doc.get_model_by_name("points");
    Z.mapper = doc.get_model_by_name("colors");
    Z.plots = meta.views.map(function (_, v) { return doc.get_model_by_name("view-" + v); });
    const select = document.getElementById("color-by");
    ["cluster", "radius", "split"].concat(meta.attribute_names).forEach(function (k) {
      const o = document.createElement("option");
      o.value = o.textContent = k;
      select.appendChild(o);
    });
    select.addEventListener("change", function () { recolour(select.value); });
    recolour("cluster", true); // the page arrives coloured by cluster
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        Z.ready = true;
        timing.ready = performance.now();
        document.body.dataset.ready = "1";
      });
    });
  }).catch(function (e) { Z.errors.push(String(e)); throw e; });
})();
