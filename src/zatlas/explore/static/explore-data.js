// zatlas explorer 1/8, the page's data: per-point columns (base64 typed arrays), image ids,
// thumbnails cut from the sprite sheets, and each point's metadata for the card and the CSV.
(function () {
  "use strict";
  const t0 = performance.now();
  const meta = JSON.parse(document.getElementById("zatlas-meta").textContent);
  const Z = (window.zatlas = {
    meta: meta, ready: false, hovered: -1, under: -1, pinned: -1, lastHover: null,
    lastMove: null, errors: [], timing: { script_start: t0 }, selection: [], nb: null,
  });
  window.addEventListener("error", function (e) { Z.errors.push(String(e.message)); });
  // pointer events reach Bokeh before mouse events: time the hover from the pointer event
  document.addEventListener("pointermove", function () { Z.lastMove = performance.now(); }, true);

  function decode(col) {
    let bytes;
    if (Uint8Array.fromBase64) {
      bytes = Uint8Array.fromBase64(col.b64);
    } else {
      const s = atob(col.b64);
      bytes = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    }
    const T = window[col.type];
    return new T(bytes.buffer, bytes.byteOffset, bytes.byteLength / T.BYTES_PER_ELEMENT);
  }
  Z.decode = decode;
  const raw = JSON.parse(document.getElementById("zatlas-columns").textContent);
  const cols = (Z.cols = {});
  Object.keys(raw).forEach(function (k) { cols[k] = decode(raw[k]); });
  Z.timing.parsed = performance.now();

  // image id of point i: listed in the page, or CelebA's rule from the image's row
  Z.imageId = function (i) {
    if (meta.ids) return meta.ids[i];
    return String(cols.row[i] + 1).padStart(6, "0") + ".jpg";
  };

  // the point showing image `text` (an id, or for CelebA's rule its number), or -1
  let byId = null;
  Z.findId = function (text) {
    text = String(text).trim();
    if (meta.ids) {
      if (!byId) { byId = new Map(); meta.ids.forEach(function (id, i) { byId.set(id, i); }); }
      return byId.has(text) ? byId.get(text) : -1;
    }
    const m = /^0*(\d+)(\.jpg)?$/i.exec(text);
    if (!m) return -1;
    const row = Number(m[1]) - 1;
    let lo = 0, hi = meta.n - 1;
    while (lo <= hi) { // rows are sorted
      const mid = (lo + hi) >> 1;
      if (cols.row[mid] === row) return mid;
      if (cols.row[mid] < row) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  };

  Z.flag = function (i, j) {
    return j < 32 ? (cols.attr_lo[i] >>> j) & 1 : (cols.attr_hi[i] >>> (j - 32)) & 1;
  };

  // A thumbnail: a clipped box holding the whole sheet, shifted so one face shows. The box
  // leaves out a rim of about half a thumbnail pixel, where the scaled sheet blends in the
  // neighbouring face. Without sprites (a run without images) the box says so.
  const sp = meta.sprites;
  Z.thumb = function (i, px, box) {
    box = box || document.createElement("div");
    if (!box.classList.contains("thumb")) box.classList.add("thumb");
    if (!sp) {
      box.classList.add("none");
      box.style.width = box.style.height = px + "px";
      // the card says so; a small box (a neighbour, the selection) gives the id instead
      box.textContent = px >= 96 ? "no image" : Z.imageId(i);
      return box;
    }
    const slot = cols.slot[i];
    const sheet = Math.floor(slot / sp.per_sheet);
    const k = slot % sp.per_sheet;
    const scale = px / sp.thumb;
    const rim = Math.ceil(scale / 2);
    box.style.width = box.style.height = px - 2 * rim + "px";
    let img = box.firstChild;
    if (!img) { img = document.createElement("img"); img.alt = ""; box.appendChild(img); }
    const src = sp.files[sheet];
    if (img.getAttribute("src") !== src) img.src = src;
    img.style.width = sp.per_row * sp.thumb * scale + "px";
    img.style.left = -(k % sp.per_row) * px - rim + "px";
    img.style.top = -Math.floor(k / sp.per_row) * px - rim + "px";
    return box;
  };

  function number(v) { return Number.isFinite(v) ? String(Math.round(v * 1e4) / 1e4) : ""; }

  // One point's metadata, [name, text] pairs: the card lists them, the CSV has a column each
  // (flags as 0/1 there, one "attributes" line on the card).
  Z.fields = function (i, forCsv) {
    const out = [
      ["image_id", Z.imageId(i)],
      ["row", String(cols.row[i])],
      ["split", meta.split_names[cols.split[i]]],
      ["radius", Number(cols.radius[i]).toFixed(3)],
      ["cluster", String(cols.cluster[i])],
    ];
    meta.numeric_names.forEach(function (name, j) { out.push([name, number(cols["num" + j][i])]); });
    meta.categorical_names.forEach(function (name, j) {
      out.push([name, meta.category_names[j][cols["cat" + j][i]]]);
    });
    if (forCsv) {
      meta.attribute_names.forEach(function (name, j) { out.push([name, String(Z.flag(i, j))]); });
    } else {
      const on = meta.attribute_names.filter(function (_, j) { return Z.flag(i, j); });
      if (meta.attribute_names.length) out.push(["attributes", on.join(", ") || "none"]);
    }
    return out;
  };

  // the neighbours' script is read once the first view is drawn (it is megabytes)
  Z.loadNeighbours = function () {
    if (!meta.neighbours_src || Z.nbLoading) return;
    Z.nbLoading = true;
    const s = document.createElement("script");
    s.src = meta.neighbours_src;
    s.onload = function () {
      const packed = (window.zatlasNeighbours || {})[meta.model];
      if (!packed) { Z.errors.push("neighbours script has no entry for " + meta.model); return; }
      Z.nb = { k: packed.k, index: decode(packed.index), distance: decode(packed.distance),
               scale: packed.scale };
      Z.timing.neighbours = performance.now();
      if (Z.hovered >= 0 && Z.refresh) Z.refresh();
    };
    s.onerror = function () { Z.errors.push("could not load " + meta.neighbours_src); };
    document.body.appendChild(s);
  };

  // [point index, distance] of point i's neighbours (empty until loaded)
  Z.neighbours = function (i) {
    const nb = Z.nb, out = [];
    if (!nb) return out;
    for (let j = 0; j < nb.k; j++) {
      out.push([nb.index[i * nb.k + j], nb.distance[i * nb.k + j] * nb.scale]);
    }
    return out;
  };
})();
