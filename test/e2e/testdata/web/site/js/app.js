// Marks the page so the browser test knows scripts ran.
document.addEventListener("DOMContentLoaded", function () {
  document.body.dataset.js = "ok";
});
