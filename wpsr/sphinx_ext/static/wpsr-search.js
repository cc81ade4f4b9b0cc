// The search page: Pagefind's interface (its words in the page's language) over the index of the
// page's language, searching at once for what the site's search box sent (?q=…).
(() => {
  "use strict";
  const place = document.getElementById("wpsr-search");
  if (!place || typeof PagefindUI === "undefined") return;
  const search = new PagefindUI({
    element: place, bundlePath: new URL(place.dataset.bundle, location.href).href, showImages: false,
    showSubResults: true, autofocus: true,
  });
  const query = new URLSearchParams(location.search).get("q");
  if (query) search.triggerSearch(query);
})();
