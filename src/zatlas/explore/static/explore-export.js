// zatlas explorer 7/8, the selection: its faces as a grid, and saved as CSV (the ids alone,
// or the selected rows with every column the page has), ready for pandas.read_csv.
(function () {
  "use strict";
  const Z = window.zatlas, meta = Z.meta;
  const MAX_GRID = 300;
  const $ = function (id) { return document.getElementById(id); };

  Z.showSelection = function () {
    const idx = Z.selection;
    $("selection-count").textContent = String(idx.length);
    ["export-ids", "export-rows", "clear-selection"].forEach(function (id) {
      $(id).disabled = idx.length === 0;
    });
    const grid = $("selection-grid");
    grid.innerHTML = "";
    for (let n = 0; n < Math.min(idx.length, MAX_GRID); n++) {
      const box = Z.thumb(idx[n], 48);
      box.title = Z.imageId(idx[n]);
      box.dataset.index = idx[n];
      grid.appendChild(box);
    }
    if (idx.length > MAX_GRID) {
      const more = document.createElement("p");
      more.textContent = "showing the first " + MAX_GRID + " of " + idx.length;
      grid.appendChild(more);
    }
  };

  function cell(v) {
    const s = String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  // CSV text of the selection: `full` adds every column the page has for each face
  Z.selectionCsv = function (full) {
    const idx = Z.selection.slice().sort(function (a, b) { return a - b; });
    const lines = [];
    idx.forEach(function (i, n) {
      const f = full ? Z.fields(i, true) : [["image_id", Z.imageId(i)]];
      if (n === 0) lines.push(f.map(function (e) { return cell(e[0]); }).join(","));
      lines.push(f.map(function (e) { return cell(e[1]); }).join(","));
    });
    if (!idx.length) lines.push("image_id");
    return lines.join("\n") + "\n";
  };

  // a download made here: a Blob behind a temporary link (no server, no network)
  function save(full) {
    const text = Z.selectionCsv(full);
    const name = meta.model + "-selection-" + (full ? "rows" : "ids") + ".csv";
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    Z.lastExport = { name: name, url: url, rows: Z.selection.length };
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }
  $("export-ids").addEventListener("click", function () { save(false); });
  $("export-rows").addEventListener("click", function () { save(true); });
  $("clear-selection").addEventListener("click", function () { Z.clearSelection(); });
  $("selection-grid").addEventListener("click", function (e) {
    const box = e.target.closest(".thumb");
    if (!box) return;
    Z.pin(Number(box.dataset.index));
    Z.centre(Number(box.dataset.index));
  });
})();
