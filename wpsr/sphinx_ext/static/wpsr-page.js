/* wpsr: what every page needs from script, kept out of inline handlers and inline scripts (the
   site's Content-Security-Policy runs neither): the theme's print button prints, and the folding
   buttons of sphinx-togglebutton get their hints in the page's language. */
(function () {
  var hints = document.querySelector('meta[name="wpsr-toggle-hints"]');
  window.toggleHintShow = hints ? hints.dataset.show : "Click to show";
  window.toggleHintHide = hints ? hints.dataset.hide : "Click to hide";
})();
document.querySelectorAll("[data-wpsr-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
