// Asks before a review action that cannot be undone from the page (data-confirm).
// A file, not an inline handler: the admin page's CSP allows scripts from this site only.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
