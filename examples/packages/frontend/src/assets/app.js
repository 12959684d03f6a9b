// SPDX-License-Identifier: Apache-2.0
// Renders the mandala and shows which release the server says is live.
import { renderMandala } from './mandala-grid.js';

const goal = {
  centre: 'Ship with confidence',
  themes: ['Tests', 'Reviews', 'Small changes', 'Observability', 'Rollback', 'Docs', 'Automation', 'Security'],
};

renderMandala(document.getElementById('mandala'), goal);

// version.json is served no-cache: it names the release that is live now,
// which may be newer than this page if the tab was left open.
fetch('/version.json', { cache: 'no-store' })
  .then((r) => (r.ok ? r.json() : null))
  .then((v) => {
    const mine = document.body.dataset.version;
    if (v && v.version && v.version !== mine) {
      document.getElementById('live-version').textContent = v.version;
      document.getElementById('live').hidden = false;
    }
  })
  .catch(() => {});
