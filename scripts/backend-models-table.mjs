// Prints the per-model backend table of docs/backends.md (markdown) from the model catalog shipped in
// src/catalog/vendors/*.json, with each model's lifecycle and the date its source was read.
// Needs `npm run build` first (it reads dist/, where the build copies the catalog files).
// Usage: node scripts/backend-models-table.mjs
import { backendModelsMarkdown } from '../dist/catalog/catalog-markdown.js';
import { shippedCatalog } from '../dist/catalog/model-catalog.js';

process.stdout.write(backendModelsMarkdown(shippedCatalog()));
