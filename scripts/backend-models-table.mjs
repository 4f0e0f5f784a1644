// Prints the README's per-model backend table (markdown) from the capability tables in
// src/generators/capabilities/. Needs `npm run build` first (it reads dist/).
// Usage: node scripts/backend-models-table.mjs
import { backendModelsMarkdown } from '../dist/generators/capabilities/capability-markdown.js';

process.stdout.write(backendModelsMarkdown());
