// The interactive API documentation at /api/docs: Swagger UI from the site's own copy, started
// from this file rather than an inline script (the Content-Security-Policy allows neither inline
// scripts nor other origins).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
