// zatlas explorer 5/8, the card: the hovered (or pinned) face, its metadata and its nearest
// neighbours in z; clicking a point pins it, the search box finds an image by id.
(function () {
  "use strict";
  const Z = window.zatlas, meta = Z.meta;
  const CARD_PX = meta.sprites ? Math.max(4 * meta.sprites.thumb, 96) : 96;
  const NEAR_PX = 56;
  const $ = function (id) { return document.getElementById(id); };

  function dl(el, rows) {
    el.innerHTML = "";
    rows.forEach(function (r) {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = r[0];
      dd.textContent = r[1] === "" ? "–" : r[1];
      if (r[0] === "image") dd.id = "hover-id";
      el.appendChild(dt);
      el.appendChild(dd);
    });
  }

  Z.setCard = function (i) {
    Z.thumb(i, CARD_PX, $("hover-thumb"));
    const f = Z.fields(i);
    // the first facts beside the face, the rest (other columns, attributes) under the neighbours
    const top = [["image", f[0][1]]].concat(f.slice(2, 5));
    dl($("hover-facts"), top);
    dl($("hover-info"), f.slice(5));
    neighbourList(i);
  };

  function neighbourList(i) {
    const box = $("neighbours");
    box.innerHTML = "";
    if (!meta.neighbours) {
      $("near-title").hidden = true;
      return;
    }
    const near = Z.neighbours(i);
    if (!near.length) { box.textContent = "loading…"; return; }
    near.forEach(function (nd) {
      const fig = document.createElement("figure");
      fig.className = "near";
      fig.dataset.index = nd[0];
      fig.title = Z.imageId(nd[0]) + " (click to pin)";
      fig.appendChild(Z.thumb(nd[0], NEAR_PX));
      const cap = document.createElement("figcaption");
      cap.textContent = nd[1].toPrecision(3);
      fig.appendChild(cap);
      box.appendChild(fig);
    });
  }

  Z.pin = function (i) {
    Z.pinned = i;
    document.body.classList.toggle("pinned", i >= 0);
    $("card-state").textContent = i >= 0
      ? "pinned: " + Z.imageId(i) + " (click empty space or Esc to let go)"
      : "hover a point; click to pin";
    if (i >= 0) Z.focusOn(i);
  };

  // a click (not the end of a drag) on a point pins it; on empty space it lets go
  let down = null;
  const plots = $("plots");
  plots.addEventListener("pointerdown", function (e) { down = [e.clientX, e.clientY]; }, true);
  plots.addEventListener("click", function (e) {
    if (!down || Math.abs(e.clientX - down[0]) + Math.abs(e.clientY - down[1]) > 4) return;
    // on the plot's canvas (Bokeh's shadow DOM hides it from e.target), not its toolbar
    const onCanvas = e.composedPath().some(function (el) {
      return el.classList && el.classList.contains("bk-Canvas");
    });
    if (!onCanvas) return;
    Z.pin(Z.under >= 0 ? Z.under : -1);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && Z.pinned >= 0) Z.pin(-1);
  });
  $("neighbours").addEventListener("click", function (e) {
    const fig = e.target.closest("figure.near");
    if (!fig) return;
    const i = Number(fig.dataset.index);
    Z.pin(i);
    Z.centre(i);
  });

  $("search").addEventListener("submit", function (e) {
    e.preventDefault();
    const text = $("search-box").value;
    const i = Z.findId(text);
    const msg = $("search-msg");
    if (i < 0) { msg.textContent = "no image " + text + " on this page"; return; }
    msg.textContent = "";
    Z.pin(i);
    Z.centre(i);
  });
})();
