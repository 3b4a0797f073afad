/* Sign-in, second step: say why a passkey was refused before the ceremony began.

   django-otp-webauthn's script shows a fixed "could not retrieve parameters" text when the
   server refuses the challenge, although the server's JSON answer says why (this account
   is locked, the session has ended). The script announces the failure with an event that
   carries the unread response; this puts the server's reason in the status line instead.
   Refusals after the ceremony already show the server's reason, and their body is read. */
(function () {
  "use strict";

  document.addEventListener("otp_webauthn.verification_failed", function (event) {
    var response = event.detail && event.detail.response;
    var status = document.getElementById("passkey-verification-status-message");
    if (!response || response.ok || response.bodyUsed || !status) {
      return;
    }
    response
      .clone()
      .json()
      .then(function (answer) {
        if (answer && answer.detail) {
          status.textContent = answer.detail;
        }
      })
      .catch(function () {
        /* not JSON: the library's own text stays */
      });
  });
})();
