// Narrascope reader: toggle technique colours from the legend; flash the sentence an
// evidence link points to. No inline scripts (the Content-Security-Policy forbids them).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var hidden = new Set();
  function refresh() {
    document.querySelectorAll("mark.t").forEach(function (mark) {
      var colours = (mark.dataset.colours || "").trim().split(/\s+/);
      var shown = colours.filter(function (c) { return !hidden.has(c); });
      mark.classList.toggle("off", shown.length === 0);
    });
  }
  document.querySelectorAll(".tech-toggle").forEach(function (button) {
    button.addEventListener("click", function () {
      var colour = button.dataset.colour;
      if (hidden.has(colour)) { hidden.delete(colour); } else { hidden.add(colour); }
      button.classList.toggle("off", hidden.has(colour));
      refresh();
    });
  });
  document.querySelectorAll("a.ev").forEach(function (link) {
    link.addEventListener("click", function () {
      var target = document.getElementById("s-" + link.dataset.sentence);
      if (!target) { return; }
      document.querySelectorAll(".sent.flash").forEach(function (s) { s.classList.remove("flash"); });
      target.classList.add("flash");
    });
  });
});
