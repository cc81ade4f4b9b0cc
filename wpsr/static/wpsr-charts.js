/* Draw every chart of the page interactively in place of its static image.
   The image stays when JavaScript, or drawing, fails; the figure's data-state
   attribute says which ("drawn" or "failed"). Nothing is fetched: the spec and
   its data are in the page, and vega-embed's actions menu is off. */
(function () {
  "use strict";
  function draw(figure) {
    var spec = JSON.parse(figure.querySelector("script.wpsr-chart-spec").textContent);
    var view = figure.querySelector(".wpsr-chart-view");
    var target = document.createElement("div");
    target.className = "wpsr-chart-interactive";
    view.insertBefore(target, view.firstChild);
    return vegaEmbed(target, spec, { renderer: "svg", actions: false })
      .then(function (result) {
        var svg = target.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", "Chart: " + figure.querySelector(".wpsr-chart-title").textContent);
          svg.setAttribute("aria-describedby", figure.id + "-desc");
        }
        view.querySelector(".wpsr-chart-static").hidden = true;
        figure.dataset.state = "drawn";
        return result;
      })
      .catch(function (error) {
        target.remove();
        figure.dataset.state = "failed";
        console.error("wpsr: chart " + figure.id + " could not be drawn:", error);
      });
  }
  function drawAll() {
    document.querySelectorAll("figure.wpsr-chart").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
