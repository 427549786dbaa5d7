// What a web team writes against index.d.ts; `tsc --noEmit -p test/types` (test/package.test.js) must accept it.
import { fill, load, wire, type Result } from 'formroute';

window.formroute = window.formroute || [];
window.formroute.push((f) => f.wire(document.body));

addEventListener('formroute:ready', (e) => console.log(e.detail.brand, e.detail.av, e.detail.source));
addEventListener('formroute:error', (e) => console.log(e.detail.error, e.detail.retry));
document.querySelector('form')?.addEventListener('formroute:resolve', (e) => {
  const r: Result = e.detail.result;
  if (!r.ok && r.error === 'invalid_zip') e.preventDefault();
});

async function page(): Promise<void> {
  const router = await load({ brand: 'acme', base: 'https://cdn.example/routes/', timeoutMs: 1500, fallbackUrl: '/quote?zip={zip}' });
  const preview = router.resolve({ zip: '10001', product: 'auto' }, { log: false });
  if (preview.ok) console.log(preview.url, preview.state);
  if (await router.ready(500)) await router.go(preview);
  wire(document, { beaconUrl: 'https://logs.example/v1/events', zipMessage: 'Bitte prüfen' });
  console.log(fill('https://x.example/?zip={zip}', { zip: '10001' }), router.ok, router.version);
}
void page;
