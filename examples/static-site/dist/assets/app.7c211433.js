// A tiny client-side router: every path is rendered by this page, which
// the `/*  /index.html  200` rule of _redirects serves for deep links.
function render() {
  const views = { "/": "Home", "/app/settings": "Settings", "/about": "About" };
  document.getElementById("view").textContent = views[location.pathname] || "Not found: " + location.pathname;
}
document.addEventListener("click", (e) => {
  const a = e.target.closest("a");
  if (a && a.origin === location.origin) {
    e.preventDefault();
    history.pushState(null, "", a.pathname);
    render();
  }
});
window.addEventListener("popstate", render);
render();
