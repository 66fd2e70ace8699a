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
