// zatlas explorer 8/8, start-up: the menus, then the first view alone (the others are built
// when first shown), then the neighbours' script. zatlas.timing holds the page's own clock.
(function () {
  "use strict";
  const Z = window.zatlas, meta = Z.meta, timing = Z.timing;

  const toggles = document.getElementById("view-toggles");
  meta.views.forEach(function (name, v) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = name;
    b.dataset.view = v;
    b.setAttribute("aria-pressed", String(v === 0));
    b.addEventListener("click", function () { Z.show(v, !Z.views[v].shown); });
    toggles.appendChild(b);
  });

  const select = document.getElementById("color-by");
  meta.colourings.forEach(function (c) {
    const o = document.createElement("option");
    o.value = o.textContent = c.key;
    select.appendChild(o);
  });
  select.addEventListener("change", function () { Z.recolour(select.value); });
  Z.recolour("cluster"); // the views are written coloured by cluster
  Z.showSelection();

  Z.build(0).then(function () {
    timing.embedded = performance.now();
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        Z.ready = true;
        timing.ready = performance.now();
        document.body.dataset.ready = "1";
        // after the first paint, so that it never delays the first hover
        setTimeout(Z.loadNeighbours, 0);
      });
    });
  });
})();
