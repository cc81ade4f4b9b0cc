// The preview's own script (`wpsr serve --watch` adds it to each page it serves; a built or published
// page carries none). It waits for the server to say a build has finished: after one that succeeded,
// the page reloads where the reader was; after one that failed, the page shows its problems.
(() => {
  "use strict";
  const key = `wpsr-preview-scroll:${location.pathname}`;
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    window.scrollTo(0, Number(saved));
  }
  const show = (problems) => {
    let box = document.getElementById("wpsr-preview-problems");
    if (!problems.length) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("section");
      box.id = "wpsr-preview-problems";
      box.setAttribute("role", "alert");
      box.setAttribute("aria-label", "The last build failed");
      Object.assign(box.style, {
        position: "fixed", insetInline: "0", bottom: "0", zIndex: "10000", maxHeight: "40vh", overflow: "auto",
        background: "#fff4f4", color: "#5c0000", borderTop: "3px solid #b00020", padding: "0.75rem 1rem",
        font: "0.9rem/1.4 system-ui, sans-serif",
      });
      document.body.append(box);
    }
    const heading = document.createElement("strong");
    heading.textContent = "The last build failed; this page is from the build before it.";
    const list = document.createElement("ul");
    for (const problem of problems) {
      const item = document.createElement("li");
      item.textContent = problem;
      list.append(item);
    }
    box.replaceChildren(heading, list);
  };
  let seen = null;
  const ask = async () => {
    try {
      const reply = await fetch(`/_wpsr/build.json?after=${seen === null ? -1 : seen}`, { cache: "no-store" });
      const state = await reply.json();
      if (seen !== null && state.build !== seen && state.ok) {
        sessionStorage.setItem(key, String(window.scrollY));
        location.reload();
        return;
      }
      seen = state.build;
      show(state.ok ? [] : state.problems);
      setTimeout(ask, 0);
    } catch (error) {
      setTimeout(ask, 1000); // the server is restarting, or stopped: ask again
    }
  };
  ask();
})();
