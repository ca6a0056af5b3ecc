/* The words of the page's scripts in the page's language: the page holds them as JSON (#messages, French → shown),
   `ptceT(text, values)` gives the shown words with `{name}` filled from `values`. */
(function () {
  "use strict";
  var node = document.getElementById("messages");
  var words = {};
  try { words = node ? JSON.parse(node.textContent) : {}; } catch (e) { words = {}; }
  window.ptceT = function (text, values) {
    var shown = Object.prototype.hasOwnProperty.call(words, text) ? words[text] : text;
    return shown.replace(/\{(\w+)\}/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  };
})();
