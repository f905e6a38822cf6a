// Start Swagger UI (vendor/swagger-ui-bundle.js) on this server's OpenAPI document.
window.addEventListener("load", function () {
  "use strict";
  // validatorUrl null: no badge fetched from validator.swagger.io (nothing leaves this server).
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
});
