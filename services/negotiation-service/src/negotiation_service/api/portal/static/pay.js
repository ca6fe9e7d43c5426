// The pay page: copy buttons, and a poll that notices the payment
// (the status URL rides in data-poll on #status; no inline script: CSP).
document.querySelectorAll("button[data-target]").forEach(function (b) {
  b.addEventListener("click", function () {
    var field = document.getElementById(b.dataset.target);
    var fb = document.getElementById("copy-feedback");
    function done(ok) { if (fb) { fb.textContent = ok ? "Código copiado." : "Não foi possível copiar: selecione o código e copie."; } }
    if (navigator.clipboard) { navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { field.select(); done(false); }); }
    else { field.select(); done(false); }
  });
});
(function poll() {
  var status = document.getElementById("status");
  var url = status && status.dataset.poll;
  if (!url) { return; }
  var timer = setInterval(function () {
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.paid) {
          clearInterval(timer);
          var p = document.createElement("p");
          p.className = "notice";
          p.textContent = "Pagamento recebido! Obrigado.";
          status.replaceChildren(p);
        }
      }).catch(function () {});
  }, 3000);
})();
