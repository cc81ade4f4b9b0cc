/* Make a chart interactive (tooltips) in place of its static image, which looks the same, when
   the reader points at, touches or focuses it. The chart runtime (the files named in this
   script's data-runtime attribute) is fetched, at low priority and without running, the first
   time a chart nears the screen, and run only on that first interaction: a page never spends
   a phone's processor on charts nobody touches. Until then, and whenever JavaScript or drawing
   fails, the static SVG stays. The figure's data-state attribute says what happened ("drawn"
   or "failed"). Nothing is fetched from elsewhere: the spec and its data are in the page. */
(function () {
  "use strict";
  var script = document.currentScript;
  var runtime = null;
  var fetched = false;

  function runtimeFiles() {
    return (script.dataset.runtime || "").split(/\s+/).filter(Boolean).map(function (name) {
      return new URL(name, script.src).href;
    });
  }

  function prefetch() {
    if (fetched) return;
    fetched = true;
    runtimeFiles().forEach(function (href) {
      var link = document.createElement("link");
      link.rel = "prefetch";
      link.as = "script";
      link.href = href;
      document.head.appendChild(link);
    });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.async = false;
      tag.onload = resolve;
      tag.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(tag);
    });
  }

  function loadRuntime() {
    if (!runtime) {
      runtime = runtimeFiles().reduce(function (previous, href) {
        return previous.then(function () { return loadScript(href); });
      }, Promise.resolve());
    }
    return runtime;
  }

  // One tooltip for the page, written as text (never as HTML), with the id Vega's own tooltip uses.
  function showTooltip(handler, event, item, value) {
    var tip = document.getElementById("vg-tooltip-element");
    if (!tip) {
      tip = document.createElement("div");
      tip.id = "vg-tooltip-element";
      tip.setAttribute("role", "tooltip");
      document.body.appendChild(tip);
    }
    if (value === null || value === undefined || value === "") {
      tip.classList.remove("visible");
      return;
    }
    tip.replaceChildren();
    var entries = typeof value === "object" ? Object.entries(value) : [[null, value]];
    entries.forEach(function (entry) {
      var line = document.createElement("div");
      line.textContent = (entry[0] === null ? "" : entry[0] + ": ") + entry[1];
      tip.appendChild(line);
    });
    tip.style.left = Math.min(event.pageX + 12, window.scrollX + document.documentElement.clientWidth - 220) + "px";
    tip.style.top = event.pageY + 12 + "px";
    tip.classList.add("visible");
  }

  function draw(figure) {
    if (figure.dataset.state) return;
    figure.dataset.state = "loading";
    loadRuntime().then(function () {
      var spec = JSON.parse(figure.querySelector("script.wpsr-chart-spec").textContent);
      var view = figure.querySelector(".wpsr-chart-view");
      var target = document.createElement("div");
      target.className = "wpsr-chart-interactive";
      view.insertBefore(target, view.firstChild);
      // Expressions run through vega-interpreter, never eval: the page's Content-Security-Policy allows no eval.
      var chart = new vega.View(vega.parse(spec, null, { ast: true }), {
        renderer: "svg", container: target, hover: true, tooltip: showTooltip, expr: vega.expressionInterpreter,
      });
      return chart.runAsync()
        .then(function () {
          var svg = target.querySelector("svg");
          if (svg) {
            svg.setAttribute("role", "img");
            svg.setAttribute("aria-label", view.querySelector(".wpsr-chart-static").alt);  // in the page's language
            svg.setAttribute("aria-describedby", figure.id + "-desc");
          }
          view.querySelector(".wpsr-chart-static").hidden = true;
          figure.dataset.state = "drawn";
        })
        .catch(function (error) { target.remove(); throw error; });
    }).catch(function (error) {
      figure.dataset.state = "failed";
      console.error("wpsr: chart " + figure.id + " could not be drawn:", error);
    });
  }

  function watch() {
    var figures = document.querySelectorAll("figure.wpsr-chart:not(.wpsr-chart-still)");
    var soon = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          soon.disconnect();
          prefetch();
        }
      });
    }, { rootMargin: "300px 0px" }) : null;
    figures.forEach(function (figure) {
      ["pointerenter", "touchstart", "focusin"].forEach(function (event) {
        figure.addEventListener(event, function () { draw(figure); }, { once: true, passive: true });
      });
      if (soon) soon.observe(figure); else prefetch();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watch);
  } else {
    watch();
  }
})();
