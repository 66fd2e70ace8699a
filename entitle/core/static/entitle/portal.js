// Dialogs arrive as htmx fragments holding a <dialog>; open them modally, and drop them when closed.
document.addEventListener("htmx:afterSwap", (event) => {
  const dialog = event.detail.target.querySelector("dialog:not([open])");
  if (dialog) dialog.showModal();
});
document.addEventListener("click", (event) => {
  const closer = event.target.closest("[data-close-dialog]");
  if (!closer) return;
  const dialog = closer.closest("dialog");
  dialog.close();
  dialog.remove();
});
// Short confirmations sent by the server in an HX-Trigger "notice" event.
document.body.addEventListener("notice", (event) => {
  const p = document.createElement("p");
  p.className = "notice success";
  p.setAttribute("role", "status");
  p.textContent = event.detail.message;
  document.getElementById("notices").replaceChildren(p);
});

// The navigation is a drawer on narrow screens, opened by the Menu button.
const menuButton = document.querySelector(".menu-toggle");
const sidenav = document.getElementById("sidenav");
function setMenu(open) {
  if (!menuButton || !sidenav) return;
  sidenav.classList.toggle("open", open);
  menuButton.setAttribute("aria-expanded", String(open));
}
if (menuButton) {
  menuButton.addEventListener("click", () => setMenu(!sidenav.classList.contains("open")));
}
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (sidenav && sidenav.classList.contains("open")) setMenu(false);
  document.querySelectorAll("details.menu[open]").forEach((menu) => menu.removeAttribute("open"));
});
// One action menu open at a time; a click elsewhere closes it.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});

// No double submit: once a form is on its way, a second submit is dropped and its buttons wait
// for the answer. They are disabled after the browser has read the form (a disabled button
// would not send its value). htmx sends its own forms (it has cancelled this event already).
document.addEventListener("submit", (event) => {
  const form = event.target;
  // Searches and filters (GET) may be sent again at will; only changes wait.
  if (form.method.toLowerCase() !== "post" || event.defaultPrevented) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  setTimeout(() => {
    form.querySelectorAll("button[type=submit], button:not([type])").forEach((button) => {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    });
  });
});
document.addEventListener("htmx:beforeRequest", (event) => {
  event.detail.elt.querySelectorAll?.("button[type=submit], button:not([type])").forEach((button) => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  });
});
document.addEventListener("htmx:afterRequest", (event) => {
  event.detail.elt.querySelectorAll?.("button[aria-busy=true]").forEach((button) => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  });
});
// Coming back to a page from the browser's history shows its buttons ready again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-submitting]").forEach((form) => {
    delete form.dataset.submitting;
    form.querySelectorAll("button[aria-busy=true]").forEach((button) => {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });
});

// On a phone, a list's search and filters start folded (the rows come first), unless they
// are in use; on wider screens they stay open.
if (window.matchMedia("(max-width: 559px)").matches) {
  document.querySelectorAll("details.list-controls-box[data-filtered='0']").forEach((box) => {
    box.removeAttribute("open");
  });
}
