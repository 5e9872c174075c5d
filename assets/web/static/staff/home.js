// The home page: links to the staff pages and the hall display, with the
// centre's name.

import { initLang, onLang, name } from './i18n.js';

initLang();
let centre = null;
const show = () => {
  const el = document.getElementById('centre-name');
  el.textContent = centre ? name(centre.name) : '';
  if (centre) document.title = 'CiviQ – ' + name(centre.name);
};
onLang(show);
fetch('/api/v1/centre', { credentials: 'same-origin' })
  .then((r) => (r.ok ? r.json() : null))
  .then((c) => { centre = c; show(); })
  .catch(() => { /* the links work without the name */ });
