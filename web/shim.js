// Loaded before TF.js. tf.min.js bundles regenerator-runtime, which assigns the global `regeneratorRuntime` and, when
// strict mode refuses an undeclared global, falls back to `Function(...)`: an eval, which the server's
// Content-Security-Policy forbids (plantvit/surface.py). Declaring the global first makes the plain assignment succeed.
window.regeneratorRuntime = undefined;
