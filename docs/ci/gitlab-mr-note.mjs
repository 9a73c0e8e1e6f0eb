// Posts FILE as a merge-request note, or updates the note an earlier pipeline posted
// (found by the marker `vdpa-lab gate --comment` ends with). Used by gitlab-vdpa-lab.yml;
// reads GitLab's predefined CI variables and VDPA_LAB_API_TOKEN. Node 20 (global fetch).
import { readFileSync } from 'node:fs';

const MARKER = '<!-- vdpa-lab-gate -->';
const { CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, VDPA_LAB_API_TOKEN } = process.env;
const body = readFileSync(process.argv[2], 'utf8');
const notes = `${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/merge_requests/${CI_MERGE_REQUEST_IID}/notes`;
const headers = { 'PRIVATE-TOKEN': VDPA_LAB_API_TOKEN, 'Content-Type': 'application/json' };

async function api(url, init = {}) {
  const r = await fetch(url, { ...init, headers });
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${r.status} ${await r.text()}`);
  return r;
}

let earlier;
for (let page = 1; !earlier; page++) {
  const r = await api(`${notes}?per_page=100&page=${page}`);
  const list = await r.json();
  earlier = list.find((n) => (n.body ?? '').includes(MARKER));
  if (!r.headers.get('x-next-page')) break;
}
if (earlier) await api(`${notes}/${earlier.id}`, { method: 'PUT', body: JSON.stringify({ body }) });
else await api(notes, { method: 'POST', body: JSON.stringify({ body }) });
process.stdout.write(`${earlier ? 'updated' : 'posted'} the vdpa-lab note on !${CI_MERGE_REQUEST_IID}\n`);
