// Editions: a menu of every edition and, on an older edition, a banner pointing to the latest.
// Driven at reading time by the site's switcher.json, so an old edition never needs rebuilding.
(() => {
  "use strict";
  const meta = document.querySelector('meta[name="wpsr-edition"]');
  if (!meta) return;
  const current = meta.content;
  // A translation's pages are in its language's folder of the edition (fr/…): the edition is one up.
  const translated = (document.documentElement.lang || "en") !== "en";
  const editionRoot = new URL((document.documentElement.dataset.content_root || "./") + (translated ? "../" : ""),
                              location.href);
  const page = location.href.split("#")[0].slice(editionRoot.href.length) || "index.html";
  const switcher = new URL("../switcher.json", editionRoot);
  const place = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;

  const show = async (entries) => {
    if (!Array.isArray(entries) || !entries.some((e) => e.version === current)) return;
    const home = (entry) => new URL(entry.url, switcher);
    const nav = document.createElement("nav");
    nav.className = "wpsr-editions";
    nav.setAttribute("aria-label", meta.dataset.menuLabel || "Editions of the report");
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = (meta.dataset.menu || "Edition {edition}: other editions").replace("{edition}", current);
    const list = document.createElement("ul");
    for (const entry of entries) {
      const link = document.createElement("a");
      link.href = home(entry).href;
      link.textContent = `${entry.name}, ${entry.date}`;
      if (entry.version === current) link.setAttribute("aria-current", "true");
      const item = document.createElement("li");
      item.append(link);
      list.append(item);
    }
    details.append(summary, list);
    nav.append(details);
    place.prepend(nav);
    const latest = entries.find((e) => e.preferred);
    if (!latest || latest.version === current) return;
    let target = new URL(page, home(latest));
    try {
      const answer = await fetch(target, { method: "HEAD" });
      if (!answer.ok) target = home(latest);
    } catch (e) {
      target = home(latest);
    }
    const banner = document.createElement("div");
    banner.className = "wpsr-banner wpsr-banner-old";
    banner.setAttribute("role", "note");
    const link = document.createElement("a");
    link.href = target.href;
    link.textContent = latest.version;
    const [before, after] = (meta.dataset.old || "You are reading the {edition} edition; the latest is {latest}.")
      .replace("{edition}", current).split("{latest}");
    banner.append(before, link, after || "");
    nav.after(banner);
  };

  fetch(switcher).then((r) => (r.ok ? r.json() : null)).then(show).catch(() => {});
})();
